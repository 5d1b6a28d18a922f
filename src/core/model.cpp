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

std::string Record::raw(const std::string& key) const {
  const Value* v = get(key);
  if (!v) return {};
  if (const auto* s = std::get_if<std::string>(&v->v)) return *s;
  if (const auto* i = std::get_if<int64_t>(&v->v)) return std::to_string(*i);
  if (const auto* u = std::get_if<uint64_t>(&v->v)) return std::to_string(*u);
  return {};
}

bool Record::flag(const std::string& key) const {
  const Value* v = get(key);
  const auto* b = v ? std::get_if<bool>(&v->v) : nullptr;
  return b && *b;
}

}  // namespace ctrace
