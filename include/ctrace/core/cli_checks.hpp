#pragma once
// CLI11 validators whose failure reads as one short line: what was expected, what was given.
#include <CLI/CLI.hpp>

namespace ctrace::cli {

// A decimal number of seconds > 0: "10", "0.5" (not "0x10", "inf").
CLI::Validator seconds();
// A whole number >= 1: a pid, a count.
CLI::Validator positive_integer();
// A whole number >= 0: an id.
CLI::Validator unsigned_integer();
// A whole number in [min, max]: anything that sizes memory is bounded.
CLI::Validator integer_between(long min, long max);

}  // namespace ctrace::cli
