#include "ctrace/core/stop.hpp"

#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>

#include "ctrace/core/error.hpp"

namespace ctrace {

namespace {
StopToken* g_token = nullptr;
// The eventfd of each signal_eventfd() signal, for its handler.
std::atomic<int> g_signal_fds[NSIG];

void notify_handler(int sig) {
  int saved = errno;
  uint64_t one = 1;
  if (int fd = g_signal_fds[sig].load(); fd >= 0) [[maybe_unused]]
    ssize_t n = ::write(fd, &one, sizeof one);
  errno = saved;
}
}  // namespace

const char* to_string(StopReason r) {
  switch (r) {
    case StopReason::None:
      return "none";
    case StopReason::Interrupted:
      return "interrupted";
    case StopReason::Terminated:
      return "terminated";
    case StopReason::OutputClosed:
      return "output closed";
    case StopReason::Duration:
      return "duration elapsed";
    case StopReason::TargetExited:
      return "target exited";
  }
  return "?";
}

void stop_signal_handler(int sig) {
  if (!g_token) return;
  int saved = errno;
  g_token->request_stop(sig == SIGINT    ? StopReason::Interrupted
                        : sig == SIGPIPE ? StopReason::OutputClosed
                                         : StopReason::Terminated);
  errno = saved;
}

StopToken::StopToken() {
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) throw Error("eventfd: {}", errno_string(errno));
}

StopToken& StopToken::install() {
  static StopToken token;
  if (!g_token) {
    g_token = &token;
    struct sigaction sa {};
    sa.sa_handler = stop_signal_handler;
    sigemptyset(&sa.sa_mask);
    // SIGHUP (a closed terminal, a dropped ssh session) ends a run like SIGTERM: summary
    // printed, `-- CMD` stopped and its cgroup removed, serve's socket removed.
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGPIPE}) ::sigaction(sig, &sa, nullptr);
  }
  return token;
}

// Async-signal-safe: an atomic compare-exchange and a write(2).
void StopToken::request_stop(StopReason r) {
  StopReason expected = StopReason::None;
  reason_.compare_exchange_strong(expected, r, std::memory_order_acq_rel);
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof one);
}

}  // namespace ctrace

namespace ctrace {

UniqueFd signal_eventfd(int sig) {
  UniqueFd fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!fd) throw Error("eventfd: {}", errno_string(errno));
  g_signal_fds[sig].store(fd.get());
  struct sigaction sa {};
  sa.sa_handler = notify_handler;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  ::sigaction(sig, &sa, nullptr);
  return fd;
}

void reset_signal(int sig) {
  ::signal(sig, SIG_IGN);
  g_signal_fds[sig].store(-1);
}

void ignore_sigpipe() {
  ::signal(SIGPIPE, SIG_IGN);
}

}  // namespace ctrace
