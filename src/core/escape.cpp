#include "ctrace/core/escape.hpp"

#include <fmt/format.h>
#include <locale.h>

#include <algorithm>
#include <cwchar>

namespace ctrace {

namespace {

constexpr char kHex[] = "0123456789abcdef";

// Written as it is by the text rule: printable ASCII but the backslash.
bool plain(char c) {
  return c >= 0x20 && c < 0x7f && c != '\\';
}

// Bytes of the valid UTF-8 character at s[i] and its code point, or 0: strict (RFC 3629),
// so that no overlong form, surrogate or value above U+10FFFF passes as text.
size_t utf8_at(std::string_view s, size_t i, char32_t& cp) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  unsigned char c = byte(0);
  size_t n = 0;
  char32_t min = 0;
  if (c < 0x80) {
    cp = c;
    return 1;
  }
  if ((c & 0xe0) == 0xc0) {
    n = 2, cp = c & 0x1f, min = 0x80;
  } else if ((c & 0xf0) == 0xe0) {
    n = 3, cp = c & 0x0f, min = 0x800;
  } else if ((c & 0xf8) == 0xf0) {
    n = 4, cp = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (s.size() - i < n) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((byte(k) & 0xc0) != 0x80) return 0;
    cp = cp << 6 | (byte(k) & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

// Valid characters the text rule still escapes: C1 controls and Unicode's Bidi_Control set.
bool escaped_char(char32_t cp) {
  return (cp >= 0x80 && cp <= 0x9f) || cp == 0x061c || cp == 0x200e || cp == 0x200f ||
         (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

// The C escapes of both rules (strace's adds \v \f \"); nullptr for any other byte.
const char* c_escape(unsigned char c, bool strace) {
  switch (c) {
    case '\\':
      return "\\\\";
    case '\n':
      return "\\n";
    case '\t':
      return "\\t";
    case '\r':
      return "\\r";
    case '\v':
      return strace ? "\\v" : nullptr;
    case '\f':
      return strace ? "\\f" : nullptr;
    case '"':
      return strace ? "\\\"" : nullptr;
    default:
      return nullptr;
  }
}

void append_hex_byte(std::string& out, unsigned char c) {
  const char e[] = {'\\', 'x', kHex[c >> 4], kHex[c & 0xf]};
  out.append(e, sizeof e);
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

// The value of `digits` hex digits at s[i], or -1.
long hex_at(std::string_view s, size_t i, size_t digits) {
  if (s.size() < i + digits) return -1;
  long v = 0;
  for (size_t k = i; k < i + digits; ++k) {
    char c = s[k];
    int d = -1;
    if (c >= '0' && c <= '9') d = c - '0';
    if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

// wcwidth() of the C.UTF-8 locale (glibc's Unicode width tables), whatever locale the process
// runs in: ctrace never calls setlocale(), and "C" knows no width beyond ASCII.
int char_cells(char32_t cp) {
  static const locale_t utf8 = ::newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr));
  if (!utf8) return 1;
  locale_t old = ::uselocale(utf8);
  int w = ::wcwidth(static_cast<wchar_t>(cp));
  ::uselocale(old);
  return w < 0 ? 1 : w;
}

}  // namespace

void append_escaped_text(std::string& out, std::string_view raw) {
  size_t i = 0;
  while (i < raw.size()) {
    size_t run = i;
    while (run < raw.size() && plain(raw[run])) ++run;
    out.append(raw.substr(i, run - i));
    if (run == raw.size()) break;
    i = run;
    auto c = static_cast<unsigned char>(raw[i]);
    if (c < 0x80) {
      if (const char* e = c_escape(c, false))
        out += e;
      else
        append_hex_byte(out, c);  // other C0, DEL
      ++i;
      continue;
    }
    char32_t cp = 0;
    size_t n = utf8_at(raw, i, cp);
    if (n == 0) {
      append_hex_byte(out, c);  // not UTF-8: this byte alone, the next one is looked at again
      ++i;
    } else if (escaped_char(cp)) {
      const char e[] = {'\\',          'u', kHex[cp >> 12], kHex[(cp >> 8) & 0xf], kHex[(cp >> 4) & 0xf],
                        kHex[cp & 0xf]};  // cp < 0x10000: C1 and the bidi controls
      out.append(e, sizeof e);
      i += n;
    } else {
      out.append(raw.substr(i, n));
      i += n;
    }
  }
}

std::string escape_text(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  append_escaped_text(out, raw);
  return out;
}

std::optional<std::string> unescape_text(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    if (s[i] != '\\') {
      out += s[i++];
      continue;
    }
    if (i + 1 == s.size()) return std::nullopt;
    switch (s[i + 1]) {
      case '\\':
        out += '\\';
        break;
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case 'r':
        out += '\r';
        break;
      case 'x': {
        long v = hex_at(s, i + 2, 2);
        if (v < 0) return std::nullopt;
        out += static_cast<char>(v);
        i += 4;
        continue;
      }
      case 'u': {
        long v = hex_at(s, i + 2, 4);
        if (v < 0 || (v >= 0xd800 && v <= 0xdfff)) return std::nullopt;
        append_utf8(out, static_cast<char32_t>(v));
        i += 6;
        continue;
      }
      default:
        return std::nullopt;
    }
    i += 2;
  }
  return out;
}

bool printable_text(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7f) return false;
      ++i;
      continue;
    }
    char32_t cp = 0;
    size_t n = utf8_at(text, i, cp);
    if (n == 0 || escaped_char(cp)) return false;
    i += n;
  }
  return true;
}

std::string escape_strace(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (size_t i = 0; i < bytes.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(bytes[i]);
    if (const char* e = c_escape(c, true)) {
      out += e;
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      // strace: shortest octal unless a digit follows
      bool digit_next = i + 1 < bytes.size() && bytes[i + 1] >= '0' && bytes[i + 1] <= '7';
      out += digit_next ? fmt::format("\\{:03o}", c) : fmt::format("\\{:o}", c);
    }
  }
  return out;
}

size_t text_cells(std::string_view text) {
  size_t cells = 0;
  for (size_t i = 0; i < text.size();) {
    if (static_cast<unsigned char>(text[i]) < 0x80) {
      ++cells, ++i;
      continue;
    }
    char32_t cp = 0;
    size_t n = utf8_at(text, i, cp);
    cells += n ? static_cast<size_t>(char_cells(cp)) : 1;
    i += n ? n : 1;
  }
  return cells;
}

size_t text_unit_size(std::string_view text, size_t i) {
  if (text[i] == '\\') {
    if (i + 1 == text.size()) return 1;
    size_t n = text[i + 1] == 'x' ? 4 : text[i + 1] == 'u' ? 6 : 2;
    return std::min(n, text.size() - i);
  }
  char32_t cp = 0;
  size_t n = utf8_at(text, i, cp);
  return n ? n : 1;
}

}  // namespace ctrace
