// Braille line charts: each terminal cell is a 2x4 grid of dots (U+2800 + dot bits).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>

#include "ctrace/core/error.hpp"
#include "ctrace/output/graph.hpp"

namespace ctrace::output::graph {

namespace {

constexpr int kDotCols = 2;
constexpr int kDotRows = 4;

// Bit of dot (column, row) in a braille cell, rows counted from the top.
constexpr uint8_t kDotBit[kDotRows][kDotCols] = {{0x01, 0x08}, {0x02, 0x10}, {0x04, 0x20}, {0x40, 0x80}};

// A grid of braille cells addressed in dots, (0, 0) at the bottom left.
class Canvas {
 public:
  Canvas(int cols, int rows)
      : cols_(cols), rows_(rows), cells_(static_cast<size_t>(cols) * static_cast<size_t>(rows), 0) {}
  int dot_width() const { return cols_ * kDotCols; }
  int dot_height() const { return rows_ * kDotRows; }

  void set(int x, int y) {
    int top = dot_height() - 1 - y;
    cells_[static_cast<size_t>(top / kDotRows) * static_cast<size_t>(cols_) +
           static_cast<size_t>(x / kDotCols)] |= kDotBit[top % kDotRows][x % kDotCols];
  }

  // Bresenham: every dot between two points, both ends included.
  void line(int x0, int y0, int x1, int y1) {
    int dx = std::abs(x1 - x0), dy = -std::abs(y1 - y0);
    int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
    int err = dx + dy;
    for (;;) {
      set(x0, y0);
      if (x0 == x1 && y0 == y1) return;
      int e2 = 2 * err;
      if (e2 >= dy) err += dy, x0 += sx;
      if (e2 <= dx) err += dx, y0 += sy;
    }
  }

  std::string row(int r) const {
    std::string s;
    for (int c = 0; c < cols_; ++c) {
      uint8_t bits = cells_[static_cast<size_t>(r) * static_cast<size_t>(cols_) + static_cast<size_t>(c)];
      if (!bits) {
        s += ' ';
        continue;
      }
      char32_t cp = 0x2800 + bits;  // three bytes of UTF-8: 1110xxxx 10xxxxxx 10xxxxxx
      s += static_cast<char>(0xE0 | (cp >> 12));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    }
    return s;
  }

 private:
  int cols_, rows_;
  std::vector<uint8_t> cells_;
};

std::string rtrim(std::string s) {
  s.erase(s.find_last_not_of(' ') + 1);
  return s;
}

void check(const std::vector<double>& x, const std::vector<LineSeries>& series) {
  for (size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(x[i])) throw Error("chart: x value {} is not a finite number", x[i]);
    if (i && x[i] < x[i - 1]) throw Error("chart: x goes back from {} to {}", x[i - 1], x[i]);
  }
  for (const auto& s : series) {
    if (s.y.size() != x.size())
      throw Error("chart: series '{}' has {} values for {} x values", s.name, s.y.size(), x.size());
    for (double v : s.y)
      if (!std::isfinite(v) || v < 0)
        throw Error("chart: series '{}' has the value {}; only finite values >= 0 can be drawn", s.name, v);
  }
}

// One panel's lines: the plot rows with the max label on the top row and 0 on the bottom one.
std::vector<std::string> render_panel(const std::vector<double>& x, const std::vector<double>& y, int cols,
                                      int rows, size_t label_w, const std::string& max_label) {
  Canvas canvas(cols, rows);
  double x0 = x.front(), xspan = x.back() - x.front();
  double ymax = *std::max_element(y.begin(), y.end());
  auto px = [&](size_t i) {
    return xspan > 0 ? static_cast<int>(std::lround((x[i] - x0) / xspan * (canvas.dot_width() - 1))) : 0;
  };
  auto py = [&](size_t i) {
    return ymax > 0 ? static_cast<int>(std::lround(y[i] / ymax * (canvas.dot_height() - 1))) : 0;
  };
  canvas.set(px(0), py(0));
  for (size_t i = 1; i < x.size(); ++i) canvas.line(px(i - 1), py(i - 1), px(i), py(i));

  std::vector<std::string> out;
  for (int r = 0; r < rows; ++r) {
    std::string line = canvas.row(r);
    if (r == 0)
      line += fmt::format(" {:>{}}", max_label, label_w);
    else if (r == rows - 1)
      line += fmt::format(" {:>{}}", format_axis_value(0), label_w);
    out.push_back(rtrim(std::move(line)));
  }
  return out;
}

}  // namespace

std::string format_axis_value(double v) {
  if (std::fabs(v) >= 1e15) return fmt::format("{:.2e}", v);
  return fmt::format("{:.1f}", v);
}

std::vector<std::string> render_line_chart(const std::vector<double>& x,
                                           const std::vector<LineSeries>& series, int width, int height) {
  check(x, series);
  if (x.empty() || series.empty()) return {"(no data)"};

  std::vector<std::string> max_labels;
  size_t label_w = format_axis_value(0).size();
  for (const auto& s : series) {
    max_labels.push_back(format_axis_value(*std::max_element(s.y.begin(), s.y.end())));
    label_w = std::max(label_w, max_labels.back().size());
  }
  int cols = std::max(2, width - 1 - static_cast<int>(label_w));
  int n = static_cast<int>(series.size());
  int per_panel = std::max(1, (height - 1) / n);  // the x axis takes one line
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) {
    const auto& s = series[static_cast<size_t>(i)];
    int rows = std::max(1, per_panel - (s.name.empty() ? 0 : 1));
    if (!s.name.empty()) out.push_back(s.name);
    for (auto& l : render_panel(x, s.y, cols, rows, label_w, max_labels[static_cast<size_t>(i)]))
      out.push_back(std::move(l));
  }

  std::string first = format_axis_value(x.front()), last = format_axis_value(x.back());
  int total = cols + 1 + static_cast<int>(label_w);
  if (x.size() == 1)
    out.push_back(first);
  else
    out.push_back(first +
                  std::string(static_cast<size_t>(
                                  std::max<int>(1, total - static_cast<int>(first.size() + last.size()))),
                              ' ') +
                  last);
  return out;
}

}  // namespace ctrace::output::graph
