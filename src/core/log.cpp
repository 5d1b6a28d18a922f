#include "ctrace/core/log.hpp"

#include <spdlog/sinks/stdout_sinks.h>

#include <cstdio>

namespace ctrace {

void setup_logging(int verbosity) {
  // _mt: serve logs from its connection threads, and libbpf logs while a Recorder loads.
  auto logger = spdlog::stderr_logger_mt("ctrace");
  logger->set_pattern("ctrace: %l: %v");
  logger->set_level(verbosity >= 2 ? spdlog::level::trace
                    : verbosity == 1 ? spdlog::level::debug
                                     : spdlog::level::info);
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
}

void notice(const std::string& line) {
  std::fputs(line.c_str(), stderr);
  std::fputc('\n', stderr);
}

}  // namespace ctrace
