#include "ctrace/core/model.hpp"

namespace ctrace {

Record& Record::set(std::string key, Value v) {
  if (fields.empty()) fields.reserve(16);  // an event has about that many: one allocation
  for (auto& [k, old] : fields)
    if (k == key) {
      old = std::move(v);
      return *this;
    }
  fields.emplace_back(std::move(key), std::move(v));
  return *this;
}

const Value* Record::get(const std::string& key) const {
  for (const auto& [k, v] : fields)
    if (k == key) return &v;
  return nullptr;
}

}  // namespace ctrace
