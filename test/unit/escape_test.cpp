// The escaping of text from the traced world (ctrace/core/escape.hpp), class by class, and the
// shared places that apply it: text and graph formatters, trace lines, log lines, Prometheus labels.
#include "ctrace/core/escape.hpp"

#include <spdlog/sinks/ostream_sink.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <nlohmann/json.hpp>
#include <sstream>

#include "../helpers/terminal_safe.hpp"
#include "ctrace/core/log.hpp"
#include "ctrace/enrich/sockaddr.hpp"
#include "ctrace/output/formatter.hpp"
#include "ctrace/output/graph.hpp"
#include "ctrace/output/metrics.hpp"
#include "ctrace/output/terminal.hpp"
#include "output/formatters.hpp"

using namespace ctrace;
using namespace std::string_literals;

namespace {

// escape_text(raw) is `want`, safe on a terminal, and reads back as `raw`.
void check_escape(const std::string& raw, const std::string& want) {
  INFO("raw: " << nlohmann::json(raw).dump(-1, ' ', true, nlohmann::json::error_handler_t::replace));
  std::string out = escape_text(raw);
  CHECK(out == want);
  CHECK(test::terminal_unsafe(out, {.newlines = false}) == std::nullopt);
  CHECK(unescape_text(out) == raw);
}

std::string lines_without_last_newline(std::string s) {
  if (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

}  // namespace

TEST_CASE("escape_text: printable ASCII and valid UTF-8 text stay as they are", "[escape]") {
  check_escape("", "");
  check_escape("web-1_a.b /usr/bin/python3 [x] \"q\" 'x' ~", "web-1_a.b /usr/bin/python3 [x] \"q\" 'x' ~");
  check_escape("caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x90\xb3 \xe2\x80\xa6",
               "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x90\xb3 \xe2\x80\xa6");
  // U+00A0 (just above C1), U+200D (zero-width joiner: not a bidi control), U+FEFF
  check_escape("\xc2\xa0\xe2\x80\x8d\xef\xbb\xbf", "\xc2\xa0\xe2\x80\x8d\xef\xbb\xbf");
}

TEST_CASE("escape_text: the backslash is escaped, so that the output is unambiguous", "[escape]") {
  check_escape("\\", "\\\\");
  check_escape("a\\x1b", "a\\\\x1b");  // a literal backslash-x-1-b is not an ESC
  check_escape("C:\\u202e", "C:\\\\u202e");
}

TEST_CASE("escape_text: C0 controls and DEL", "[escape]") {
  check_escape("a\nb\tc\rd", "a\\nb\\tc\\rd");
  check_escape("\x1b[2J\x1b]0;pwn\x07", "\\x1b[2J\\x1b]0;pwn\\x07");   // clear screen, set the title
  check_escape("\x1b]52;c;aGVsbG8=\x07", "\\x1b]52;c;aGVsbG8=\\x07");  // OSC 52 clipboard write
  check_escape("\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\",
               "\\x1b]8;;http://x\\x1b\\\\link\\x1b]8;;\\x1b\\\\");
  check_escape("\0"s, "\\x00");
  check_escape("\x01\x08\x0b\x0c\x1f", "\\x01\\x08\\x0b\\x0c\\x1f");
  check_escape("\x7f", "\\x7f");
  check_escape(
      "\x1b"
      "1",
      "\\x1b1");  // fixed width: a digit after needs no padding
  for (int c = 0; c < 0x20; ++c) {
    std::string raw(1, static_cast<char>(c));
    std::string out = escape_text(raw);
    CHECK(test::terminal_unsafe(out, {.newlines = false}) == std::nullopt);
    CHECK(unescape_text(out) == raw);
  }
}

TEST_CASE("escape_text: C1 controls, raw and in UTF-8", "[escape]") {
  // raw bytes 0x80-0x9f are never valid UTF-8 on their own: one \xNN each
  check_escape(
      "\x9b"
      "31m",
      "\\x9b31m");
  check_escape("\x85\x90\x9d\x9f", "\\x85\\x90\\x9d\\x9f");
  // U+0080-U+009F encoded in UTF-8 (C2 80 .. C2 9F): valid text, escaped by code point
  check_escape(
      "\xc2\x9b"
      "2J",
      "\\u009b2J");
  check_escape("\xc2\x80\xc2\x85\xc2\x9f", "\\u0080\\u0085\\u009f");
}

TEST_CASE("escape_text: bytes that are not UTF-8, one \\xNN each", "[escape]") {
  check_escape("\xff\xfe", "\\xff\\xfe");
  check_escape("a\xc3", "a\\xc3");                           // a sequence cut short at the end
  check_escape("\xc3(", "\\xc3(");                           // a lead byte without its continuation
  check_escape("\xe6\x97", "\\xe6\\x97");                    // 2 of 3 bytes
  check_escape("\xc0\x80", "\\xc0\\x80");                    // overlong NUL
  check_escape("\xe0\x80\xaf", "\\xe0\\x80\\xaf");           // overlong '/'
  check_escape("\xed\xa0\x80", "\\xed\\xa0\\x80");           // a UTF-16 surrogate
  check_escape("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80");  // above U+10FFFF
  check_escape("\xf8\x88\x80\x80\x80", "\\xf8\\x88\\x80\\x80\\x80");
  // the valid character after a bad byte is still text
  check_escape("\xa9\xc3\xa9", "\\xa9\xc3\xa9");
}

TEST_CASE("escape_text: bidi controls (Trojan Source) are escaped by code point", "[escape]") {
  check_escape(
      "evil\xe2\x80\xae"
      "txt.exe",
      "evil\\u202etxt.exe");  // RLO
  const std::pair<const char*, const char*> bidi[] = {
      {"\xd8\x9c", "\\u061c"},     {"\xe2\x80\x8e", "\\u200e"}, {"\xe2\x80\x8f", "\\u200f"},
      {"\xe2\x80\xaa", "\\u202a"}, {"\xe2\x80\xab", "\\u202b"}, {"\xe2\x80\xac", "\\u202c"},
      {"\xe2\x80\xad", "\\u202d"}, {"\xe2\x80\xae", "\\u202e"}, {"\xe2\x81\xa6", "\\u2066"},
      {"\xe2\x81\xa7", "\\u2067"}, {"\xe2\x81\xa8", "\\u2068"}, {"\xe2\x81\xa9", "\\u2069"},
  };
  for (const auto& [raw, want] : bidi) check_escape(raw, want);
  // their neighbours are ordinary text
  check_escape("\xe2\x80\xa9\xe2\x81\xaa", "\xe2\x80\xa9\xe2\x81\xaa");
}

TEST_CASE("escape_text: the issue's hostile names", "[escape]") {
  check_escape("\x1b[2J\x1b]0;pwn\x07", "\\x1b[2J\\x1b]0;pwn\\x07");
  check_escape("/bars-\x1b[31mred", "/bars-\\x1b[31mred");
  check_escape("/tmp/\x1b[5mblink-bars", "/tmp/\\x1b[5mblink-bars");
}

TEST_CASE("unescape_text refuses what escape_text never writes", "[escape]") {
  CHECK(unescape_text("\\") == std::nullopt);
  CHECK(unescape_text("a\\q") == std::nullopt);
  CHECK(unescape_text("\\x1") == std::nullopt);
  CHECK(unescape_text("\\xg0") == std::nullopt);
  CHECK(unescape_text("\\u202") == std::nullopt);
  CHECK(unescape_text("\\ud800") == std::nullopt);  // a surrogate has no UTF-8
  CHECK(unescape_text("\\u00e9") == "\xc3\xa9");
}

TEST_CASE("printable_text: what escape_text leaves as it is, backslashes aside", "[escape]") {
  CHECK(printable_text(""));
  CHECK(printable_text("caf\xc3\xa9 \xe6\x97\xa5 a\\x1b"));
  CHECK(printable_text(escape_text("\x1b[2J\xe2\x80\xae\x9b\xff\n")));
  for (const char* bad : {"\x1b", "\n", "\x7f", "\x9b", "\xc2\x9b", "\xe2\x80\xae", "\xff", "\xc3"})
    CHECK_FALSE(printable_text(bad));
}

TEST_CASE("escape_strace: strace's own escapes, unchanged for record dumps", "[escape]") {
  CHECK(escape_strace("\x1b[2J\x1b]0;pwn\x07") == "\\33[2J\\33]0;pwn\\7");
  CHECK(escape_strace("\x1b"
                      "1") == "\\0331");
  CHECK(escape_strace("a\"b\\c\n\t\r\v\f") == "a\\\"b\\\\c\\n\\t\\r\\v\\f");
  CHECK(escape_strace("\xc3\xa9\x7f") == "\\303\\251\\177");
}

TEST_CASE("text_cells counts what a terminal shows, text_unit_size never splits an escape", "[escape]") {
  CHECK(text_cells("") == 0);
  CHECK(text_cells("web") == 3);
  CHECK(text_cells(escape_text("\x1b[31m")) == 8);     // \x1b[31m
  CHECK(text_cells("caf\xc3\xa9") == 4);               // é is one cell
  CHECK(text_cells("\xe6\x97\xa5\xe6\x9c\xac") == 4);  // 日本: two wide characters
  CHECK(text_cells("e\xcc\x81") == 1);                 // e + combining acute
  CHECK(text_cells("\xff") == 1);
  std::string s = escape_text("a\x1b\xe2\x80\xae\\\xc3\xa9");  // a \x1b \u202e \\ é
  std::vector<std::string> units;
  for (size_t i = 0; i < s.size(); i += text_unit_size(s, i))
    units.push_back(s.substr(i, text_unit_size(s, i)));
  CHECK(units == std::vector<std::string>{"a", "\\x1b", "\\u202e", "\\\\", "\xc3\xa9"});
}

TEST_CASE("text formatter: string values are escaped once, at render time, JSON keeps the bytes",
          "[escape][formatter]") {
  Schema s;
  s.type = "ev";
  s.columns = {{"comm", "COMM", Align::Left, -1, "", 8},
               {"path", "PATH", Align::Left, -1, "", 12, false, Elide::Start},
               {"argv", "ARGV", Align::Left}};
  const std::string comm = "\x1b[2J\x1b]0;pwn\x07";
  const std::string path = "/tmp/\x1b[5mblink-bars";
  Record r;
  r.set("comm", comm).set("path", path).set("argv", Strings{"sh", "-c", "echo \x1b[31m"});
  auto text = output::render_to_string(output::Format::Text, [&](output::Formatter& f) {
    f.begin(s);
    f.record(r);
  });
  CHECK(test::terminal_unsafe(text) == std::nullopt);
  CHECK(text ==
        "COMM     PATH         ARGV\n"
        "\\x1b[2J\\x1b]0;pwn\\x07 \xe2\x80\xa6"
        "mblink-bars sh | -c | echo \\x1b[31m\n");
  // JSON: the original bytes, in JSON's own escapes
  auto js = output::render_to_string(output::Format::Json, [&](output::Formatter& f) {
    f.begin(s);
    f.record(r);
  });
  CHECK(js.find("\\u001b[2J") != std::string::npos);
  auto j = nlohmann::json::parse(js);
  CHECK(j["comm"] == comm);
  CHECK(j["path"] == path);
}

TEST_CASE("text formatter: elision cuts between escapes, widths count the escaped text",
          "[escape][formatter]") {
  Schema s;
  s.type = "ev";
  s.columns = {{"host", "HOST", Align::Left, -1, "", 6, false, Elide::End},
               {"cg", "CG", Align::Left, -1, "", 6, false, Elide::Start},
               {"pid", "PID", Align::Left}};
  Record r;
  r.set("host", "ab\x1b[1m").set("cg", "\x1b\x1b/x").set("pid", 7);
  auto text = output::render_to_string(output::Format::Text, [&](output::Formatter& f) {
    f.begin(s);
    f.record(r);
  });
  // "ab\x1b[1m" (9 cells) keeps "ab" and not "ab\x1": the whole \x1b does not fit in 5 cells
  CHECK(lines_without_last_newline(text) ==
        "HOST   CG     PID\n"
        "ab\xe2\x80\xa6    \xe2\x80\xa6/x    7");
  // a table is as wide as its widest escaped cell
  Table t;
  t.rows.push_back(r);
  Record plain;
  plain.set("host", "h").set("cg", "/c").set("pid", 8);
  t.rows.push_back(plain);
  auto table = output::render_to_string(output::Format::Text, [&](output::Formatter& f) {
    f.begin(s);
    f.table(t);
  });
  CHECK(table ==
        "HOST      CG         PID\n"
        "ab\\x1b[1m \\x1b\\x1b/x 7\n"
        "h         /c         8\n");
}

TEST_CASE("text and graph formatters escape titles and chart labels", "[escape][formatter]") {
  Schema s;
  s.type = "stat";
  s.columns = {{"name", "NAME", Align::Left}, {"count", "COUNT", Align::Right}};
  Table t;
  t.title = "CONTAINER \x1b[31mweb";
  t.label_key = "name";
  t.bar_key = "count";
  Record a, b;
  a.set("name", "\x1b[2Jx").set("count", 10);
  b.set("name", "y").set("count", 5);
  t.rows = {a, b};
  for (auto f : {output::Format::Text, output::Format::Graph}) {
    auto out = output::render_to_string(f, [&](output::Formatter& fm) {
      fm.begin(s);
      fm.table(t);
    });
    INFO(out);
    CHECK(test::terminal_unsafe(out) == std::nullopt);
    CHECK(out.find("CONTAINER \\x1b[31mweb\n") == 0);
    CHECK(out.find("\\x1b[2Jx") != std::string::npos);
  }
  // bars line up by the cells of their escaped labels
  auto lines = output::graph::render_bar_chart({{"\\x1b[2Jx", 10, "10"}, {"y", 5, "5"}}, 30);
  REQUIRE(lines.size() == 2);
  CHECK(text_cells(lines[0]) == text_cells(lines[1]));
  CHECK(lines[1].rfind("y        ", 0) == 0);
  Series series;
  series.x = {0, 1};
  series.y = {{"read \x1b[31m", {1, 2}}};
  auto chart = output::render_to_string(output::Format::Graph, [&](output::Formatter& fm) {
    fm.begin(s);
    fm.series(series);
  });
  CHECK(test::terminal_unsafe(chart) == std::nullopt);
  CHECK(chart.rfind("read \\x1b[31m\n", 0) == 0);
}

TEST_CASE("trace lines keep strace's escapes, and never carry a raw byte", "[escape][record]") {
  Record r;
  r.set("type", "syscall")
      .set("ts_ns", Spelled{1, "00:00.000000001"})
      .set("cpu", 0)
      .set("pid", 9)
      .set("tid", 9)
      .set("comm", escape_strace("\x1b[2J"))
      .set("name", "openat")
      .set("state", "complete")
      .set("args", Array{Object{{"name", "filename"}, {"value", 1}, {"str", escape_strace("/tmp/\x1b\\")}}})
      .set("ret", -2)
      .set("errno", "ENOENT");
  CHECK(output::trace_text(r) ==
        "00:00.000000001 cpu#0 pid 9 [\\33[2J] openat(filename=\"/tmp/\\33\\\\\") = -2 ENOENT");
  // a field that was not escaped (no record made by call_record() has one) is octal, not raw
  r.set("comm", "\x1b[2J");
  CHECK(output::trace_text(r).find("[\\33[2J]") != std::string::npos);
}

TEST_CASE("a dump's unix socket path is strace-escaped", "[escape][record]") {
  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  std::strcpy(un.sun_path, "/run/\x1b[31m.sock");
  CHECK(enrich::sockaddr_strace_text(&un, sizeof un) ==
        "{sa_family=AF_UNIX, sun_path=\"/run/\\33[31m.sock\"}");
}

TEST_CASE("the full screen cuts lines by cells between escapes and escapes what was not",
          "[escape][terminal]") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  std::string wide;
  for (int i = 0; i < 39; ++i) wide += "\xe6\x97\xa5";  // 78 cells
  {
    output::FullScreen screen(fds[1], fds[0]);  // a pipe: 80 columns, no raw mode
    screen.draw(wide + "ab\n" + std::string(77, 'x') + "\\x1b[2J\n" + "raw\x1b[2J\xe2\x80\xae");
  }
  ::close(fds[1]);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  // 78 cells of wide characters, then "ab" fits exactly; a \x1b that does not fit goes whole
  CHECK(out.find(wide + "ab\x1b[K\r\n") != std::string::npos);
  CHECK(out.find(std::string(77, 'x') + "\x1b[K\r\n") != std::string::npos);
  // a line that reached the screen unescaped is escaped there: no ESC of its own, no RLO
  CHECK(out.find("raw\\x1b[2J\\u202e\x1b[K") != std::string::npos);
  CHECK(out.find("\xe2\x80\xae") == std::string::npos);
}

TEST_CASE("log lines escape their message: a name in a warning cannot reach the terminal raw",
          "[escape][log]") {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_st>(out);
  spdlog::logger logger("escape-test", sink);
  logger.set_formatter(make_log_formatter());
  logger.warn("target cgroup {} was removed", "/bars-\x1b[31mred\nctrace: error: fake");
  CHECK(out.str() == "ctrace: warning: target cgroup /bars-\\x1b[31mred\\nctrace: error: fake was removed\n");
}

namespace {
class HostileSource final : public output::MetricsSource {
 public:
  void collect(prometheus::Registry& r) override {
    auto& f = output::counter_family(r, "ctrace_record_events_total");
    f.Add({{"trace", "web\x1b[2J\n\"q\"\\ \xff\xe2\x80\xae"}}).Increment(1);
    f.Add({{"trace", "plain"}}).Increment(2);
  }
};
}  // namespace

TEST_CASE("Prometheus label values are escaped: printable UTF-8, one line per sample", "[escape][metrics]") {
  output::MetricsExporter e;
  HostileSource src;
  e.add(src);
  std::string text = e.render();
  CHECK(test::terminal_unsafe(text) == std::nullopt);
  // our escapes, then the exposition's own (\\ and \")
  CHECK(
      text.find(
          "ctrace_record_events_total{trace=\"web\\\\x1b[2J\\\\n\\\"q\\\"\\\\\\\\ \\\\xff\\\\u202e\"} 1\n") !=
      std::string::npos);
  CHECK(text.find("ctrace_record_events_total{trace=\"plain\"} 2\n") != std::string::npos);
}
