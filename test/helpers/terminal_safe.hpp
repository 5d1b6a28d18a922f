#pragma once
// Is this output safe on an operator's terminal? Shared by the unit tests, the fuzz_escape
// target and the hostile-fixture integration tests. Written apart from ctrace/core/escape.cpp
// (its own UTF-8 decoder) so that a mistake there is not repeated here.
#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ctrace::test {

struct TerminalSafeOptions {
  bool newlines = true;  // '\n' between rows
  bool tabs = false;     // '\t' where a format uses it
};

// nullopt when `text` is valid UTF-8 with no byte < 0x20 (but those allowed), no DEL, no C1
// control (raw or as U+0080-U+009F) and no bidi control; otherwise what is wrong and where.
inline std::optional<std::string> terminal_unsafe(std::string_view text, TerminalSafeOptions opts = {}) {
  auto where = [&](size_t i, const char* what) {
    size_t from = i < 24 ? 0 : i - 24;
    std::string around;
    for (size_t k = from; k < std::min(text.size(), i + 24); ++k) {
      auto c = static_cast<unsigned char>(text[k]);
      around += c >= 0x20 && c < 0x7f ? std::string(1, static_cast<char>(c)) : fmt::format("<{:02x}>", c);
    }
    return fmt::format("{} at byte {} of {}: ...{}...", what, i, text.size(), around);
  };
  for (size_t i = 0; i < text.size();) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      if (c == '\n' && opts.newlines) {
      } else if (c == '\t' && opts.tabs) {
      } else if (c < 0x20) {
        return where(i, "a C0 control byte");
      } else if (c == 0x7f) {
        return where(i, "DEL");
      }
      ++i;
      continue;
    }
    size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
    if (n == 0 || c > 0xf4 || i + n > text.size()) return where(i, "not UTF-8 (or a raw C1 byte)");
    uint32_t cp = c & (0x7f >> n);
    for (size_t k = 1; k < n; ++k) {
      auto b = static_cast<unsigned char>(text[i + k]);
      if ((b & 0xc0) != 0x80) return where(i, "not UTF-8");
      cp = cp << 6 | (b & 0x3f);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return where(i, "not UTF-8");
    if (cp <= 0x9f) return where(i, "a C1 control in UTF-8");
    if (cp == 0x061c || cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
        (cp >= 0x2066 && cp <= 0x2069))
      return where(i, "a bidi control");
    i += n;
  }
  return std::nullopt;
}

}  // namespace ctrace::test
