#include "ctrace/core/cli_checks.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdint>

namespace ctrace::cli {

namespace {

CLI::Validator integer_at_least(uint64_t min, const char* expected) {
  return CLI::Validator(
      [min, expected](std::string& s) -> std::string {
        uint64_t v = 0;
        auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (ec != std::errc() || end != s.data() + s.size() || v < min)
          return fmt::format("expected {}, got '{}'", expected, s);
        return {};
      },
      "", "");
}

}  // namespace

CLI::Validator seconds() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        // from_chars reads plain decimals only: strtod would take "0x10" as 16 seconds
        double v = 0;
        auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, std::chars_format::fixed);
        if (s.empty() || ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v) || v < 1e-3 ||
            v > 1e9)
          return fmt::format("expected a number of seconds > 0 (e.g. 10 or 0.5), got '{}'", s);
        return {};
      },
      "", "");
}

CLI::Validator positive_integer() {
  return integer_at_least(1, "a whole number >= 1");
}

CLI::Validator unsigned_integer() {
  return integer_at_least(0, "a whole number >= 0");
}

CLI::Validator integer_between(long min, long max) {
  return CLI::Validator(
      [min, max](std::string& s) -> std::string {
        long v = 0;
        auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (ec != std::errc() || end != s.data() + s.size() || v < min || v > max)
          return fmt::format("expected a whole number from {} to {}, got '{}'", min, max, s);
        return {};
      },
      "", "");
}

}  // namespace ctrace::cli
