#pragma once
// The exporter's sources beyond the daemon's own families: the kernel's run time of ctrace's
// programs (BpfStatsMetrics), and the ctrace_container_* families (ContainerMetrics) from the
// host view's maps (the same kernel counters as `ctrace top`), read and folded per container on
// each scrape, never per event; loaded by `serve --metrics-address` only.
//
// Prometheus counters must not go down: a container's counters are the sum over its cgroups,
// and the counts of a cgroup that was removed and forgotten in the kernel (while its container
// lives on) are kept here. A container whose cgroups are all gone keeps its series for the
// grace period, then loses them, so churn does not grow the series count.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "ctrace/core/unique_fd.hpp"
#include "ctrace/enrich/names.hpp"
#include "ctrace/hostview/sampler.hpp"
#include "ctrace/output/metrics.hpp"
#include "ctrace/probe/bpf_stats.hpp"
#include "ctrace/target/target.hpp"

namespace ctrace::commands {

// --metrics-syscalls: per-syscall series for these calls, or the N most frequent calls of
// each container; empty: none.
struct SyscallSeries {
  static constexpr unsigned kMaxTop = 32;  // bounds the series per container
  std::vector<int> nrs;
  unsigned top = 0;

  // "read,write,openat" or "top-N" (1 <= N <= kMaxTop); throws UsageError.
  static SyscallSeries parse(const std::string& spec);
  bool empty() const { return nrs.empty() && top == 0; }
  // The syscall nrs to expose for one container's per-syscall counts.
  std::vector<uint32_t> select(const std::map<uint32_t, hostview::SyscallCount>& per_syscall) const;
};

class ContainerMetrics final : public output::MetricsSource {
 public:
  ContainerMetrics(const target::CgroupFs& fs, unsigned self_tgid, SyscallSeries syscalls,
                   std::chrono::seconds grace);
  ~ContainerMetrics() override;
  ContainerMetrics(const ContainerMetrics&) = delete;
  ContainerMetrics& operator=(const ContainerMetrics&) = delete;

  void collect(prometheus::Registry& registry) override;
  uint64_t lost_events() override;

 private:
  struct Series {
    hostview::Group group;
    hostview::ActivityCounters counters;
  };
  // Reads the maps, folds them per container and forgets the cgroups gone for `grace_`.
  std::vector<Series> refresh();
  // Drains the cgroup events as they come, and expires removed cgroups when no one scrapes.
  void watch();

  std::filesystem::path mount_;
  SyscallSeries syscalls_;
  std::chrono::seconds grace_;
  std::mutex mutex_;  // everything below
  hostview::Sampler sampler_;
  std::unordered_map<uint64_t, std::string> key_of_;  // cgroup id -> group key
  // Counts of forgotten cgroups, by group key, kept while their container's cgroup exists.
  std::unordered_map<std::string, Series> retired_;
  size_t unexpired_removals_ = 0;
  enrich::SyscallNames names_;
  UniqueFd wake_;  // eventfd: stop the watcher
  std::thread watcher_;
};

// ctrace_bpf_run_time_seconds_total / ctrace_bpf_run_count_total{program}; only emitted while
// the kernel counts (the sysctl, or `held` from enable_bpf_stats()), since zeros would lie.
class BpfStatsMetrics final : public output::MetricsSource {
 public:
  explicit BpfStatsMetrics(bool held) : held_(held) {}
  void collect(prometheus::Registry& registry) override;

 private:
  bool held_;
};

}  // namespace ctrace::commands
