#pragma once
// Kernel timestamps (bpf_ktime_get_ns: CLOCK_MONOTONIC) to wall-clock time.
#include <cstdint>
#include <string>
#include <string_view>

namespace ctrace {

enum class TimePrecision { Seconds, Millis, Micros, Nanos };

// Computed once per run: wall = monotonic + offset.
class WallClock {
 public:
  WallClock();  // samples both clocks now
  explicit WallClock(int64_t offset_ns) : offset_ns_(offset_ns) {}
  // Nanoseconds since the epoch for a bpf_ktime_get_ns() value.
  // (in unsigned arithmetic: a garbled timestamp wraps instead of overflowing)
  int64_t to_wall_ns(uint64_t mono_ns) const {
    return static_cast<int64_t>(mono_ns + static_cast<uint64_t>(offset_ns_));
  }
  int64_t offset_ns() const { return offset_ns_; }

 private:
  int64_t offset_ns_;
};

// CLOCK_MONOTONIC now, in ns: the clock of bpf_ktime_get_ns() and task->start_time.
uint64_t monotonic_ns();

// "2026-04-21T10:42:32Z" / "...32.123456Z": ISO 8601 in UTC.
std::string format_utc(int64_t wall_ns, TimePrecision p = TimePrecision::Seconds);

// The same text in a buffer of its own, for a stream that formats an event without allocating.
struct UtcText {
  char data[44];  // the date part (at most 31 bytes), ".", 9 digits and "Z"
  size_t size = 0;
  std::string_view view() const { return {data, size}; }
};
UtcText utc_text(int64_t wall_ns, TimePrecision p = TimePrecision::Seconds);

}  // namespace ctrace
