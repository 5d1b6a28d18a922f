#include "ctrace/probe/event_loop.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>

#include <cerrno>
#include <vector>

#include "ctrace/core/error.hpp"
#include "ctrace/probe/percpu.hpp"

namespace ctrace::probe {

using Clock = std::chrono::steady_clock;

LostCounter::LostCounter(int map_fd) : map_fd_(map_fd) {}

uint64_t LostCounter::total() const {
  uint32_t key = 0;
  uint64_t sum = 0;
  return sum_percpu_counters(map_fd_, &key, sum) ? sum : seen_;
}

uint64_t LostCounter::take_delta() {
  uint64_t now = total();
  uint64_t delta = now - seen_;
  seen_ = now;
  return delta;
}

RingBuffer::RingBuffer(int map_fd, Handler handler) : handler_(std::move(handler)) {
  rb_ = ring_buffer__new(map_fd, &RingBuffer::trampoline, this, nullptr);
  if (!rb_) throw Error("creating the ring buffer reader: {}", errno_string(errno));
}

RingBuffer::~RingBuffer() {
  ring_buffer__free(rb_);
}

int RingBuffer::epoll_fd() const {
  return ring_buffer__epoll_fd(rb_);
}

int RingBuffer::trampoline(void* ctx, void* data, size_t size) {
  auto* self = static_cast<RingBuffer*>(ctx);
  try {
    self->handler_(data, size);
    return 0;
  } catch (...) {
    self->error_ = std::current_exception();
    return -ECANCELED;  // stops this consume round
  }
}

size_t RingBuffer::consume() {
  int rc = ring_buffer__consume(rb_);
  if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
  if (rc < 0 && rc != -EINTR) throw Error("reading the ring buffer: {}", errno_string(-rc));
  return rc > 0 ? static_cast<size_t>(rc) : 0;
}

EventLoop::EventLoop(StopToken& stop) : stop_(stop), epfd_(::epoll_create1(EPOLL_CLOEXEC)) {
  if (!epfd_) throw Error("epoll_create1: {}", errno_string(errno));
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = 0;  // 0: the stop eventfd
  ::epoll_ctl(epfd_.get(), EPOLL_CTL_ADD, stop_.wake_fd(), &ev);
}

void EventLoop::add_ring_buffer(RingBuffer& rb) {
  rings_.push_back(&rb);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = 1;  // 1: some ring buffer
  if (::epoll_ctl(epfd_.get(), EPOLL_CTL_ADD, rb.epoll_fd(), &ev) != 0)
    throw Error("epoll_ctl: {}", errno_string(errno));
}

void EventLoop::add_lost_counter(LostCounter& c, std::function<void(uint64_t)> report) {
  lost_.emplace_back(&c, std::move(report));
}

void EventLoop::stop_when_readable(int fd, StopReason reason) {
  watched_.emplace_back(fd, reason);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = 2 + watched_.size() - 1;  // 2..: watched fds
  if (::epoll_ctl(epfd_.get(), EPOLL_CTL_ADD, fd, &ev) != 0)
    throw Error("epoll_ctl: {}", errno_string(errno));
}

namespace {
constexpr uint64_t kReaderTag = 1ULL << 32;  // tags >= this: on_readable handlers
}

void EventLoop::on_readable(int fd, std::function<void()> handler) {
  readers_.emplace_back(fd, std::move(handler));
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kReaderTag + readers_.size() - 1;
  if (::epoll_ctl(epfd_.get(), EPOLL_CTL_ADD, fd, &ev) != 0)
    throw Error("epoll_ctl: {}", errno_string(errno));
}

void EventLoop::every(std::chrono::milliseconds period, std::function<void()> tick) {
  period_ = period;
  tick_ = std::move(tick);
}

void EventLoop::stop_after(std::chrono::milliseconds d) {
  duration_ = d;
}

void EventLoop::report_lost() {
  for (auto& [counter, report] : lost_)
    if (uint64_t n = counter->take_delta()) report(n);
}

StopReason EventLoop::run() {
  // Ring buffers are also polled on a 100 ms cadence so that lost counters are
  // reported promptly; a loop with neither rings nor ticks sleeps until a deadline.
  constexpr auto kPoll = std::chrono::milliseconds(100);
  const auto start = Clock::now();
  const auto deadline = duration_.count() ? start + duration_ : Clock::time_point::max();
  auto next_tick = period_.count() ? start + period_ : Clock::time_point::max();

  epoll_event events[8];
  while (!stop_.stopped()) {
    auto now = Clock::now();
    if (now >= deadline) {
      stop_.request_stop(StopReason::Duration);
      break;
    }
    if (now >= next_tick) {
      report_lost();
      tick_();
      // skip missed ticks rather than bursting
      while (next_tick <= now) next_tick += period_;
      continue;
    }
    auto wake = std::min(deadline, next_tick);
    if (!rings_.empty() || !lost_.empty()) wake = std::min(wake, now + kPoll);
    int timeout = -1;
    if (wake != Clock::time_point::max())
      timeout = static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(wake - now).count());
    int n = ::epoll_wait(epfd_.get(), events, 8, timeout);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error("epoll_wait: {}", errno_string(errno));
    }
    for (int i = 0; i < n; ++i) {
      uint64_t tag = events[i].data.u64;
      if (tag >= kReaderTag)
        readers_[tag - kReaderTag].second();
      else if (tag >= 2)
        stop_.request_stop(watched_[tag - 2].second);
    }
    // No pause between rounds: with the CPUs shared, a reader that sleeps (even 1 ms) waits
    // for a CPU again after it and loses events it would have read (bench/README.md).
    for (auto* rb : rings_) rb->consume();
    report_lost();
    if (after_wake_) after_wake_();
  }
  // Drain what the kernel already wrote before we stopped.
  for (auto* rb : rings_) rb->consume();
  report_lost();
  if (after_wake_) after_wake_();
  return stop_.reason();
}

}  // namespace ctrace::probe
