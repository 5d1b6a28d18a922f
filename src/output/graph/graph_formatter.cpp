#include <fmt/format.h>

#include "ctrace/core/escape.hpp"
#include "ctrace/output/graph.hpp"
#include "output/formatters.hpp"

namespace ctrace::output {

void GraphFormatter::begin(const Schema& schema) {
  schema_ = schema;
  text_.begin(schema);
}

void GraphFormatter::table(const Table& t) {
  const Column* value_col = nullptr;
  for (const auto& c : schema_.columns)
    if (c.key == t.bar_key) value_col = &c;
  std::vector<graph::Bar> bars;
  for (const auto& r : t.rows) {
    const Value* label = r.get(t.label_key);
    const Value* value = r.get(t.bar_key);
    double v = 0;
    if (value) {
      if (auto* i = std::get_if<int64_t>(&value->v)) v = static_cast<double>(*i);
      if (auto* u = std::get_if<uint64_t>(&value->v)) v = static_cast<double>(*u);
      if (auto* d = std::get_if<double>(&value->v)) v = *d;
    }
    bars.push_back({label ? format_text(*label, Column{}) : "?", v,
                    value ? format_text(*value, value_col ? *value_col : Column{}) : ""});
  }
  if (t.blank_before) std::fputc('\n', out_);
  // labels went through format_text(), escaped; the title may carry a name too
  if (!t.title.empty()) fmt::print(out_, "{}\n", escape_text(t.title));
  if (t.rows.empty() && !t.empty_text.empty()) {
    fmt::print(out_, "{}\n", escape_text(t.empty_text));
    std::fflush(out_);
    return;
  }
  std::string title = value_col ? value_col->header : t.bar_key;
  std::string line = fmt::format("{}\n", title);
  std::fwrite(line.data(), 1, line.size(), out_);
  for (const auto& l : graph::render_bar_chart(bars, opts_.width)) {
    std::fwrite(l.data(), 1, l.size(), out_);
    std::fputc('\n', out_);
  }
  for (const auto& h : t.histograms) {
    std::fputc('\n', out_);
    for (const auto& l : render_histogram(h)) {
      std::fwrite(l.data(), 1, l.size(), out_);
      std::fputc('\n', out_);
    }
  }
  std::fflush(out_);
}

void GraphFormatter::frame() {
  if (opts_.live) std::fputs("\033[H\033[2J", out_);  // clear the screen, then draw in place
}

void GraphFormatter::series(const Series& s) {
  if (!s.title.empty()) fmt::print(out_, "{}\n", escape_text(s.title));
  std::vector<graph::LineSeries> lines;
  for (const auto& [name, ys] : s.y) lines.push_back({escape_text(name), ys});
  for (const auto& l : graph::render_line_chart(s.x, lines, opts_.width, opts_.height)) {
    std::fwrite(l.data(), 1, l.size(), out_);
    std::fputc('\n', out_);
  }
  std::fflush(out_);
}

}  // namespace ctrace::output
