// ctrace serve: the command, its options parsed here like every command's; the daemon itself
// is the ctrace-http module (serve_module.hpp), loaded with dlopen when `serve` runs.
#include <dlfcn.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <filesystem>

#include "commands/serve_module.hpp"
#include "ctrace/commands/command.hpp"
#include "ctrace/core/error.hpp"
#include "ctrace/core/log.hpp"

namespace ctrace::commands {

namespace {

constexpr const char* kExamples = R"(EXAMPLES:
  ctrace serve                                        # on /run/ctrace.sock
  ctrace ctl add web system.slice/nginx.service       # record a cgroup
  ctrace ctl dump web                                 # its ring, strace-style
  curl --unix-socket /run/ctrace.sock http://localhost/list   # traceloop's text; ?format=json
  curl --unix-socket /run/ctrace.sock http://localhost/metrics
  ctrace serve --metrics-address [::]:9586            # Prometheus scrapes GET /metrics on TCP
  ctrace serve --list-metrics                         # the metric families ctrace may expose
  ctrace serve --record-all --postmortem-dir /var/lib/ctrace/postmortem
                                                      # every container; evidence of each failure
  ctrace ctl postmortems                              # the post-mortems written
  ctrace ctl postmortem api                           # the newest of container api, as text

At most 16 targets by /add; each gets its own ring of --size bytes (default 4M). --record-all
records every container within --record-budget (default 256M, 2M each: 128 at once).
Only root may connect; see docs/commands/serve.md for the HTTP API and systemd units.
The TCP metrics port serves GET /metrics and /healthz only; see docs/deploy.md.)";

// The module sits next to the binary: BIN/../lib/ctrace/ when installed (cmake --install),
// BIN/lib/ctrace/ in the build tree.
ServeEntry load_http_module() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) throw Error("cannot find ctrace's own path (/proc/self/exe): {}", ec.message());
  const auto dir = exe.parent_path();
  const std::filesystem::path candidates[] = {dir / CTRACE_HTTP_MODULE_RELDIR / CTRACE_HTTP_MODULE_NAME,
                                              dir / "lib/ctrace" / CTRACE_HTTP_MODULE_NAME};
  for (const auto& path : candidates) {
    if (!std::filesystem::exists(path)) continue;
    // RTLD_NOW: a missing symbol or library fails here with a message, not mid-request
    void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) throw Error("cannot load ctrace serve's HTTP module: {}", ::dlerror());
    auto* entry = reinterpret_cast<ServeEntry>(::dlsym(handle, "ctrace_http_serve"));
    if (!entry)
      throw Error("{} is not ctrace's HTTP module (no ctrace_http_serve): reinstall ctrace", path.string());
    spdlog::debug("loaded {}", path.string());
    return entry;  // never unloaded: the daemon runs until exit
  }
  throw Error(
      "ctrace serve needs its HTTP module {}, missing from {}: install ctrace with 'cmake --install' "
      "(or build the ctrace_http target)",
      CTRACE_HTTP_MODULE_NAME, (dir / CTRACE_HTTP_MODULE_RELDIR).lexically_normal().string());
}

class ServeCommand final : public Command {
 public:
  CLI::App* setup(CLI::App& root) override {
    auto* app = root.add_subcommand(
        "serve", "daemon: record several containers, dump them over HTTP on a unix socket");
    app->footer(kExamples);
    app->add_option("--socket", o_.socket, "unix socket path")->default_str(kDefaultSocket);
    app->add_option("--size", o_.size, "default ring size per target in bytes, K/M/G suffix")
        ->default_str("4M");
    app->add_option("--string-size", o_.string_size, "bytes shown of a string or buffer (max 256)")
        ->check(CLI::Range(0, 256))
        ->default_str("64");
    app->add_option("--metrics-address", o_.metrics_address,
                    "also serve GET /metrics and /healthz on TCP: IPV4:PORT or [IPV6]:PORT (off by default)");
    app->add_option(
        "--metrics-syscalls", o_.metrics_syscalls,
        "with --metrics-address: per-syscall series per container, NAME,NAME,... or top-N (N <= 32)");
    app->add_option("--metrics-grace", o_.metrics_grace,
                    "with --metrics-address: seconds a removed container's series stay")
        ->check(CLI::Range(1, 86400))
        ->default_str("60");
    app->add_flag("--bpf-stats", o_.bpf_stats,
                  "have the kernel count the run time of BPF programs while serving "
                  "(ctrace_bpf_run_time_seconds_total; ~2 clock reads per program run)");
    app->add_flag("--list-metrics", o_.list_metrics, "print the metric families ctrace may expose and exit");
    app->add_flag("--record-all", o_.record_all,
                  "record every container from its first call, each in its own region of one ring");
    app->add_option("--record-match", o_.record_match,
                    "with --record-all: only the containers whose name or id matches this glob");
    app->add_option("--record-budget", o_.record_budget,
                    "with --record-all: the whole ring in bytes, K/M/G suffix, allocated at start")
        ->default_str("256M");
    app->add_option("--record-size", o_.record_size, "with --record-all: bytes of each container's region")
        ->default_str("2M");
    app->add_option("--postmortem-dir", o_.postmortem_dir,
                    "with --record-all: write a post-mortem here when a recorded container fails");
    app->add_option("--postmortem-max", o_.postmortem_max, "post-mortems kept in --postmortem-dir; the oldest go first")
        ->check(CLI::Range(1, 10000))
        ->default_str("100");
    return app;
  }

  int run(const GlobalOptions&) override { return load_http_module()(o_); }

 private:
  ServeOptions o_;
};

}  // namespace

std::unique_ptr<Command> make_serve() {
  return std::make_unique<ServeCommand>();
}

}  // namespace ctrace::commands
