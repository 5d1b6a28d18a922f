#pragma once
// Terminal charts: plain functions from data to lines of text.
#include <string>
#include <utility>
#include <vector>

namespace ctrace::output::graph {

struct Bar {
  std::string label;
  double value;
  std::string value_text;   // printed after the bar
};

// Horizontal bars scaled to the largest value, drawn with eighth-block characters
// (U+2588..U+258F) so that a bar's length has 1/8-cell resolution. `width` is the
// whole line's width in terminal cells. Negative or NaN values are drawn as empty bars.
std::vector<std::string> render_bar_chart(const std::vector<Bar>& bars, int width);

}  // namespace ctrace::output::graph
