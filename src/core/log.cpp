#include "ctrace/core/log.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <cstdio>

#include "ctrace/core/escape.hpp"

namespace ctrace {

namespace {

// %* in the pattern: the message, escaped (a warning may name a cgroup or a container).
class EscapedMessage final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    std::string text = escape_text(std::string_view(msg.payload.data(), msg.payload.size()));
    dest.append(text.data(), text.data() + text.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<EscapedMessage>(); }
};

}  // namespace

std::unique_ptr<spdlog::formatter> make_log_formatter() {
  auto f = std::make_unique<spdlog::pattern_formatter>();
  f->add_flag<EscapedMessage>('*').set_pattern("ctrace: %l: %*");
  return f;
}

void setup_logging(int verbosity) {
  // _mt: serve logs from its connection threads, and libbpf logs while a Recorder loads.
  auto logger = spdlog::stderr_logger_mt("ctrace");
  logger->set_formatter(make_log_formatter());
  logger->set_level(verbosity >= 2 ? spdlog::level::trace
                    : verbosity == 1 ? spdlog::level::debug
                                     : spdlog::level::info);
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
}

void notice(const std::string& line) {
  std::string text = escape_text(line);
  std::fputs(text.c_str(), stderr);
  std::fputc('\n', stderr);
}

}  // namespace ctrace
