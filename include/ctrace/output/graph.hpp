#pragma once
// Terminal charts: plain functions from data to lines of text.
#include <string>
#include <utility>
#include <vector>

namespace ctrace::output::graph {

struct Bar {
  std::string label;
  double value;
  std::string value_text;  // printed after the bar
};

// Horizontal bars scaled to the largest value, drawn with eighth-block characters
// (U+2588..U+258F) so that a bar's length has 1/8-cell resolution. `width` is the
// whole line's width in terminal cells. Negative or NaN values are drawn as empty bars.
std::vector<std::string> render_bar_chart(const std::vector<Bar>& bars, int width);

// One line of a line chart: its values, one per x.
struct LineSeries {
  std::string name;  // a title line above its panel; none when empty
  std::vector<double> y;
};

// A braille line chart (2x4 dots per cell, U+2800..U+28FF) of one or more series over
// the same x (seconds, non-decreasing), one panel per series stacked above a shared
// x axis, like this with width 16, height 5 (x 0..7, y 0 0 0 9 0 0 0 0):
//
//       ⢀⢇       9.0     <- max of the panel, on its top row
//       ⢸⢸
//       ⡇ ⡇
//   ⣀⣀⣀⣰⠁ ⢱⣀⣀⣀⣀⣀ 0.0     <- the y axis starts at 0, on the bottom row
//   0.0          7.0     <- first and last x
//
// `width` and `height` are the whole chart's size in terminal cells, labels and titles
// included (panels split the height evenly, so several may leave a line unused); a panel
// never gets less than 2 columns and 1 row, so a chart asked to be smaller than that is
// wider or taller than asked. Points are joined by straight lines;
// empty cells are spaces and lines carry no trailing spaces. No x gives one line
// "(no data)". Throws ctrace::Error for a negative, NaN or infinite value, an x that
// goes back, or a series whose length differs from x.
std::vector<std::string> render_line_chart(const std::vector<double>& x,
                                           const std::vector<LineSeries>& series, int width, int height);

// An axis label: fixed with one decimal ("10223616.0"), or "1.23e+18" from 1e15 up so that
// a label stays short.
std::string format_axis_value(double v);

}  // namespace ctrace::output::graph
