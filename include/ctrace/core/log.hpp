#pragma once
// Diagnostics go to stderr through spdlog; stdout carries formatter output only.
#include <spdlog/spdlog.h>

namespace ctrace {

// verbosity: 0 = warnings and notices, 1 = debug (also libbpf's own log), 2 = trace.
void setup_logging(int verbosity);

// A notice for the user on stderr without a log prefix ("Collecting events...").
void notice(const std::string& line);

}  // namespace ctrace
