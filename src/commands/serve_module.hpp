#pragma once
// `ctrace serve` in two parts: the command and its options are in the ctrace binary
// (serve.cpp); the daemon (serve_module.cpp, with cpp-httplib and prometheus-cpp) is the
// ctrace-http module, loaded only by `serve`, so that no other command maps libssl, libcrypto,
// zlib or brotli.
#include <optional>
#include <string>

#include "ctrace/commands/serve_protocol.hpp"

namespace ctrace::commands {

struct ServeOptions {
  std::string socket = kDefaultSocket;
  std::string size;  // --size as given: "4M"; empty for the default
  int string_size = 64;
  std::string metrics_address;
  std::string metrics_syscalls;
  std::optional<int> metrics_grace;
  bool bpf_stats = false;
  bool list_metrics = false;
  // --record-all and its options
  bool record_all = false;
  std::string record_match;
  std::string record_budget;  // as given: "256M"; empty for the default
  std::string record_size;
  std::string postmortem_dir;
  size_t postmortem_max = 100;
};

// The module's entry point: runs the daemon until a stop signal; returns the exit code.
// Throws ctrace::Error like any command's run().
extern "C" int ctrace_http_serve(const ServeOptions& options);
using ServeEntry = int (*)(const ServeOptions&);

}  // namespace ctrace::commands
