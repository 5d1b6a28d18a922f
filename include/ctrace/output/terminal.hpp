#pragma once
// FullScreen: a full-screen view on the terminal (alternate screen, no cursor, keys read
// one at a time without echo) that always gives the terminal back: on destruction (normal
// end, SIGINT/SIGTERM/SIGHUP through the StopToken, exceptions) and on the crash paths
// (std::terminate, SIGSEGV/SIGABRT/SIGBUS/SIGFPE) before the process dies.
#include <string>

namespace ctrace::output {

// Terminal width (columns) and height (rows) of stdout, or `fallback` when it is not a tty.
int terminal_width(int fallback = 80);
int terminal_height(int fallback = 20);

class FullScreen {
 public:
  // out_fd: the terminal to draw on; in_fd: where keys come from (raw mode only if a tty).
  FullScreen(int out_fd, int in_fd);
  ~FullScreen();
  FullScreen(const FullScreen&) = delete;
  FullScreen& operator=(const FullScreen&) = delete;

  // Replaces the screen's content with `text` (lines separated by '\n', each cut to the
  // terminal's width) in one write.
  void draw(const std::string& text);
  // A key pressed since the last call, or -1 (in_fd is non-blocking).
  int read_key();

  // Restores the terminal; async-signal-safe, idempotent (also used by the crash paths).
  static void restore() noexcept;
};

}  // namespace ctrace::output
