// ctrace serve: a daemon recording several targets at once, each in its own kernel ring,
// answering HTTP/1.1 on a root-only unix socket (the routes and handlers: serve_daemon.cpp).
#include "ctrace/commands/serve.hpp"

#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cctype>
#include <climits>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "commands/container_metrics.hpp"
#include "commands/registry.hpp"
#include "ctrace/commands/daemon.hpp"
#include "ctrace/commands/metrics_server.hpp"
#include "ctrace/core/error.hpp"
#include "ctrace/core/log.hpp"
#include "ctrace/core/stop.hpp"
#include "ctrace/core/time.hpp"
#include "ctrace/core/unique_fd.hpp"
#include "ctrace/enrich/names.hpp"
#include "ctrace/enrich/syscall_formats.hpp"
#include "ctrace/output/metrics.hpp"
#include "ctrace/probe/bpf_stats.hpp"
#include "ctrace/probe/recorder.hpp"
#include "ctrace/probe/skeleton.hpp"

namespace ctrace::commands {

namespace {

constexpr const char* kExamples = R"(EXAMPLES:
  ctrace serve                                        # on /run/ctrace.sock
  ctrace ctl add web system.slice/nginx.service       # record a cgroup
  ctrace ctl dump web                                 # its ring, strace-style
  curl --unix-socket /run/ctrace.sock http://localhost/list
  curl --unix-socket /run/ctrace.sock http://localhost/metrics
  ctrace serve --metrics-address [::]:9586            # Prometheus scrapes GET /metrics on TCP
  ctrace serve --list-metrics                         # the metric families ctrace may expose

At most 16 targets; each gets its own ring of --size bytes (default 4M).
Only root may connect; see docs/commands/serve.md for the HTTP API and systemd units.
The TCP metrics port serves GET /metrics and /healthz only; see docs/deploy.md.)";

class ServeCommand final : public Command {
 public:
  CLI::App* setup(CLI::App& root) override {
    auto* app = root.add_subcommand(
        "serve", "daemon: record several containers, dump them over HTTP on a unix socket");
    app->footer(kExamples);
    app->add_option("--socket", socket_, "unix socket path")->default_str(kDefaultSocket);
    app->add_option("--size", size_, "default ring size per target in bytes, K/M/G suffix")
        ->default_str("4M");
    app->add_option("--string-size", string_size_, "bytes shown of a string or buffer (max 256)")
        ->check(CLI::Range(0, 256))
        ->default_str("64");
    app->add_option("--metrics-address", metrics_address_,
                    "also serve GET /metrics and /healthz on TCP: IPV4:PORT or [IPV6]:PORT (off by default)");
    app->add_option(
        "--metrics-syscalls", metrics_syscalls_,
        "with --metrics-address: per-syscall series per container, NAME,NAME,... or top-N (N <= 32)");
    app->add_option("--metrics-grace", metrics_grace_,
                    "with --metrics-address: seconds a removed container's series stay")
        ->check(CLI::Range(1, 86400))
        ->default_str("60");
    app->add_flag("--bpf-stats", bpf_stats_,
                  "have the kernel count the run time of BPF programs while serving "
                  "(ctrace_bpf_run_time_seconds_total; ~2 clock reads per program run)");
    app->add_flag("--list-metrics", list_metrics_, "print the metric families ctrace may expose and exit");
    return app;
  }

  int run(const GlobalOptions&) override {
    if (list_metrics_) return list_metrics();
    TraceDaemonOptions daemon_opts;
    daemon_opts.string_size = string_size_;
    if (!size_.empty()) daemon_opts.default_size = parse_size(size_);
    std::optional<TcpAddress> metrics_address;
    if (!metrics_address_.empty()) metrics_address = parse_tcp_address(metrics_address_);
    if (!metrics_address && (!metrics_syscalls_.empty() || metrics_grace_))
      throw UsageError(
          "--metrics-syscalls and --metrics-grace need --metrics-address: add --metrics-address HOST:PORT");
    SyscallSeries syscall_series;
    if (!metrics_syscalls_.empty()) syscall_series = SyscallSeries::parse(metrics_syscalls_);
    StopToken& stop = StopToken::install();
    ::signal(SIGPIPE, SIG_IGN);  // a client that goes away must not stop the daemon
    probe::check_bpf_available();
    auto cgroup_fs = target::CgroupFs::discover();
    auto formats = std::make_shared<enrich::SyscallFormats>(enrich::SyscallFormats::load());
    auto daemon = make_trace_daemon(cgroup_fs, *formats, daemon_opts,
                                    [formats](const target::Target& t, const probe::RecorderOptions& ro) {
                                      return std::make_unique<probe::Recorder>(
                                          t, static_cast<unsigned>(::getpid()), ro, *formats);
                                    });
    output::MetricsExporter& exporter = daemon->exporter();

    UniqueFd stats_fd;
    if (bpf_stats_) stats_fd = probe::enable_bpf_stats();
    probe::BpfStatsSource bpf_stats(static_cast<bool>(stats_fd));
    exporter.add(bpf_stats);
    // Per-container families: the host view is loaded only for a Prometheus on TCP.
    std::optional<ContainerMetrics> containers;
    if (metrics_address) {
      containers.emplace(cgroup_fs, static_cast<unsigned>(::getpid()), std::move(syscall_series),
                         std::chrono::seconds(metrics_grace_.value_or(60)));
      exporter.add(*containers);
    }

    UnixHttpServer server;
    daemon->routes(server);
    std::optional<MetricsListener> tcp;
    if (metrics_address) tcp.emplace(exporter, *metrics_address, stop);
    server.bind_unix(socket_);
    if (tcp) notice("Serving metrics on " + tcp->start());
    notice(fmt::format("Listening on {} (root only, at most {} targets)", socket_, kMaxTraces));
    server.serve_until(stop.wake_fd());
    tcp.reset();
    server.close_socket();
    size_t detached = daemon->close_all();
    spdlog::info("stopping: {} ({} targets detached)", to_string(stop.reason()), detached);
    return 0;
  }

 private:
  static int list_metrics() {
    for (const auto& m : output::metric_catalog())
      fmt::print("{} {} {} {} {}\n", m.name, m.type, m.labels.empty() ? "-" : m.labels, m.source, m.help);
    return 0;
  }

  std::string socket_ = kDefaultSocket;
  std::string size_;
  int string_size_ = 64;
  std::string metrics_address_;
  std::string metrics_syscalls_;
  std::optional<int> metrics_grace_;
  bool bpf_stats_ = false;
  bool list_metrics_ = false;
};

}  // namespace

std::unique_ptr<Command> make_serve() {
  return std::make_unique<ServeCommand>();
}

}  // namespace ctrace::commands
