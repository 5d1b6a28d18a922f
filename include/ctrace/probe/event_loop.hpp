#pragma once
// EventLoop: sleeps in epoll until a ring buffer has data, a tick is due, the duration
// ends, a watched fd (CMD's pidfd) fires, or a signal asks to stop. Never busy-waits.
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <vector>

#include "ctrace/core/stop.hpp"
#include "ctrace/core/unique_fd.hpp"

struct ring_buffer;

namespace ctrace::probe {

// Sum over CPUs of a per-CPU `*_lost` counter map (see CTRACE_LOST_COUNTER).
class LostCounter {
 public:
  explicit LostCounter(int map_fd);
  uint64_t total() const;  // since load
  uint64_t take_delta();   // since the last take_delta()

 private:
  int map_fd_;
  uint64_t seen_ = 0;
};

// Owns a libbpf ring_buffer whose callbacks may throw: the exception is kept and
// rethrown from EventLoop::run(), never across libbpf.
class RingBuffer {
 public:
  using Handler = std::function<void(const void* data, size_t size)>;
  RingBuffer(int map_fd, Handler handler);
  ~RingBuffer();
  RingBuffer(const RingBuffer&) = delete;
  RingBuffer& operator=(const RingBuffer&) = delete;

  int epoll_fd() const;
  // Drains what is there now and returns how many events it read; rethrows a handler exception.
  size_t consume();

 private:
  static int trampoline(void* ctx, void* data, size_t size);
  ring_buffer* rb_ = nullptr;
  Handler handler_;
  std::exception_ptr error_;
};

class EventLoop {
 public:
  explicit EventLoop(StopToken& stop);

  void add_ring_buffer(RingBuffer& rb);
  // Reports lost events (delta > 0) at every wake-up and once more at the end.
  void add_lost_counter(LostCounter& c, std::function<void(uint64_t)> report);
  // When fd becomes readable the loop stops with `reason` (e.g. a pidfd: TargetExited).
  void stop_when_readable(int fd, StopReason reason);
  // Calls `handler` in the loop when fd becomes readable (e.g. a signal's eventfd).
  void on_readable(int fd, std::function<void()> handler);
  void every(std::chrono::milliseconds period, std::function<void()> tick);
  // Runs after the ring buffers were drained, at every wake-up and at the end (e.g. flush output).
  void after_each_wake(std::function<void()> f) { after_wake_ = std::move(f); }
  void stop_after(std::chrono::milliseconds d);

  // Runs until stopped; returns why.
  StopReason run();

 private:
  void report_lost();
  StopToken& stop_;
  UniqueFd epfd_;
  std::vector<RingBuffer*> rings_;
  std::vector<std::pair<LostCounter*, std::function<void(uint64_t)>>> lost_;
  std::vector<std::pair<int, StopReason>> watched_;
  std::vector<std::pair<int, std::function<void()>>> readers_;
  std::chrono::milliseconds period_{0};
  std::function<void()> tick_;
  std::function<void()> after_wake_;
  std::chrono::milliseconds duration_{0};
};

}  // namespace ctrace::probe
