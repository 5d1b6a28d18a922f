#include "ctrace/output/metrics.hpp"

#include <prometheus/text_serializer.h>

#include <memory>
#include <sstream>
#include <stdexcept>

#include "ctrace/core/escape.hpp"

namespace ctrace::output {

namespace {

constexpr std::string_view kContainerLabels = "container,id,runtime,pod,namespace";

constexpr MetricInfo kCatalog[] = {
    {"ctrace_up", "gauge", "", "1 while the exporter answers", "exporter"},
    {"ctrace_lost_events_total", "counter", "",
     "Events the kernel side could not record (full ring, paused ring), all sources", "exporter"},
    {"ctrace_bpf_run_time_seconds_total", "counter", "program",
     "Time spent in ctrace's BPF programs (kernel.bpf_stats_enabled or serve --bpf-stats)", "bpf_stats"},
    {"ctrace_bpf_run_count_total", "counter", "program",
     "Runs of ctrace's BPF programs (kernel.bpf_stats_enabled or serve --bpf-stats)", "bpf_stats"},
    {"ctrace_record_targets", "gauge", "", "Targets being recorded", "record"},
    {"ctrace_record_events_total", "counter", "trace", "Syscall enters and exits written to the ring",
     "record"},
    {"ctrace_record_overwritten_total", "counter", "trace", "Events overwritten by newer ones in the ring",
     "record"},
    {"ctrace_record_lost_total", "counter", "trace", "Events not recorded while a dump paused the ring",
     "record"},
    {"ctrace_postmortems_total", "counter", "container,reason",
     "Post-mortems written by serve --record-all: reason signal, exit or oom", "record_all"},
    {"ctrace_record_budget_full_total", "counter", "",
     "New cgroups serve --record-all could not record: every region of --record-budget was taken", "record_all"},
    {"ctrace_container_syscalls_total", "counter", kContainerLabels, "Syscalls made by the container",
     "containers"},
    {"ctrace_container_syscall_errors_total", "counter", kContainerLabels,
     "Syscalls of the container that returned an error", "containers"},
    {"ctrace_container_block_io_bytes_total", "counter", "container,id,runtime,pod,namespace,direction",
     "Block I/O bytes submitted by the container, direction read|write", "containers"},
    {"ctrace_container_syscalls_by_name_total", "counter", "container,id,runtime,pod,namespace,syscall",
     "Syscalls of the container by name, for serve --metrics-syscalls only", "containers"},
    {"ctrace_container_syscall_errors_by_name_total", "counter", "container,id,runtime,pod,namespace,syscall",
     "Failed syscalls of the container by name, for serve --metrics-syscalls only", "containers"},
    {"ctrace_container_file_opens_total", "counter", kContainerLabels, "open/openat/openat2 calls",
     "containers"},
    {"ctrace_container_tcp_connects_total", "counter", "container,id,runtime,pod,namespace,result",
     "TCP connects, result ok|refused|timeout|other", "containers"},
    {"ctrace_container_namespace_changes_total", "counter", "container,id,runtime,pod,namespace,call",
     "unshare, setns and clone with CLONE_NEW* flags, call unshare|setns|clone", "containers"},
    {"ctrace_container_execs_total", "counter", kContainerLabels,
     "Programs the container executed (successful execve/execveat)", "containers"},
    {"ctrace_container_exits_total", "counter", "container,id,runtime,pod,namespace,reason",
     "Processes (thread groups) of the container that ended, reason ok (exit 0)|code (exit N)|signal",
     "containers"},
    {"ctrace_container_oom_kills_total", "counter", kContainerLabels,
     "Processes of the container the OOM killer chose as victims", "containers"},
    {"ctrace_container_signals_total", "counter", "container,id,runtime,pod,namespace,signal",
     "Signals whose default action kills, delivered to the container's processes (SIGRT: every real-time "
     "one)",
     "containers"},
};

template <typename Builder>
auto& declare(Builder builder, prometheus::Registry& r, std::string_view name, std::string_view type) {
  const MetricInfo& info = catalog_entry(name, type);
  return builder.Name(std::string(info.name)).Help(std::string(info.help)).Register(r);
}

}  // namespace

std::span<const MetricInfo> metric_catalog() {
  return kCatalog;
}

const MetricInfo& catalog_entry(std::string_view name, std::string_view type) {
  for (const auto& m : kCatalog)
    if (m.name == name) {
      if (m.type != type)
        throw std::logic_error("metric " + std::string(name) + " is declared as " + std::string(m.type));
      return m;
    }
  throw std::logic_error("metric " + std::string(name) + " is not in metric_catalog()");
}

prometheus::Family<prometheus::Counter>& counter_family(prometheus::Registry& r, std::string_view name) {
  return declare(prometheus::BuildCounter(), r, name, "counter");
}

prometheus::Family<prometheus::Gauge>& gauge_family(prometheus::Registry& r, std::string_view name) {
  return declare(prometheus::BuildGauge(), r, name, "gauge");
}

prometheus::Family<prometheus::Histogram>& histogram_family(prometheus::Registry& r, std::string_view name) {
  return declare(prometheus::BuildHistogram(), r, name, "histogram");
}

void MetricsExporter::add(MetricsSource& source) {
  std::lock_guard lock(mutex_);
  sources_.push_back(&source);
}

std::string MetricsExporter::render() {
  std::vector<MetricsSource*> sources;
  {
    std::lock_guard lock(mutex_);
    sources = sources_;
  }
  prometheus::Registry registry;
  gauge_family(registry, "ctrace_up").Add({}).Set(1);
  uint64_t lost = 0;
  for (auto* s : sources) {
    s->collect(registry);
    lost += s->lost_events();
  }
  counter_family(registry, "ctrace_lost_events_total").Add({}).Increment(static_cast<double>(lost));
  auto families = registry.Collect();
  // Label values carry container, pod and trace names: the serializer escapes only \\, \" and
  // \n, so a name's control bytes would reach whoever curls /metrics. Escaped as in text output
  // (escape_text is one-to-one: two names stay two series), the exposition is printable UTF-8.
  for (auto& family : families)
    for (auto& metric : family.metric)
      for (auto& label : metric.label) label.value = escape_text(label.value);
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

}  // namespace ctrace::output
