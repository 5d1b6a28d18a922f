#include <algorithm>
#include <cmath>

#include "ctrace/core/escape.hpp"
#include "ctrace/output/graph.hpp"

namespace ctrace::output::graph {

namespace {
// U+2588 full block, then 7/8 ... 1/8 (U+2589..U+258F)
constexpr const char* kEighths[] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
constexpr const char* kFull = "█";
}  // namespace

std::vector<std::string> render_bar_chart(const std::vector<Bar>& bars, int width) {
  size_t label_w = 0, value_w = 0;
  double max = 0;
  for (const auto& b : bars) {
    label_w = std::max(label_w, text_cells(b.label));
    value_w = std::max(value_w, text_cells(b.value_text));
    if (std::isfinite(b.value) && b.value > max) max = b.value;
  }
  int bar_w = width - static_cast<int>(label_w + value_w) - 3;
  if (bar_w < 1) bar_w = 1;

  std::vector<std::string> out;
  for (const auto& b : bars) {
    long eighths = 0;
    if (max > 0 && std::isfinite(b.value) && b.value > 0)
      eighths = std::lround(b.value / max * bar_w * 8);
    if (b.value > 0 && eighths == 0) eighths = 1;  // visible, however small
    std::string bar;
    for (long i = 0; i < eighths / 8; ++i) bar += kFull;
    bar += kEighths[eighths % 8];
    long cells = eighths / 8 + (eighths % 8 ? 1 : 0);
    bar += std::string(static_cast<size_t>(bar_w - cells), ' ');
    // padded by the cells counted above (fmt would pad by its own estimate of the width)
    out.push_back(b.label + std::string(label_w - text_cells(b.label), ' ') + " " + bar + " " +
                  std::string(value_w - text_cells(b.value_text), ' ') + b.value_text);
  }
  return out;
}

}  // namespace ctrace::output::graph
