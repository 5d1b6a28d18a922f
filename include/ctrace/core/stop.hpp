#pragma once
// Why a run ends, and the signal handling that ends it.
#include <atomic>

namespace ctrace {

enum class StopReason { None, Interrupted, Terminated, OutputClosed, Duration, TargetExited };

const char* to_string(StopReason r);

// Set from signal handlers (SIGINT, SIGTERM and SIGHUP, SIGPIPE) and from the event loop.
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

}  // namespace ctrace
