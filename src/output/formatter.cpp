#include "ctrace/output/formatter.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>

#include "ctrace/core/error.hpp"
#include "ctrace/core/escape.hpp"
#include "output/formatters.hpp"

namespace ctrace::output {

FieldSink& Formatter::start_record() {
  collected_.fields.clear();
  return collector_;
}

void Formatter::finish_record() {
  record(collected_);
}

const char* to_string(Format f) {
  switch (f) {
    case Format::Text:
      return "text";
    case Format::Json:
      return "json";
    case Format::Graph:
      return "graph";
  }
  return "?";
}

std::string format_text(const Value& value, const Column& c) {
  struct Visitor {
    const Column& c;
    std::string operator()(std::monostate) const { return "---"; }
    std::string operator()(bool b) const { return b ? "yes" : "no"; }
    std::string operator()(int64_t i) const { return fmt::format("{}{}", i, c.suffix); }
    std::string operator()(uint64_t u) const {
      return c.hex ? fmt::format("{:#010x}{}", u, c.suffix) : fmt::format("{}{}", u, c.suffix);
    }
    std::string operator()(double d) const {
      return c.precision >= 0 ? fmt::format("{:.{}f}{}", d, c.precision, c.suffix)
                              : fmt::format("{}{}", d, c.suffix);
    }
    // Strings from the traced world are escaped here, once, for every text column and chart label.
    std::string operator()(const std::string& s) const { return escape_text(s); }
    std::string operator()(const Strings& v) const {
      std::string out;
      for (size_t i = 0; i < v.size(); ++i) {
        if (i) out += " | ";
        append_escaped_text(out, v[i]);
      }
      return out;
    }
    std::string operator()(const Spelled& s) const { return escape_text(s.text); }
    std::string operator()(const Array& a) const {
      std::string out;
      for (size_t i = 0; i < a.size(); ++i) out += (i ? ", " : "") + format_text(a[i], Column{});
      return out;
    }
    std::string operator()(const Object& o) const {
      std::string out;
      for (const auto& [k, v] : o)
        out += fmt::format("{}{}={}", out.empty() ? "" : ",", escape_text(k), format_text(v, Column{}));
      return out;
    }
  };
  return std::visit(Visitor{c}, value.v);
}

std::string human_bytes(double bytes) {
  static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (bytes >= 1024 && u < 4) {
    bytes /= 1024;
    ++u;
  }
  return u == 0 ? fmt::format("{:.0f} B", bytes) : fmt::format("{:.1f} {}", bytes, units[u]);
}

std::unique_ptr<Formatter> make_formatter(Format f, std::FILE* out, const FormatterOptions& opts) {
  switch (f) {
    case Format::Text:
      return std::make_unique<TextFormatter>(out);
    case Format::Json:
      return std::make_unique<JsonFormatter>(out);
    case Format::Graph:
      return std::make_unique<GraphFormatter>(out, opts);
  }
  throw UsageError("unknown output format");
}

std::string render_to_string(Format f, const std::function<void(Formatter&)>& write) {
  char* buf = nullptr;
  size_t len = 0;
  std::FILE* mem = ::open_memstream(&buf, &len);
  if (!mem) throw Error("open_memstream: {}", errno_string(errno));
  try {
    auto out = make_formatter(f, mem);
    write(*out);
    out->end();
  } catch (...) {
    std::fclose(mem);
    std::free(buf);
    throw;
  }
  std::fclose(mem);  // sets buf and len
  std::string text(buf, len);
  std::free(buf);
  return text;
}

}  // namespace ctrace::output
