#pragma once
// Diagnostics go to stderr through spdlog; stdout carries formatter output only. Every message
// and notice is one line, escaped with escape_text() (ctrace/core/escape.hpp): a name from the
// traced world in a warning cannot reach the terminal raw (a newline in it prints as \n).
#include <spdlog/spdlog.h>

#include <memory>
#include <string>

namespace ctrace {

// verbosity: 0 = warnings and notices, 1 = debug (also libbpf's own log), 2 = trace.
void setup_logging(int verbosity);

// "ctrace: LEVEL: MESSAGE" with the message escaped (what setup_logging() gives its logger).
std::unique_ptr<spdlog::formatter> make_log_formatter();

// A notice for the user on stderr without a log prefix ("Collecting events...").
void notice(const std::string& line);

}  // namespace ctrace
