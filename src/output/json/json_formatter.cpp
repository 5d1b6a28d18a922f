#include <fmt/format.h>

#include <algorithm>
#include <array>
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
    json operator()(const Array& a) const {
      json j = json::array();
      for (const auto& v : a) j.push_back(to_json(v));
      return j;
    }
    json operator()(const Spelled& s) const { return s.number; }
  };
  return std::visit(Visitor{}, value.v);
}

json histogram_json(const Histogram& h) {
  json buckets = json::array();
  for (const auto& b : h.buckets) buckets.push_back({{"low", b.low}, {"high", b.high}, {"count", b.count}});
  return {{"name", h.title}, {"unit", h.unit}, {"buckets", buckets}};
}

// Stream records are written straight into one string: building an ordered_json per event
// (a map of allocated nodes, then serialized) was most of the CPU time of a flood. The bytes
// are those nlohmann would write: ASCII strings without quotes, backslashes or control
// characters, integers and arrays of strings are written here, everything else (escapes,
// non-ASCII, doubles, objects) still goes through nlohmann.
// Bytes JSON writes as they are: printable ASCII but the quote and the backslash.
constexpr auto kPlain = [] {
  std::array<bool, 256> plain{};
  for (int c = 0x20; c < 0x7f; ++c) plain[static_cast<size_t>(c)] = c != '"' && c != '\\';
  return plain;
}();

void append_string(std::string& out, std::string_view s) {
  for (char c : s)
    if (!kPlain[static_cast<unsigned char>(c)]) {
      out += json(std::string(s)).dump(-1, ' ', false, json::error_handler_t::replace);
      return;
    }
  out += '"';
  out += s;
  out += '"';
}

void append_integer(std::string& out, auto v) {
  fmt::format_int text(v);
  out.append(text.data(), text.size());
}

void append_strings(std::string& out, const Strings& list) {
  out += '[';
  for (size_t i = 0; i < list.size(); ++i) {
    if (i) out += ',';
    append_string(out, list[i]);
  }
  out += ']';
}

void append_value(std::string& out, const Value& value) {
  if (auto* i = std::get_if<int64_t>(&value.v)) {
    append_integer(out, *i);
  } else if (auto* u = std::get_if<uint64_t>(&value.v)) {
    append_integer(out, *u);
  } else if (auto* n = std::get_if<Spelled>(&value.v)) {
    append_integer(out, n->number);
  } else if (auto* str = std::get_if<std::string>(&value.v)) {
    append_string(out, *str);
  } else if (auto* list = std::get_if<Strings>(&value.v)) {
    append_strings(out, *list);
  } else if (auto* b = std::get_if<bool>(&value.v)) {
    out += *b ? "true" : "false";
  } else if (value.is_null()) {
    out += "null";
  } else {
    out += to_json(value).dump(-1, ' ', false, json::error_handler_t::replace);
  }
}

}  // namespace

void JsonFormatter::line(const std::string& s, bool flush) {
  std::fwrite(s.data(), 1, s.size(), out_);
  std::fputc('\n', out_);
  if (flush) std::fflush(out_);
}

void JsonFormatter::record(const Record& r) {
  std::string& out = record_buf_;
  out.clear();
  out += "{\"type\":";
  // "type" comes first: the schema's, or the record's own when it has one
  const Value* type = r.get("type");
  if (type)
    append_value(out, *type);
  else
    append_string(out, schema_.type);
  for (const auto& [k, v] : r.fields) {
    if (k == "type") continue;
    out += ',';
    append_string(out, k);
    out += ':';
    append_value(out, v);
  }
  out += '}';
  line(out, false);
}

FieldSink& JsonFormatter::start_record() {
  record_buf_.clear();
  record_buf_ += "{\"type\":";
  append_string(record_buf_, schema_.type);
  return sink_;
}

void JsonFormatter::finish_record() {
  record_buf_ += '}';
  line(record_buf_, false);
}

// Field names are plain ASCII identifiers of the decoders: written without escaping.
void JsonFormatter::LineSink::key(std::string_view k) {
  out_ += ",\"";
  out_ += k;
  out_ += "\":";
}

void JsonFormatter::LineSink::put(std::string_view k, int64_t v) {
  key(k);
  append_integer(out_, v);
}

void JsonFormatter::LineSink::put(std::string_view k, uint64_t v) {
  key(k);
  append_integer(out_, v);
}

void JsonFormatter::LineSink::put(std::string_view k, std::string_view v) {
  key(k);
  append_string(out_, v);
}

void JsonFormatter::LineSink::put(std::string_view k, const Strings& v) {
  key(k);
  append_strings(out_, v);
}

void JsonFormatter::LineSink::put(std::string_view k, const Value& v) {
  key(k);
  append_value(out_, v);
}

void JsonFormatter::table(const Table& t) {
  if (t.stream_rows) {
    for (const auto& r : t.rows) record(r);
    std::fflush(out_);
    return;
  }
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

void JsonFormatter::lost(uint64_t n) {
  line(json{{"type", "lost"}, {"count", n}}.dump());
}

}  // namespace ctrace::output
