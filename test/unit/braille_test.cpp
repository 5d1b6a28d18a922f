// Braille line charts: golden output of small charts, labels, refused input, and the
// graph/json formatters' series().
#include <stdio.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "ctrace/core/error.hpp"
#include "ctrace/output/formatter.hpp"
#include "ctrace/output/graph.hpp"

using namespace ctrace;
using namespace ctrace::output;
using graph::LineSeries;
using graph::render_line_chart;

namespace {

std::string chart(const std::vector<double>& x, const std::vector<LineSeries>& s, int width, int height) {
  std::string out;
  for (const auto& l : render_line_chart(x, s, width, height)) out += l + "\n";
  return out;
}

// What a formatter writes for one series.
std::string format_series(Format f, const Series& s, FormatterOptions opts = {}) {
  char* buf = nullptr;
  size_t size = 0;
  FILE* mem = open_memstream(&buf, &size);
  // closed and freed on every path: a test expects series() to throw (LSan reports a leak)
  struct Closer {
    FILE* f;
    char** b;
    ~Closer() {
      std::fclose(f);
      std::free(*b);
    }
  } closer{mem, &buf};
  auto fmt = make_formatter(f, mem, opts);
  Schema schema;
  schema.type = "interval";
  fmt->begin(schema);
  fmt->series(s);
  fmt->end();
  std::fflush(mem);
  return std::string(buf, size);
}

}  // namespace

TEST_CASE("a flat series is a line on the top row", "[braille]") {
  CHECK(chart({0, 1, 2, 3}, {{"", {5, 5, 5, 5}}}, 12, 3) ==
        "⠉⠉⠉⠉⠉⠉⠉⠉ 5.0\n"
        "         0.0\n"
        "0.0      3.0\n");
}

TEST_CASE("a spike goes up to the max label and back to 0", "[braille]") {
  CHECK(chart({0, 1, 2, 3, 4, 5, 6, 7}, {{"", {0, 0, 0, 9, 0, 0, 0, 0}}}, 16, 5) ==
        "    ⢀⢇       9.0\n"
        "    ⢸⢸\n"
        "    ⡇ ⡇\n"
        "⣀⣀⣀⣰⠁ ⢱⣀⣀⣀⣀⣀ 0.0\n"
        "0.0          7.0\n");
}

TEST_CASE("a ramp is a diagonal", "[braille]") {
  CHECK(chart({0, 1, 2, 3, 4, 5, 6, 7}, {{"", {0, 1, 2, 3, 4, 5, 6, 7}}}, 14, 3) ==
        "     ⣀⡠⠔⠒⠉ 7.0\n"
        "⣀⠤⠒⠊⠉      0.0\n"
        "0.0        7.0\n");
}

TEST_CASE("all zero lies on the bottom row, max label 0", "[braille]") {
  CHECK(chart({0, 1, 2}, {{"", {0, 0, 0}}}, 12, 3) ==
        "         0.0\n"
        "⣀⣀⣀⣀⣀⣀⣀⣀ 0.0\n"
        "0.0      2.0\n");
}

TEST_CASE("a single point is one dot and one x label", "[braille]") {
  CHECK(chart({0.5}, {{"", {7}}}, 12, 3) ==
        "⠁        7.0\n"
        "         0.0\n"
        "0.5\n");
}

TEST_CASE("no points", "[braille]") {
  CHECK(chart({}, {{"", {}}}, 12, 3) == "(no data)\n");
}

TEST_CASE("width and height too small give the smallest chart: 2 columns, 1 row", "[braille]") {
  const std::string smallest =
      "⠔⠊ 3.0\n"
      "0.0 2.0\n";
  CHECK(chart({0, 1, 2}, {{"", {1, 2, 3}}}, 1, 1) == smallest);
  CHECK(chart({0, 1, 2}, {{"", {1, 2, 3}}}, 0, 0) == smallest);
  CHECK(chart({0, 1, 2}, {{"", {1, 2, 3}}}, -5, -5) == smallest);
}

TEST_CASE("a chart fills the width and height it is given", "[braille]") {
  auto lines = render_line_chart({0, 1, 2}, {{"", {1, 3, 2}}}, 30, 4);
  CHECK(lines == std::vector<std::string>{
                     "      ⢀⣀⡠⠤⠔⠒⠊⠉⠉⠒⠒⠒⠤⠤⠤⣀⣀⣀   3.0",
                     "⣀⠤⠤⠒⠒⠉⠁                 ⠉⠉",
                     "                           0.0",
                     "0.0                        2.0",
                 });
  // many more points than dots still fit in the width
  std::vector<double> x, y;
  for (int i = 0; i < 1000; ++i) x.push_back(i), y.push_back(i % 7);
  lines = render_line_chart(x, {{"", y}}, 20, 6);
  REQUIRE(lines.size() == 6);
  CHECK(lines.back().size() == 20);
  CHECK(lines[0].find("6.0") != std::string::npos);
}

TEST_CASE("huge values keep short labels", "[braille]") {
  CHECK(chart({0, 1}, {{"", {0, 1e18}}}, 20, 3) ==
        "     ⢀⣀⠤⠔⠒⠉ 1.00e+18\n"
        "⣀⠤⠔⠒⠉⠁           0.0\n"
        "0.0              1.0\n");
  CHECK_NOTHROW(render_line_chart({0, 1}, {{"", {std::numeric_limits<double>::max(), 0}}}, 20, 3));
}

TEST_CASE("several series are stacked panels with titles over one x axis", "[braille]") {
  CHECK(chart({0, 1, 2, 3}, {{"read", {1, 2, 3, 4}}, {"write", {4, 3, 2, 1}}}, 14, 7) ==
        "read\n"
        "  ⢀⣀⣀⠤⠤⠔⠒⠉ 4.0\n"
        "⠒⠉⠁        0.0\n"
        "write\n"
        "⠉⠒⠢⠤⠤⣀⣀⡀   4.0\n"
        "       ⠈⠉⠒ 0.0\n"
        "0.0        3.0\n");
}

TEST_CASE("negative, NaN and infinite values are refused", "[braille]") {
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(render_line_chart({0, 1}, {{"bytes", {0, -1}}}, 12, 3),
                    "chart: series 'bytes' has the value -1; only finite values >= 0 can be drawn");
  CHECK_THROWS_WITH(render_line_chart({0, 1}, {{"bytes", {0, std::nan("")}}}, 12, 3), Contains("value nan"));
  CHECK_THROWS_WITH(render_line_chart({0, 1}, {{"", {std::numeric_limits<double>::infinity(), 0}}}, 12, 3),
                    Contains("value inf"));
  CHECK_THROWS_AS(render_line_chart({0, std::nan("")}, {{"", {0, 1}}}, 12, 3), ctrace::Error);
  CHECK_THROWS_WITH(render_line_chart({1, 0}, {{"", {0, 1}}}, 12, 3), "chart: x goes back from 1 to 0");
  CHECK_THROWS_WITH(render_line_chart({0, 1}, {{"x", {0}}}, 12, 3),
                    "chart: series 'x' has 1 values for 2 x values");
}

TEST_CASE("axis labels", "[braille]") {
  CHECK(graph::format_axis_value(0) == "0.0");
  CHECK(graph::format_axis_value(10223616) == "10223616.0");
  CHECK(graph::format_axis_value(0.25) == "0.2");  // round half to even
  CHECK(graph::format_axis_value(48.04) == "48.0");
  CHECK(graph::format_axis_value(999999999999999.0) == "999999999999999.0");
  CHECK(graph::format_axis_value(1e15) == "1.00e+15");
  CHECK(graph::format_axis_value(1.234e20) == "1.23e+20");
}

TEST_CASE("graph format draws a series as a braille chart", "[braille][formatter]") {
  Series s{"s", {0, 1, 2, 3}, {{"bytes per 1000 ms", {5, 5, 5, 5}}}};
  CHECK(format_series(Format::Graph, s, {12, 4}) ==
        "bytes per 1000 ms\n"
        "⠉⠉⠉⠉⠉⠉⠉⠉ 5.0\n"
        "         0.0\n"
        "0.0      3.0\n");
  Series bad{"s", {0}, {{"bytes", {-1}}}};
  CHECK_THROWS_AS(format_series(Format::Graph, bad), ctrace::Error);
}

TEST_CASE("json format writes one object per point of a series", "[braille][formatter]") {
  Series s{"s", {0, 0.5}, {{"read", {1, 2}}, {"write", {3, 4.5}}}};
  std::string out = format_series(Format::Json, s);
  CHECK(out ==
        "{\"type\":\"interval\",\"s\":0.0,\"read\":1.0,\"write\":3.0}\n"
        "{\"type\":\"interval\",\"s\":0.5,\"read\":2.0,\"write\":4.5}\n");
  size_t start = 0;
  int n = 0;
  for (size_t nl; (nl = out.find('\n', start)) != std::string::npos; start = nl + 1, ++n)
    CHECK_NOTHROW(nlohmann::json::parse(out.substr(start, nl - start)));
  CHECK(n == 2);
}

TEST_CASE("a big chart is allocated and drawn without overflow", "[braille]") {
  // 1000 x 500 cells: the largest biograph accepts (--width/--height are bounded)
  std::vector<double> x{0, 1, 2}, y{0, 5, 10};
  auto lines = render_line_chart(x, {{"", y}}, 1000, 500);
  CHECK(lines.size() == 500);
}
