#include "commands/metric_sources.hpp"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "ctrace/commands/command.hpp"
#include "ctrace/core/error.hpp"
#include "ctrace/enrich/flags.hpp"

namespace ctrace::commands {

// Syscall nrs are below this on every architecture ctrace builds for (x86_64 and arm64 < 500).
constexpr int kMaxSyscallNr = 1024;

SyscallSeries SyscallSeries::parse(const std::string& spec) {
  SyscallSeries s;
  if (spec.rfind("top-", 0) == 0) {
    const char* first = spec.data() + 4;
    const char* last = spec.data() + spec.size();
    auto [end, ec] = std::from_chars(first, last, s.top);
    if (ec != std::errc() || end != last || s.top == 0 || s.top > kMaxTop)
      throw UsageError(
          "invalid --metrics-syscalls '{}': give top-N with 1 <= N <= {}, or names such as read,write", spec,
          kMaxTop);
    return s;
  }
  for (int nr : parse_syscalls(spec, kMaxSyscallNr, "--metrics-syscalls"))
    if (std::find(s.nrs.begin(), s.nrs.end(), nr) == s.nrs.end()) s.nrs.push_back(nr);
  return s;
}

std::vector<uint32_t> SyscallSeries::select(
    const std::map<uint32_t, hostview::SyscallCount>& per_syscall) const {
  std::vector<uint32_t> out;
  if (top == 0) {
    // Listed calls always have a series (0 until called), so rate() has a start.
    for (int nr : nrs) out.push_back(static_cast<uint32_t>(nr));
    return out;
  }
  std::vector<std::pair<uint32_t, uint64_t>> calls;
  for (const auto& [nr, c] : per_syscall) calls.emplace_back(nr, c.count);
  size_t n = std::min<size_t>(top, calls.size());
  std::partial_sort(calls.begin(), calls.begin() + static_cast<std::ptrdiff_t>(n), calls.end(),
                    [](const auto& a, const auto& b) {
                      return a.second != b.second ? a.second > b.second : a.first < b.first;
                    });
  for (size_t i = 0; i < n; ++i) out.push_back(calls[i].first);
  return out;
}

ContainerMetrics::ContainerMetrics(const target::CgroupFs& fs, unsigned self_tgid, SyscallSeries syscalls,
                                   std::chrono::seconds grace)
    : mount_(fs.mount),
      syscalls_(std::move(syscalls)),
      grace_(grace),
      sampler_(target::Target{}, self_tgid, fs.mount, hostview::GroupBy::Container,
               [this](const hostview::CgroupEvent& e) {
                 // under mutex_: events are consumed by watch() or refresh() only
                 if (e.removed) ++unexpired_removals_;
               }),
      wake_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (!wake_) throw Error("eventfd: {}", std::strerror(errno));
  watcher_ = std::thread([this] { watch(); });
}

ContainerMetrics::~ContainerMetrics() {
  uint64_t one = 1;
  if (::write(wake_.get(), &one, sizeof one) < 0) spdlog::warn("container metrics: eventfd write failed");
  watcher_.join();
}

void ContainerMetrics::watch() {
  // Expiry is checked a few times per grace period; a gone container's series end between
  // grace and grace + tick after its last cgroup was removed.
  const auto tick = std::clamp<std::chrono::milliseconds>(std::chrono::milliseconds(grace_) / 4,
                                                          std::chrono::seconds(1), std::chrono::seconds(15));
  auto next = std::chrono::steady_clock::now() + tick;
  pollfd fds[2] = {{sampler_.view().events().epoll_fd(), POLLIN, 0}, {wake_.get(), POLLIN, 0}};
  for (;;) {
    auto wait =
        std::chrono::duration_cast<std::chrono::milliseconds>(next - std::chrono::steady_clock::now());
    int n = ::poll(fds, 2, static_cast<int>(std::max<int64_t>(wait.count(), 0)));
    if (n < 0 && errno != EINTR) {
      spdlog::error("container metrics: poll: {}", std::strerror(errno));
      return;
    }
    if (n > 0 && (fds[1].revents & POLLIN)) return;
    try {
      std::lock_guard lock(mutex_);
      sampler_.view().events().consume();
      if (std::chrono::steady_clock::now() >= next) {
        next = std::chrono::steady_clock::now() + tick;
        if (unexpired_removals_ > 0) refresh();
      }
    } catch (const std::exception& e) {
      spdlog::error("container metrics: {}", e.what());
    }
  }
}

std::vector<ContainerMetrics::Series> ContainerMetrics::refresh() {
  sampler_.view().events().consume();  // paths and removals up to now, so this read folds correctly
  auto totals = sampler_.totals(!syscalls_.empty());
  const hostview::HostSnapshot& snap = totals.snapshot;
  std::unordered_map<std::string, Series> by_key;
  for (auto& row : totals.rows) by_key.try_emplace(row.group.key, Series{row.group, std::move(row.delta)});
  for (auto& [id, key] : totals.key_of) key_of_[id] = std::move(key);
  // A container whose live cgroups were idle since serve started still has its series.
  for (const auto& [key, r] : retired_) {
    auto [it, fresh] = by_key.try_emplace(key, r);
    if (!fresh) it->second.counters += r.counters;
  }

  std::vector<uint64_t> expired = sampler_.expire(grace_);
  unexpired_removals_ -= std::min(unexpired_removals_, expired.size());
  for (uint64_t id : expired) {
    auto k = key_of_.find(id);
    if (k == key_of_.end()) continue;  // no activity was ever counted
    if (auto c = snap.cgroups.find(id); c != snap.cgroups.end()) {
      auto [r, fresh] = retired_.try_emplace(k->second);
      if (fresh) r->second.group = by_key.at(k->second).group;
      r->second.counters += c->second;
    }
    key_of_.erase(k);
  }
  // A container none of whose cgroups is left, counted or not (its own cgroup is gone): its
  // series end here (this scrape still has them).
  if (!expired.empty()) {
    std::unordered_map<std::string, bool> counted;
    for (const auto& [id, key] : key_of_) counted[key] = true;
    for (auto it = retired_.begin(); it != retired_.end();) {
      std::error_code ec;
      const std::filesystem::path cgroup(it->second.group.cgroup);
      bool alive = counted.count(it->first) ||
                   (cgroup.is_absolute() && std::filesystem::exists(mount_ / cgroup.relative_path(), ec));
      it = alive ? std::next(it) : retired_.erase(it);
    }
  }

  std::vector<Series> out;
  out.reserve(by_key.size());
  for (auto& [key, s] : by_key) out.push_back(std::move(s));
  return out;
}

void ContainerMetrics::collect(prometheus::Registry& registry) {
  // The whole scrape under the lock: scrapes may come from several connection threads.
  std::lock_guard lock(mutex_);
  std::vector<Series> series = refresh();
  auto& syscalls = output::counter_family(registry, "ctrace_container_syscalls_total");
  auto& errors = output::counter_family(registry, "ctrace_container_syscall_errors_total");
  auto& block = output::counter_family(registry, "ctrace_container_block_io_bytes_total");
  auto& opens = output::counter_family(registry, "ctrace_container_file_opens_total");
  auto& connects = output::counter_family(registry, "ctrace_container_tcp_connects_total");
  auto& ns = output::counter_family(registry, "ctrace_container_namespace_changes_total");
  auto& execs = output::counter_family(registry, "ctrace_container_execs_total");
  auto& exits = output::counter_family(registry, "ctrace_container_exits_total");
  auto& ooms = output::counter_family(registry, "ctrace_container_oom_kills_total");
  auto& signals = output::counter_family(registry, "ctrace_container_signals_total");
  prometheus::Family<prometheus::Counter>* by_name = nullptr;
  prometheus::Family<prometheus::Counter>* errors_by_name = nullptr;
  if (!syscalls_.empty()) {
    by_name = &output::counter_family(registry, "ctrace_container_syscalls_by_name_total");
    errors_by_name = &output::counter_family(registry, "ctrace_container_syscall_errors_by_name_total");
  }
  static constexpr const char* kResults[] = {"ok", "refused", "timeout", "other"};
  static constexpr const char* kCalls[] = {"unshare", "setns", "clone"};
  static constexpr const char* kExits[] = {"ok", "code", "signal"};
  static_assert(std::size(kExits) == HOSTVIEW_EXIT_REASONS);
  auto add = [](prometheus::Family<prometheus::Counter>& f, const prometheus::Labels& l, uint64_t v) {
    f.Add(l).Increment(static_cast<double>(v));
  };
  for (const auto& s : series) {
    const hostview::Group& g = s.group;
    const hostview::ActivityCounters& c = s.counters;
    // Group::pod is "namespace/pod" (pod names and namespaces have no '/').
    auto slash = g.pod.find('/');
    prometheus::Labels l{{"container", g.name},
                         {"id", g.id.substr(0, 12)},
                         {"runtime", g.runtime},
                         {"pod", slash == std::string::npos ? g.pod : g.pod.substr(slash + 1)},
                         {"namespace", slash == std::string::npos ? "" : g.pod.substr(0, slash)}};
    add(syscalls, l, c.syscalls);
    add(errors, l, c.errors);
    add(opens, l, c.opens);
    auto with = [&](const char* name, const std::string& value) {
      prometheus::Labels x = l;
      x.emplace(name, value);
      return x;
    };
    add(block, with("direction", "read"), c.read_bytes);
    add(block, with("direction", "write"), c.write_bytes);
    for (size_t i = 0; i < std::size(c.connect_results); ++i)
      add(connects, with("result", kResults[i]), c.connect_results[i]);
    for (size_t i = 0; i < std::size(c.ns_changes); ++i) add(ns, with("call", kCalls[i]), c.ns_changes[i]);
    add(execs, l, c.execs);
    add(ooms, l, c.oom_kills);
    for (size_t i = 0; i < std::size(c.exits); ++i) add(exits, with("reason", kExits[i]), c.exits[i]);
    // a series per signal that came (up to 23 fatal ones and SIGRT): not 24 zeros per container
    for (int sig = 0; sig < HOSTVIEW_SIGNAL_SLOTS; ++sig)
      if (c.fatal_signals[sig])
        add(signals, with("signal", sig ? enrich::signal_text(sig) : "SIGRT"), c.fatal_signals[sig]);
    if (!by_name) continue;
    for (uint32_t nr : syscalls_.select(c.per_syscall)) {
      auto it = c.per_syscall.find(nr);
      hostview::SyscallCount n = it == c.per_syscall.end() ? hostview::SyscallCount{} : it->second;
      auto labels = with("syscall", names_.name(static_cast<int>(nr)));
      add(*by_name, labels, n.count);
      add(*errors_by_name, labels, n.errors);
    }
  }
}

uint64_t ContainerMetrics::lost_events() {
  // Cgroup events the ring could not take, and counts that found a map full.
  return sampler_.view().lost().total() + sampler_.view().dropped().total();
}

void BpfStatsMetrics::collect(prometheus::Registry& registry) {
  if (!held_ && !probe::bpf_stats_sysctl_enabled()) return;
  auto& time = output::counter_family(registry, "ctrace_bpf_run_time_seconds_total");
  auto& count = output::counter_family(registry, "ctrace_bpf_run_count_total");
  for (const auto& p : probe::own_program_stats()) {
    time.Add({{"program", p.name}}).Increment(static_cast<double>(p.run_time_ns) / 1e9);
    count.Add({{"program", p.name}}).Increment(static_cast<double>(p.run_count));
  }
}

}  // namespace ctrace::commands
