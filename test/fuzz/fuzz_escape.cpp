// The escaping of traced-world text (ctrace/core/escape.hpp) on any bytes, and a text stream's
// columns built from them. On every input:
//   escape_text: no C0 at all, no DEL, no C1 (raw or in UTF-8), valid UTF-8, no bidi control;
//                unescape_text gives the input back; printable_text agrees; its units (text_unit_size) tile
//                it, and each escape unit reads back alone.
//   escape_strace: printable ASCII only, and strace's escapes read back as the input.
//   the text formatter: a line of hostile columns is terminal-safe, its elided columns exactly
//                their width in cells, whatever the widths.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "../helpers/terminal_safe.hpp"
#include "ctrace/core/escape.hpp"
#include "ctrace/output/formatter.hpp"

using namespace ctrace;

namespace {

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "fuzz check failed: %s\n%s\n", what, detail.c_str());
  std::abort();
}

// strace's escapes read back: \n \t \r \v \f \\ \" and octal of 1 to 3 digits.
std::optional<std::string> unescape_strace(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\') {
      out += s[i];
      continue;
    }
    if (++i == s.size()) return std::nullopt;
    switch (s[i]) {
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case 'r':
        out += '\r';
        break;
      case 'v':
        out += '\v';
        break;
      case 'f':
        out += '\f';
        break;
      case '\\':
        out += '\\';
        break;
      case '"':
        out += '"';
        break;
      default: {
        int v = 0, digits = 0;
        while (digits < 3 && i < s.size() && s[i] >= '0' && s[i] <= '7') v = v * 8 + (s[i++] - '0'), ++digits;
        if (digits == 0 || v > 0xff) return std::nullopt;
        out += static_cast<char>(v);
        --i;
      }
    }
  }
  return out;
}

void check_text(const std::string& raw) {
  std::string out = escape_text(raw);
  if (auto bad = test::terminal_unsafe(out, {.newlines = false})) fail("escape_text left", *bad);
  if (unescape_text(out) != raw) fail("unescape_text(escape_text(x)) != x", out);
  if (!printable_text(out)) fail("printable_text refuses what escape_text wrote", out);
  // printable: nothing but its backslashes to escape
  std::string doubled;
  for (char c : raw) doubled += c == '\\' ? std::string("\\\\") : std::string(1, c);
  if (printable_text(raw) != (out == doubled)) fail("printable_text disagrees with escape_text", out);
  for (size_t i = 0, n = 0; i < out.size(); i += n) {
    n = text_unit_size(out, i);
    if (n == 0 || i + n > out.size()) fail("a unit outside the text", out);
    if (out[i] == '\\') {
      auto one = unescape_text(std::string_view(out).substr(i, n));
      if (!one) fail("an escape unit that does not read back alone", out.substr(i, n));
    }
  }
}

void check_strace(const std::string& raw) {
  std::string out = escape_strace(raw);
  for (char c : out)
    if (c < 0x20 || c >= 0x7f) fail("escape_strace left a byte outside printable ASCII", out);
  if (unescape_strace(out) != raw) fail("strace's escapes do not read back", out);
}

void check_columns(FuzzedDataProvider& in) {
  int w1 = in.ConsumeIntegralInRange<int>(0, 40), w2 = in.ConsumeIntegralInRange<int>(0, 40);
  std::string a = in.ConsumeRandomLengthString(64), b = in.ConsumeRandomLengthString(64);
  std::string last = in.ConsumeRemainingBytesAsString();
  Schema s{"fuzz",
           {{"a", "A", Align::Left, -1, "", w1, false, Elide::End},
            {"b", "B", Align::Right, -1, "", w2, false, Elide::Start},
            {"c", "C", Align::Left}}};
  Record r;
  r.set("a", a).set("b", b).set("c", last);
  std::string text = output::render_to_string(output::Format::Text, [&](output::Formatter& f) {
    f.begin(s);
    f.record(r);
  });
  if (auto bad = test::terminal_unsafe(text)) fail("a text line left", *bad);
  std::string line = text.substr(text.find('\n') + 1);
  line.pop_back();
  // an elided column is exactly its width (a wide character that does not fit leaves a space)
  auto shown = [](const std::string& v, int w) {
    size_t cells = text_cells(escape_text(v)), width = static_cast<size_t>(w);
    return w >= 2 ? width : std::max(cells, width);
  };
  size_t want = shown(a, w1) + 1 + shown(b, w2) + 1 + text_cells(escape_text(last));
  if (text_cells(line) != want) fail("columns are not as wide as their cells", line);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string raw(reinterpret_cast<const char*>(data), size);
  check_text(raw);
  check_strace(raw);
  FuzzedDataProvider in(data, size);
  check_columns(in);
  return 0;
}
