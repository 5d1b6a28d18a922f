#include "ctrace/output/terminal.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <exception>
#include <string_view>

#include "ctrace/core/error.hpp"
#include "ctrace/core/escape.hpp"

namespace ctrace::output {

namespace {

// Alternate screen on, cursor hidden / cursor shown, alternate screen off.
constexpr char kEnter[] = "\033[?1049h\033[?25l";
constexpr char kLeave[] = "\033[?25h\033[?1049l";

// What restore() needs, kept in plain globals: it runs in signal handlers.
std::atomic<bool> g_active{false};
int g_out_fd = -1;
int g_in_fd = -1;
bool g_have_termios = false;
struct termios g_saved_termios;
int g_saved_in_flags = -1;
std::terminate_handler g_previous_terminate = nullptr;
struct sigaction g_previous_fatal[4];
constexpr int kFatalSignals[4] = {SIGSEGV, SIGABRT, SIGBUS, SIGFPE};

void write_all(int fd, const char* s, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, s, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    s += w;
    n -= static_cast<size_t>(w);
  }
}

void fatal_signal(int sig) {
  FullScreen::restore();
  // Back to the previous disposition (default: core dump) and let the signal do its work.
  for (size_t i = 0; i < 4; ++i)
    if (kFatalSignals[i] == sig) ::sigaction(sig, &g_previous_fatal[i], nullptr);
  ::raise(sig);
}

void on_terminate() {
  FullScreen::restore();
  if (g_previous_terminate) g_previous_terminate();
  std::abort();
}

}  // namespace

FullScreen::FullScreen(int out_fd, int in_fd) {
  g_out_fd = out_fd;
  g_in_fd = in_fd;
  if (::isatty(in_fd) && ::tcgetattr(in_fd, &g_saved_termios) == 0) {
    g_have_termios = true;
    struct termios raw = g_saved_termios;
    // Keys arrive one at a time and are not echoed; Ctrl-C still raises SIGINT (ISIG kept).
    raw.c_lflag &= static_cast<tcflag_t>(~(ICANON | ECHO));
    raw.c_cc[VMIN] = 0;
    raw.c_cc[VTIME] = 0;
    ::tcsetattr(in_fd, TCSAFLUSH, &raw);
  }
  g_saved_in_flags = ::fcntl(in_fd, F_GETFL);
  if (g_saved_in_flags >= 0) ::fcntl(in_fd, F_SETFL, g_saved_in_flags | O_NONBLOCK);
  g_previous_terminate = std::set_terminate(on_terminate);
  struct sigaction sa {};
  sa.sa_handler = fatal_signal;
  sigemptyset(&sa.sa_mask);
  for (size_t i = 0; i < 4; ++i) ::sigaction(kFatalSignals[i], &sa, &g_previous_fatal[i]);
  g_active.store(true);
  write_all(out_fd, kEnter, sizeof kEnter - 1);
}

FullScreen::~FullScreen() {
  restore();
  std::set_terminate(g_previous_terminate);
  for (size_t i = 0; i < 4; ++i) ::sigaction(kFatalSignals[i], &g_previous_fatal[i], nullptr);
}

void FullScreen::restore() noexcept {
  if (!g_active.exchange(false)) return;
  write_all(g_out_fd, kLeave, sizeof kLeave - 1);
  if (g_have_termios) ::tcsetattr(g_in_fd, TCSAFLUSH, &g_saved_termios);
  if (g_saved_in_flags >= 0) ::fcntl(g_in_fd, F_SETFL, g_saved_in_flags);
}

void FullScreen::draw(const std::string& text) {
  // Lines longer than the terminal would wrap and scroll the frame: each is cut to its width in
  // cells, between whole escapes and characters. The formatter escaped every name in them; a
  // line that is not printable all the same is escaped here, so that nothing in a frame can move
  // the cursor or change a mode.
  winsize ws{};
  size_t width = ::ioctl(g_out_fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 ? ws.ws_col : 80;
  auto cut = [width](std::string_view given) {
    std::string line = printable_text(given) ? std::string(given) : escape_text(given);
    size_t cells = 0, i = 0;
    while (i < line.size()) {
      size_t n = text_unit_size(line, i), w = text_cells(std::string_view(line).substr(i, n));
      if (cells + w > width) break;
      cells += w;
      i += n;
    }
    line.resize(i);
    return line;
  };
  std::string_view rest(text);
  if (!rest.empty() && rest.back() == '\n') rest.remove_suffix(1);
  // Home, then each line cleared to its end, then the rest of the screen cleared: no flicker.
  std::string frame = "\033[H";
  size_t start = 0;
  while (start <= rest.size()) {
    size_t nl = rest.find('\n', start);
    if (nl == std::string::npos) nl = rest.size();
    frame += cut(rest.substr(start, nl - start));
    frame += "\033[K";
    if (nl >= rest.size()) break;
    frame += "\r\n";
    start = nl + 1;
  }
  frame += "\033[J";
  write_all(g_out_fd, frame.data(), frame.size());
}

int FullScreen::read_key() {
  unsigned char c = 0;
  ssize_t n = ::read(g_in_fd, &c, 1);
  return n == 1 ? c : -1;
}

int terminal_width(int fallback) {
  winsize ws{};
  if (::isatty(STDOUT_FILENO) && ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
    return ws.ws_col;
  return fallback;
}

int terminal_height(int fallback) {
  winsize ws{};
  if (::isatty(STDOUT_FILENO) && ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0)
    return ws.ws_row;
  return fallback;
}

}  // namespace ctrace::output
