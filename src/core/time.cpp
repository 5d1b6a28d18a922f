#include "ctrace/core/time.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <ctime>

namespace ctrace {

namespace {
int64_t now_ns(clockid_t c) {
  timespec ts{};
  ::clock_gettime(c, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}
}  // namespace

uint64_t monotonic_ns() {
  return static_cast<uint64_t>(now_ns(CLOCK_MONOTONIC));
}

WallClock::WallClock() {
  // Bracket the realtime sample with two monotonic ones to halve the error.
  int64_t m1 = now_ns(CLOCK_MONOTONIC);
  int64_t r = now_ns(CLOCK_REALTIME);
  int64_t m2 = now_ns(CLOCK_MONOTONIC);
  offset_ns_ = r - (m1 + (m2 - m1) / 2);
}

std::string format_utc(int64_t wall_ns, TimePrecision p) {
  return std::string(utc_text(wall_ns, p).view());
}

UtcText utc_text(int64_t wall_ns, TimePrecision p) {
  int64_t sec = wall_ns / 1000000000LL;
  int64_t frac = wall_ns % 1000000000LL;
  if (frac < 0) {
    frac += 1000000000LL;
    --sec;
  }
  // A stream formats many events per second: the date part is computed once per second.
  thread_local int64_t cached_sec = INT64_MIN;
  thread_local char base[32];
  thread_local size_t base_len = 0;
  if (sec != cached_sec) {
    time_t t = static_cast<time_t>(sec);
    tm tm{};
    ::gmtime_r(&t, &tm);
    auto end =
        fmt::format_to_n(base, sizeof base - 1, "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", tm.tm_year + 1900,
                         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    base_len = std::min(end.size, sizeof base - 1);
    cached_sec = sec;
  }
  static constexpr int kDigits[] = {0, 3, 6, 9};
  static constexpr int64_t kDivisor[] = {1000000000LL, 1000000LL, 1000LL, 1LL};
  int digits = kDigits[static_cast<int>(p)];
  // base: at most 31 bytes; then '.', 9 digits and 'Z': 42 of the 44
  UtcText out;
  std::copy(base, base + base_len, out.data);
  out.size = base_len;
  if (digits) {
    out.data[out.size++] = '.';
    int64_t v = frac / kDivisor[static_cast<int>(p)];
    for (int i = digits - 1; i >= 0; --i, v /= 10)
      out.data[out.size + static_cast<size_t>(i)] = static_cast<char>('0' + v % 10);
    out.size += static_cast<size_t>(digits);
  }
  out.data[out.size++] = 'Z';
  return out;
}

}  // namespace ctrace
