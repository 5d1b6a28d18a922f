// ctrace: container-aware syscall and I/O tracing with eBPF.
#include "ctrace/commands/cli.hpp"
#include "ctrace/core/error.hpp"
#include "ctrace/core/log.hpp"
#include "ctrace/probe/libbpf_log.hpp"

int main(int argc, char** argv) {
  using namespace ctrace;
  commands::RootCli cli;
  if (auto code = cli.parse(argc, argv)) return *code;

  setup_logging(cli.global().verbosity);
  probe::route_libbpf_log();
  try {
    return cli.selected()->run(cli.global());
  } catch (const Error& e) {
    spdlog::error("{}", e.what());
    return e.exit_code();
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return kExitRuntime;
  }
}
