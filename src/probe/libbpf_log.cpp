#include "ctrace/probe/libbpf_log.hpp"

#include <bpf/libbpf.h>

#include <cstdarg>
#include <cstdio>
#include <string>

#include "ctrace/core/log.hpp"

namespace ctrace::probe {

namespace {
int print_fn(enum libbpf_print_level level, const char* fmt, va_list args) {
  if (!spdlog::should_log(spdlog::level::debug)) return 0;
  char buf[1024];
  int n = std::vsnprintf(buf, sizeof buf, fmt, args);
  std::string line(buf, n < 0 ? 0 : std::min<size_t>(n, sizeof buf - 1));
  while (!line.empty() && line.back() == '\n') line.pop_back();
  if (level == LIBBPF_DEBUG)
    spdlog::trace("libbpf: {}", line);
  else
    spdlog::debug("libbpf: {}", line);
  return 0;
}
}  // namespace

void route_libbpf_log() { libbpf_set_print(print_fn); }

}  // namespace ctrace::probe
