#pragma once
// Escaping of what the traced world names (comm, paths, argv, hostnames, cgroup, container, pod
// and image names) before it reaches a terminal, a log line or a Prometheus label: a container
// chooses those bytes, and raw they could clear the screen, move the cursor, set the window title,
// write the clipboard (OSC 52) or reorder a line (bidi overrides). Two rules live here:
//
// Text (escape_text: text columns, log lines on stderr, notices, Prometheus label values). The
// output is valid UTF-8 with no control character (Unicode Cc) and no bidi control, and it is
// reversible (unescape_text): a backslash starts exactly one of
//   \\   a backslash
//   \n \t \r                      those C0 bytes
//   \xNN  (two lowercase hex)     any other C0 byte, DEL (\x7f), and every byte that is not part
//                                 of valid UTF-8 (a raw C1 byte \x9b, a stray continuation, an
//                                 overlong form, a surrogate, a truncated sequence)
//   \uNNNN (four lowercase hex)   a valid UTF-8 character that is a C1 control (U+0080-U+009F,
//                                 \u009b) or a bidi control (Unicode's Bidi_Control property:
//                                 U+061C, U+200E-U+200F, U+202A-U+202E, U+2066-U+2069: \u202e)
// Everything else (printable ASCII, valid UTF-8 text: "café", "日本") is written as it is.
// \xNN, not strace's \33: fixed-width escapes need no rule for a digit that follows.
//
// strace (escape_strace: record/serve dumps, text and JSON alike): byte-identical with strace's
// default output, which the record tests compare against: printable ASCII as is,
// \n \t \r \v \f \\ \", every other byte (NUL, controls, DEL, bytes >= 0x80) as the shortest
// octal \ooo, padded to three digits when an octal digit follows (\0011 is NUL then '1').
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace ctrace {

std::string escape_text(std::string_view raw);
// The same, appended to `out` (no allocation when `raw` needs no escape).
void append_escaped_text(std::string& out, std::string_view raw);
// The bytes escape_text() was given; nullopt when `escaped` is not something it writes (a lone
// backslash, an unknown escape, a short \x or \u).
std::optional<std::string> unescape_text(std::string_view escaped);

// True when escape_text() would change nothing in `text` but its backslashes: no control, no bidi
// control, valid UTF-8. What a writer to the terminal checks text it was given escaped.
bool printable_text(std::string_view text);

std::string escape_strace(std::string_view raw);

// Terminal cells that `text` takes, for text that escape_text() wrote: one per ASCII byte, what
// the C.UTF-8 locale's wcwidth() says for other characters (2 for "日", 0 for a combining
// accent; 1 where it knows no width). A byte that is not valid UTF-8 counts one cell.
size_t text_cells(std::string_view text);

// Bytes of the unit that starts at text[i] (i < text.size()) in what escape_text() wrote: a
// whole escape ("\x1b", "\u202e", "\\") or one UTF-8 character, so that text cut at unit
// boundaries never ends inside an escape or a character.
size_t text_unit_size(std::string_view text, size_t i);

}  // namespace ctrace
