// Formatters: golden text, JSON parsed back field by field, graph bar chart lines.
#include "ctrace/output/formatter.hpp"

#include <stdio.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>

#include "ctrace/core/error.hpp"
#include "ctrace/output/graph.hpp"
#include "output/formatters.hpp"

using namespace ctrace;
using namespace ctrace::output;
using json = nlohmann::ordered_json;

namespace {

// stat's columns, with or without -L.
Schema stat_schema(bool latency) {
  Schema s;
  s.type = "stat";
  s.columns = {
      {"name", "SYSCALL", Align::Left},
      {"count", "COUNT", Align::Right},
      {"count_pct", "(%)", Align::Right, 2, "%"},
      {"elapsed_ms", "ELAPSED(ms)", Align::Right, 3},
      {"elapsed_pct", "(%)", Align::Right, 2, "%"},
      {"errors", "ERRORS", Align::Right},
  };
  if (latency) {
    s.columns.push_back({"avg_us", "AVG(us)", Align::Right, 3});
    s.columns.push_back({"max_us", "MAX(us)", Align::Right, 3});
  }
  return s;
}

Record row(const char* name, unsigned nr, uint64_t count, double count_pct, double ms, double ms_pct,
           uint64_t errors, double avg_us, double max_us) {
  Record r;
  r.set("name", name)
      .set("nr", nr)
      .set("count", count)
      .set("count_pct", count_pct)
      .set("elapsed_ms", ms)
      .set("elapsed_pct", ms_pct)
      .set("errors", errors)
      .set("avg_us", avg_us)
      .set("max_us", max_us);
  return r;
}

// A table shaped like one `ctrace stat` prints.
Table stat_table() {
  Table t;
  t.rows_key = "syscalls";
  t.label_key = "name";
  t.bar_key = "count";
  t.rows.push_back(row("read", 0, 24681, 75.0, 2208.344, 60.0, 0, 89.475, 1500.25));
  t.rows.push_back(row("openat", 257, 8227, 25.0, 1472.229, 40.0, 113, 178.951, 20000.5));
  Record total;
  total.set("name", "ALL")
      .set("count", uint64_t{32908})
      .set("elapsed_ms", 3680.573)
      .set("errors", uint64_t{113})
      .set("avg_us", 111.844)
      .set("max_us", 20000.5);
  t.total = total;
  Object target{
      {"mode", "cgroup"}, {"cgroup", "/ctrace-test"}, {"cgroup_id", uint64_t{4242}}, {"exact", false}};
  t.meta.emplace_back("target", target);
  t.meta.emplace_back("duration_ms", 1500.5);
  return t;
}

// Runs `f` on a formatter writing to memory and returns what it wrote.
template <typename F>
std::string render(Format format, F&& f, FormatterOptions opts = {}) {
  char* buf = nullptr;
  size_t size = 0;
  FILE* mem = ::open_memstream(&buf, &size);
  {
    auto fmt = make_formatter(format, mem, opts);
    f(*fmt);
  }
  std::fclose(mem);
  std::string out(buf, size);
  std::free(buf);
  return out;
}

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

}  // namespace

TEST_CASE("text table: aligned columns and a total row", "[formatter]") {
  auto out = render(Format::Text, [](Formatter& f) {
    f.begin(stat_schema(false));
    f.table(stat_table());
    f.end();
  });
  CHECK(out ==
        "SYSCALL COUNT    (%) ELAPSED(ms)    (%) ERRORS\n"
        "read    24681 75.00%    2208.344 60.00%      0\n"
        "openat   8227 25.00%    1472.229 40.00%    113\n"
        "----------------\n"
        "ALL     32908    ---    3680.573    ---    113\n");
}

TEST_CASE("text table with -L columns", "[formatter]") {
  auto out = render(Format::Text, [](Formatter& f) {
    f.begin(stat_schema(true));
    f.table(stat_table());
  });
  CHECK(out ==
        "SYSCALL COUNT    (%) ELAPSED(ms)    (%) ERRORS AVG(us)   MAX(us)\n"
        "read    24681 75.00%    2208.344 60.00%      0  89.475  1500.250\n"
        "openat   8227 25.00%    1472.229 40.00%    113 178.951 20000.500\n"
        "----------------\n"
        "ALL     32908    ---    3680.573    ---    113 111.844 20000.500\n");
}

TEST_CASE("text table: an empty table still has its header and total", "[formatter]") {
  Table t = stat_table();
  t.rows.clear();
  t.total = Record{};
  t.total->set("name", "ALL").set("count", uint64_t{0}).set("elapsed_ms", 0.0).set("errors", uint64_t{0});
  auto out = render(Format::Text, [&](Formatter& f) {
    f.begin(stat_schema(false));
    f.table(t);
  });
  CHECK(out ==
        "SYSCALL COUNT (%) ELAPSED(ms) (%) ERRORS\n"
        "----------------\n"
        "ALL         0 ---       0.000 ---      0\n");
}

TEST_CASE("text histogram after the table, bcc style", "[formatter]") {
  Table t = stat_table();
  Histogram h;
  h.title = "read";
  h.unit = "usecs";
  h.buckets = {{0, 0, 0}, {1, 1, 10}, {2, 3, 40}, {4, 7, 5}};
  t.histograms.push_back(h);
  auto lines = lines_of(render(Format::Text, [&](Formatter& f) {
    f.begin(stat_schema(false));
    f.table(t);
  }));
  REQUIRE(lines.size() == 12);
  CHECK(lines[5] == "");
  CHECK(lines[6] == "read latency histogram:");
  CHECK(lines[7] == "                   usecs : count      distribution");
  CHECK(lines[8] == "         0 -> 0          : 0          |                                        |");
  CHECK(lines[9] == "         1 -> 1          : 10         |**********                              |");
  CHECK(lines[10] == "         2 -> 3          : 40         |****************************************|");
  CHECK(lines[11] == "         4 -> 7          : 5          |*****                                   |");
}

TEST_CASE("json: one document, \"type\" first, fields in order, numbers exact", "[formatter]") {
  Table t = stat_table();
  t.lost = 3;
  Histogram h{"read", "usecs", {{1, 1, 10}, {2, 3, 40}}};
  t.histograms.push_back(h);
  auto out = render(Format::Json, [&](Formatter& f) {
    f.begin(stat_schema(true));
    f.table(t);
    f.end();
  });
  // exactly one line
  REQUIRE(!out.empty());
  CHECK(out.back() == '\n');
  CHECK(out.find('\n') == out.size() - 1);

  json doc = json::parse(out);
  std::vector<std::string> keys;
  for (auto it = doc.begin(); it != doc.end(); ++it) keys.push_back(it.key());
  CHECK(keys ==
        std::vector<std::string>{"type", "target", "duration_ms", "syscalls", "total", "histograms", "lost"});
  CHECK(doc["type"] == "stat");
  CHECK(doc["target"]["mode"] == "cgroup");
  CHECK(doc["target"]["cgroup"] == "/ctrace-test");
  CHECK(doc["target"]["cgroup_id"] == 4242);
  CHECK(doc["target"]["exact"] == false);
  CHECK(doc["duration_ms"] == 1500.5);
  CHECK(doc["lost"] == 3);

  REQUIRE(doc["syscalls"].size() == 2);
  const json& read = doc["syscalls"][0];
  std::vector<std::string> row_keys;
  for (auto it = read.begin(); it != read.end(); ++it) row_keys.push_back(it.key());
  CHECK(row_keys == std::vector<std::string>{"name", "nr", "count", "count_pct", "elapsed_ms", "elapsed_pct",
                                             "errors", "avg_us", "max_us"});
  CHECK(read["name"] == "read");
  CHECK(read["nr"] == 0);
  CHECK(read["count"] == 24681);
  CHECK(read["count_pct"] == 75.0);
  CHECK(read["elapsed_ms"] == 2208.344);
  CHECK(read["elapsed_pct"] == 60.0);
  CHECK(read["errors"] == 0);
  CHECK(read["avg_us"] == 89.475);
  CHECK(read["max_us"] == 1500.25);
  CHECK(doc["syscalls"][1]["name"] == "openat");
  CHECK(doc["syscalls"][1]["nr"] == 257);
  CHECK(doc["syscalls"][1]["errors"] == 113);

  CHECK(doc["total"]["name"] == "ALL");
  CHECK(doc["total"]["count"] == 32908);
  CHECK(doc["total"]["errors"] == 113);
  CHECK(doc["total"]["elapsed_ms"] == 3680.573);
  CHECK_FALSE(doc["total"].contains("count_pct"));

  REQUIRE(doc["histograms"].size() == 1);
  CHECK(doc["histograms"][0]["name"] == "read");
  CHECK(doc["histograms"][0]["unit"] == "usecs");
  CHECK(doc["histograms"][0]["buckets"][1] == json({{"low", 2}, {"high", 3}, {"count", 40}}));
}

TEST_CASE("json: one document per table (interval output)", "[formatter]") {
  auto out = render(Format::Json, [&](Formatter& f) {
    f.begin(stat_schema(false));
    for (int i = 1; i <= 3; ++i) {
      Table t = stat_table();
      t.meta.emplace_back("interval", i);
      f.table(t);
    }
    f.lost(7);
  });
  auto lines = lines_of(out);
  REQUIRE(lines.size() == 4);
  for (int i = 0; i < 3; ++i) {
    json doc = json::parse(lines[static_cast<size_t>(i)]);
    CHECK(doc.begin().key() == "type");
    CHECK(doc["interval"] == i + 1);
  }
  CHECK(json::parse(lines[3]) == json({{"type", "lost"}, {"count", 7}}));
}

TEST_CASE("json: strings that are not UTF-8 still give a parseable line", "[formatter]") {
  auto out = render(Format::Json, [&](Formatter& f) {
    f.begin(stat_schema(false));
    Record r;
    r.set("path", std::string("/tmp/\xff\xfe\"quoted\"\n"));
    f.record(r);
  });
  json doc = json::parse(out);
  CHECK(doc.begin().key() == "type");
  CHECK(doc["path"].get<std::string>().find("\"quoted\"\n") != std::string::npos);
}

TEST_CASE("graph: a bar per syscall, scaled to the largest", "[formatter]") {
  auto out = render(Format::Graph,
                    [](Formatter& f) {
                      f.begin(stat_schema(false));
                      f.table(stat_table());
                    },
                    {40, 20});
  // width 40: label 6, bar 26, value 5, two separators, and the last column left free;
  // 8227 / 24681 of 26 cells = 8 5/8 cells
  CHECK(out ==
        "COUNT\n"
        "read   ██████████████████████████ 24681\n"
        "openat ████████▋                   8227\n");
}

TEST_CASE("bar chart: eighth blocks, tiny values stay visible, bad values are empty", "[formatter]") {
  using graph::Bar;
  auto lines = graph::render_bar_chart({{"a", 8, "8"},
                                        {"b", 3, "3"},
                                        {"c", 0.01, "0.01"},
                                        {"d", -1, "-1"},
                                        {"e", std::nan(""), "nan"},
                                        {"f", 0, "0"}},
                                       12);
  // bar width 12 - 1 - 4 - 3 = 4 cells = 32 eighths; 3/8 of it = 12 eighths = 1.5 cells
  REQUIRE(lines.size() == 6);
  CHECK(lines[0] == "a ████    8");
  CHECK(lines[1] == "b █▌      3");
  CHECK(lines[2] == "c ▏    0.01");
  CHECK(lines[3] == "d        -1");
  CHECK(lines[4] == "e       nan");
  CHECK(lines[5] == "f         0");
}

TEST_CASE("render_histogram without buckets prints only the header", "[formatter]") {
  Histogram h{"getppid", "usecs", {}};
  auto lines = render_histogram(h);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0] == "                   usecs : count      distribution");
}

TEST_CASE("format names", "[formatter]") {
  CHECK(std::string(to_string(Format::Json)) == "json");
  CHECK(std::string(to_string(Format::Graph)) == "graph");
}

TEST_CASE("text table: an interval without rows prints its time and one line, not a squeezed header",
          "[formatter]") {
  Table t = stat_table();
  t.rows.clear();
  t.title = "2026-11-30T12:00:01.000Z";
  t.empty_text = "no syscalls";
  auto out = render(Format::Text, [&](Formatter& f) {
    f.begin(stat_schema(false));
    f.table(t);
  });
  CHECK(out == "2026-11-30T12:00:01.000Z\nno syscalls\n");
  // with rows: the title line, then the table as before
  Table full = stat_table();
  full.title = "2026-11-30T12:00:02.000Z";
  full.empty_text = "no syscalls";
  auto out2 = render(Format::Text, [&](Formatter& f) {
    f.begin(stat_schema(false));
    f.table(full);
  });
  CHECK(lines_of(out2).at(0) == "2026-11-30T12:00:02.000Z");
  CHECK(lines_of(out2).at(1) == "SYSCALL COUNT    (%) ELAPSED(ms)    (%) ERRORS");
}

TEST_CASE("text stream: values wider than their column are shortened, the columns stay aligned",
          "[formatter]") {
  Schema s;
  s.type = "ev";
  s.columns = {{"hostname", "HOSTNAME", Align::Left, -1, "", 10, false, Elide::End},
               {"cgroup", "CGROUP", Align::Left, -1, "", 10, false, Elide::Start},
               {"pid", "PID", Align::Left, -1, "", 5},
               {"detail", "DETAIL", Align::Left}};
  auto out = render(Format::Text, [&](Formatter& f) {
    f.begin(s);
    Record a;
    a.set("hostname", "web").set("cgroup", "/a").set("pid", 1).set("detail", "x");
    Record b;
    b.set("hostname", "a-very-long-hostname-of-a-pod")
        .set("cgroup", "/kubepods.slice/pod1/cri-containerd-77aa.scope")
        .set("pid", 2)
        .set("detail", "y");
    f.record(a);
    f.record(b);
  });
  auto l = lines_of(out);
  REQUIRE(l.size() == 3);
  CHECK(l[0] == "HOSTNAME   CGROUP     PID   DETAIL");
  CHECK(l[1] == "web        /a         1     x");
  CHECK(l[2] == "a-very-lo\u2026 \u20267aa.scope 2     y");
  // JSON keeps them whole
  auto js = render(Format::Json, [&](Formatter& f) {
    f.begin(s);
    Record b;
    b.set("hostname", "a-very-long-hostname-of-a-pod");
    f.record(b);
  });
  CHECK(json::parse(js)["hostname"] == "a-very-long-hostname-of-a-pod");
}
