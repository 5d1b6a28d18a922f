#pragma once
// Why a run ends, and the signal handling that ends it.
#include <atomic>

#include "ctrace/core/unique_fd.hpp"

namespace ctrace {

enum class StopReason { None, Interrupted, Terminated, OutputClosed, Duration, TargetExited };

const char* to_string(StopReason r);

// Set from signal handlers (SIGINT, SIGTERM, SIGHUP, SIGPIPE) and from the event loop.
// Signal handlers write to an eventfd so that a sleeping loop wakes at once.
class StopToken {
 public:
  // Installs the handlers. One process-wide token: signals are process-wide.
  static StopToken& install();

  bool stopped() const { return reason_.load(std::memory_order_acquire) != StopReason::None; }
  StopReason reason() const { return reason_.load(std::memory_order_acquire); }
  // First reason wins.
  void request_stop(StopReason r);
  // Readable when a stop was requested; for epoll.
  int wake_fd() const { return wake_fd_; }

 private:
  StopToken();
  friend void stop_signal_handler(int);
  std::atomic<StopReason> reason_{StopReason::None};
  int wake_fd_ = -1;
};

// An eventfd that becomes readable each time `sig` (SIGUSR1: "dump now") arrives, for an event
// loop. The handler stays until reset_signal(sig), which ignores `sig` from then on.
UniqueFd signal_eventfd(int sig);
void reset_signal(int sig);

// A closed peer (an HTTP client, `| head`) is an EPIPE where we write, not a signal that ends
// the process: for the daemon and its client.
void ignore_sigpipe();

}  // namespace ctrace
