#pragma once
// CLI11 validators whose failure reads as one short line: what was expected, what was given.
#include <CLI/CLI.hpp>

namespace ctrace::cli {

// A number of seconds > 0: "10", "0.5".
CLI::Validator seconds();
// A whole number >= 1: a pid, a count.
CLI::Validator positive_integer();
// A whole number >= 0: an id.
CLI::Validator unsigned_integer();

}  // namespace ctrace::cli
