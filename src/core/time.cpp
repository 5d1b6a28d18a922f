#include "ctrace/core/time.hpp"

#include <fmt/format.h>

#include <ctime>

namespace ctrace {

namespace {
int64_t now_ns(clockid_t c) {
  timespec ts{};
  ::clock_gettime(c, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}
}  // namespace

WallClock::WallClock() {
  // Bracket the realtime sample with two monotonic ones to halve the error.
  int64_t m1 = now_ns(CLOCK_MONOTONIC);
  int64_t r = now_ns(CLOCK_REALTIME);
  int64_t m2 = now_ns(CLOCK_MONOTONIC);
  offset_ns_ = r - (m1 + (m2 - m1) / 2);
}

std::string format_utc(int64_t wall_ns, TimePrecision p) {
  int64_t sec = wall_ns / 1000000000LL;
  int64_t frac = wall_ns % 1000000000LL;
  if (frac < 0) {
    frac += 1000000000LL;
    --sec;
  }
  time_t t = static_cast<time_t>(sec);
  tm tm{};
  ::gmtime_r(&t, &tm);
  std::string base = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", tm.tm_year + 1900, tm.tm_mon + 1,
                                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  switch (p) {
    case TimePrecision::Seconds: return base + "Z";
    case TimePrecision::Millis: return fmt::format("{}.{:03}Z", base, frac / 1000000);
    case TimePrecision::Micros: return fmt::format("{}.{:06}Z", base, frac / 1000);
    case TimePrecision::Nanos: return fmt::format("{}.{:09}Z", base, frac);
  }
  return base + "Z";
}

}  // namespace ctrace
