#include <nlohmann/json.hpp>

#include "output/formatters.hpp"

namespace ctrace::output {

namespace {

using json = nlohmann::ordered_json;

json to_json(const Value& value);

json to_json(const Object& o) {
  json j = json::object();
  for (const auto& [k, v] : o) j[k] = to_json(v);
  return j;
}

json to_json(const Value& value) {
  struct Visitor {
    json operator()(std::monostate) const { return nullptr; }
    json operator()(bool b) const { return b; }
    json operator()(int64_t i) const { return i; }
    json operator()(uint64_t u) const { return u; }
    json operator()(double d) const { return d; }
    json operator()(const std::string& s) const { return s; }
    json operator()(const Strings& v) const { return v; }
    json operator()(const Object& o) const { return to_json(o); }
  };
  return std::visit(Visitor{}, value.v);
}

json histogram_json(const Histogram& h) {
  json buckets = json::array();
  for (const auto& b : h.buckets) buckets.push_back({{"low", b.low}, {"high", b.high}, {"count", b.count}});
  return {{"name", h.title}, {"unit", h.unit}, {"buckets", buckets}};
}

}  // namespace

void JsonFormatter::line(const std::string& s, bool flush) {
  std::fwrite(s.data(), 1, s.size(), out_);
  std::fputc('\n', out_);
  if (flush) std::fflush(out_);
}

void JsonFormatter::record(const Record& r) {
  json j = json::object();
  j["type"] = schema_.type;
  for (const auto& [k, v] : r.fields) j[k] = to_json(v);
  line(j.dump(-1, ' ', false, json::error_handler_t::replace), false);
}

void JsonFormatter::table(const Table& t) {
  json j = json::object();
  j["type"] = schema_.type;
  for (const auto& [k, v] : t.meta) j[k] = to_json(v);
  json rows = json::array();
  for (const auto& r : t.rows) rows.push_back(to_json(r.fields));
  j[t.rows_key] = std::move(rows);
  if (t.total) j["total"] = to_json(t.total->fields);
  if (!t.histograms.empty()) {
    json hs = json::array();
    for (const auto& h : t.histograms) hs.push_back(histogram_json(h));
    j["histograms"] = std::move(hs);
  }
  j["lost"] = t.lost;
  line(j.dump(-1, ' ', false, json::error_handler_t::replace));
}

void JsonFormatter::series(const Series& s) {
  for (size_t i = 0; i < s.x.size(); ++i) {
    json j = json::object();
    j["type"] = schema_.type;
    j[s.x_label] = s.x[i];
    for (const auto& [name, ys] : s.y) j[name] = i < ys.size() ? ys[i] : 0.0;
    line(j.dump());
  }
}

void JsonFormatter::lost(uint64_t n) { line(json{{"type", "lost"}, {"count", n}}.dump()); }

}  // namespace ctrace::output
