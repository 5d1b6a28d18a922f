// The braille line chart and the bar chart (src/output/graph) with fuzzed sizes and series,
// directly and through the graph Formatter, at the sizes biograph accepts (--width 16-1000,
// --height 3-500; the renderers are called with what the formatter is given) and below them.
#include <fuzzer/FuzzedDataProvider.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "ctrace/core/error.hpp"
#include "ctrace/output/formatter.hpp"
#include "ctrace/output/graph.hpp"

using namespace ctrace;

namespace {

double fuzzed_value(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange<int>(0, 3)) {
    case 0:
      return in.ConsumeFloatingPoint<double>();  // anything, NaN and inf included
    case 1:
      return static_cast<double>(in.ConsumeIntegral<uint64_t>());
    case 2:
      return in.ConsumeFloatingPointInRange<double>(0, 1e6);
    default:
      return static_cast<double>(in.ConsumeIntegralInRange<int>(0, 100));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  int width = in.ConsumeIntegralInRange<int>(-4, 1000);
  int height = in.ConsumeIntegralInRange<int>(-4, 500);
  size_t points = in.ConsumeIntegralInRange<size_t>(0, 300);
  size_t nseries = in.ConsumeIntegralInRange<size_t>(0, 4);
  bool monotonic = in.ConsumeBool();

  std::vector<double> x;
  double t = in.ConsumeFloatingPointInRange<double>(-1e6, 1e6);
  for (size_t i = 0; i < points; ++i) {
    if (monotonic)
      t += std::fabs(fuzzed_value(in));
    else
      t = fuzzed_value(in);
    x.push_back(t);
  }
  std::vector<output::graph::LineSeries> series;
  for (size_t s = 0; s < nseries; ++s) {
    output::graph::LineSeries ls{in.ConsumeRandomLengthString(40), {}};
    // mostly as long as x (the valid case), sometimes not (must throw, not crash)
    size_t n =
        in.ConsumeIntegralInRange<int>(0, 15) == 0 ? in.ConsumeIntegralInRange<size_t>(0, 300) : points;
    for (size_t i = 0; i < n; ++i) ls.y.push_back(fuzzed_value(in));
    series.push_back(std::move(ls));
  }

  try {
    auto lines = output::graph::render_line_chart(x, series, width, height);
    // bounded: a panel is never less than 2x1 cells, so at most max(width, ...) + labels wide
    for (const auto& l : lines)
      if (l.size() > 3 * (static_cast<size_t>(std::max(width, 64)) + 64)) std::abort();
  } catch (const Error&) {
    // invalid series: one line saying so is the contract
  }

  std::vector<output::graph::Bar> bars;
  size_t nbars = in.ConsumeIntegralInRange<size_t>(0, 20);
  for (size_t i = 0; i < nbars; ++i)
    bars.push_back({in.ConsumeRandomLengthString(32), fuzzed_value(in), in.ConsumeRandomLengthString(16)});
  output::graph::render_bar_chart(bars, width);

  // The same through the graph Formatter, as biograph and stat -o graph use it.
  std::FILE* out = std::fopen("/dev/null", "w");
  if (!out) return 0;
  {
    auto f = output::make_formatter(output::Format::Graph, out, {width, height});
    Schema schema{"fuzz", {{"name", "NAME"}, {"value", "VALUE", Align::Right, 2}}};
    f->begin(schema);
    Series s{"s", x, {}};
    for (const auto& ls : series) s.y.emplace_back(ls.name, ls.y);
    try {
      f->series(s);
    } catch (const Error&) {
    }
    Table table;
    table.bar_key = "value";
    table.label_key = "name";
    for (const auto& b : bars) table.rows.push_back(Record{{{"name", b.label}, {"value", b.value}}});
    f->table(table);
    f->end();
  }
  std::fclose(out);
  return 0;
}
