// ctrace serve's daemon: several targets recorded at once, each in its own kernel ring,
// answering HTTP/1.1 on a root-only unix socket (the routes and handlers: serve_api.cpp).
// Built into the ctrace-http module with everything that needs cpp-httplib or prometheus-cpp;
// the command, its options, is in the binary (serve.cpp).
#include "commands/serve_module.hpp"

#include <unistd.h>

#include <memory>
#include <optional>

#include "commands/metric_sources.hpp"
#include "commands/serve_record_all.hpp"
#include "ctrace/commands/command.hpp"
#include "ctrace/commands/http_server.hpp"
#include "ctrace/commands/metrics_server.hpp"
#include "ctrace/commands/serve_api.hpp"
#include "ctrace/core/error.hpp"
#include "ctrace/core/log.hpp"
#include "ctrace/core/stop.hpp"
#include "ctrace/core/unique_fd.hpp"
#include "ctrace/enrich/syscall_formats.hpp"
#include "ctrace/output/metrics.hpp"
#include "ctrace/probe/bpf_stats.hpp"
#include "ctrace/probe/recorder.hpp"
#include "ctrace/probe/runner.hpp"

namespace ctrace::commands {

namespace {

int list_metrics() {
  for (const auto& m : output::metric_catalog())
    fmt::print("{} {} {} {} {}\n", m.name, m.type, m.labels.empty() ? "-" : m.labels, m.source, m.help);
  return 0;
}

int serve(const ServeOptions& o) {
  if (o.list_metrics) return list_metrics();
  ServeApiOptions daemon_opts;
  daemon_opts.string_size = o.string_size;
  daemon_opts.postmortem_dir = o.postmortem_dir;
  RecordAllServiceOptions all_opts;
  if (o.record_all) {
    all_opts.recorder.string_size = o.string_size;
    if (!o.record_budget.empty()) all_opts.recorder.budget_bytes = parse_size(o.record_budget);
    if (!o.record_size.empty()) all_opts.recorder.size_bytes = parse_size(o.record_size);
    if (all_opts.recorder.size_bytes < (64ULL << 10) || all_opts.recorder.size_bytes > (256ULL << 20))
      throw UsageError("--record-size is between 64K and 256M");
    if (all_opts.recorder.budget_bytes < all_opts.recorder.size_bytes || all_opts.recorder.budget_bytes > (16ULL << 30))
      throw UsageError("--record-budget is between --record-size and 16G");
    all_opts.match = o.record_match;
    all_opts.postmortem_dir = o.postmortem_dir;
    all_opts.limits.max_files = o.postmortem_max;
  } else if (!o.record_match.empty() || !o.record_budget.empty() || !o.record_size.empty() ||
             !o.postmortem_dir.empty()) {
    throw UsageError(
        "--record-match, --record-budget, --record-size and --postmortem-dir need --record-all: add --record-all");
  }
  if (!o.size.empty()) daemon_opts.default_size = parse_size(o.size);
  std::optional<TcpAddress> metrics_address;
  if (!o.metrics_address.empty()) metrics_address = parse_tcp_address(o.metrics_address);
  if (!metrics_address && (!o.metrics_syscalls.empty() || o.metrics_grace))
    throw UsageError(
        "--metrics-syscalls and --metrics-grace need --metrics-address: add --metrics-address HOST:PORT");
  SyscallSeries syscall_series;
  if (!o.metrics_syscalls.empty()) syscall_series = SyscallSeries::parse(o.metrics_syscalls);
  // The runner's start-up like every command (BPF usable, signals, the cgroup2 mount); the
  // recordings come and go by request, each a probe::Recorder of its own.
  probe::Runner run(target::TargetOptions{});
  StopToken& stop = run.stop();
  ignore_sigpipe();  // a client that goes away must not stop the daemon
  const target::CgroupFs& cgroup_fs = run.cgroup_fs();
  const unsigned self = run.self_tgid();
  auto formats = std::make_shared<enrich::SyscallFormats>(enrich::SyscallFormats::load());
  auto daemon = make_serve_api(cgroup_fs, *formats, daemon_opts,
                               [formats, self](const target::Target& t, const probe::RecorderOptions& ro) {
                                 return std::make_unique<probe::Recorder>(t, self, ro, *formats);
                               });
  output::MetricsExporter& exporter = daemon->exporter();

  UniqueFd stats_fd;
  if (o.bpf_stats) stats_fd = probe::enable_bpf_stats();
  BpfStatsMetrics bpf_stats(static_cast<bool>(stats_fd));
  exporter.add(bpf_stats);
  // Per-container families: the host view is loaded only for a Prometheus on TCP.
  std::optional<ContainerMetrics> containers;
  if (metrics_address) {
    containers.emplace(cgroup_fs, self, std::move(syscall_series),
                       std::chrono::seconds(o.metrics_grace.value_or(60)));
    exporter.add(*containers);
  }

  std::optional<RecordAllService> record_all;
  if (o.record_all) {
    record_all.emplace(*daemon, cgroup_fs, self, *formats, all_opts, stop);
    exporter.add(*record_all);
  }

  UnixHttpServer server;
  daemon->routes(server);
  std::optional<MetricsListener> tcp;
  if (metrics_address) tcp.emplace(exporter, *metrics_address, stop);
  server.bind_unix(o.socket);
  if (tcp) notice("Serving metrics on " + tcp->start());
  notice(fmt::format("Listening on {} (root only, at most {} targets)", o.socket, kMaxTraces));
  if (record_all) record_all->start();
  server.serve_until(stop.wake_fd());
  tcp.reset();
  server.close_socket();
  record_all.reset();
  size_t detached = daemon->close_all();
  spdlog::info("stopping: {} ({} targets detached)", to_string(stop.reason()), detached);
  return 0;
}

}  // namespace

extern "C" int ctrace_http_serve(const ServeOptions& options) {
  return serve(options);
}

}  // namespace ctrace::commands
