#include "ctrace/probe/host_view.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cstring>
#include <optional>

#include "ctrace/core/error.hpp"
#include "ctrace/enrich/names.hpp"
#include "ctrace/probe/skeleton.hpp"
#include "probe/hostview_lskel.h"
extern "C" {
#include "bpf/hostview.h"
}

namespace ctrace::probe {

std::pair<int, uint64_t> ActivityCounters::top_syscall() const {
  std::pair<int, uint64_t> best{-1, 0};
  for (const auto& [nr, s] : per_syscall)
    if (s.count > best.second) best = {static_cast<int>(nr), s.count};
  return best;
}

ActivityCounters& ActivityCounters::operator+=(const ActivityCounters& o) {
  syscalls += o.syscalls;
  errors += o.errors;
  opens += o.opens;
  connects += o.connects;
  for (size_t i = 0; i < connect_results.size(); ++i) connect_results[i] += o.connect_results[i];
  for (size_t i = 0; i < ns_changes.size(); ++i) ns_changes[i] += o.ns_changes[i];
  read_bytes += o.read_bytes;
  write_bytes += o.write_bytes;
  read_ios += o.read_ios;
  write_ios += o.write_ios;
  for (const auto& [nr, s] : o.per_syscall) {
    auto& mine = per_syscall[nr];
    mine.count += s.count;
    mine.errors += s.errors;
  }
  return *this;
}

ActivityCounters operator-(const ActivityCounters& now, const ActivityCounters& prev) {
  // A counter below its previous value means the key was deleted and made again: count
  // from zero rather than wrapping around.
  auto sub = [](uint64_t a, uint64_t b) { return a >= b ? a - b : a; };
  ActivityCounters d;
  d.syscalls = sub(now.syscalls, prev.syscalls);
  d.errors = sub(now.errors, prev.errors);
  d.opens = sub(now.opens, prev.opens);
  d.connects = sub(now.connects, prev.connects);
  for (size_t i = 0; i < d.connect_results.size(); ++i)
    d.connect_results[i] = sub(now.connect_results[i], prev.connect_results[i]);
  for (size_t i = 0; i < d.ns_changes.size(); ++i)
    d.ns_changes[i] = sub(now.ns_changes[i], prev.ns_changes[i]);
  d.read_bytes = sub(now.read_bytes, prev.read_bytes);
  d.write_bytes = sub(now.write_bytes, prev.write_bytes);
  d.read_ios = sub(now.read_ios, prev.read_ios);
  d.write_ios = sub(now.write_ios, prev.write_ios);
  for (const auto& [nr, s] : now.per_syscall) {
    auto it = prev.per_syscall.find(nr);
    SyscallCount p = it == prev.per_syscall.end() ? SyscallCount{} : it->second;
    SyscallCount x{sub(s.count, p.count), sub(s.errors, p.errors)};
    if (x.count || x.errors) d.per_syscall[nr] = x;
  }
  return d;
}

namespace {

bool any_activity(const ActivityCounters& c) {
  return c.syscalls || c.connects || c.read_ios || c.write_ios || c.ns_changes_total() ||
         c.connect_results[0] || c.connect_results[1] || c.connect_results[2] || c.connect_results[3];
}

}  // namespace

std::unordered_map<uint64_t, ActivityCounters> diff(const HostSnapshot& now, const HostSnapshot& prev) {
  static const ActivityCounters zero;
  std::unordered_map<uint64_t, ActivityCounters> out;
  for (const auto& [id, c] : now.cgroups) {
    auto it = prev.cgroups.find(id);
    ActivityCounters d = c - (it == prev.cgroups.end() ? zero : it->second);
    if (any_activity(d)) out.emplace(id, std::move(d));
  }
  return out;
}

const unsigned HostView::max_cgroups = HOSTVIEW_MAX_CGROUPS;
const unsigned HostView::max_syscall_keys = HOSTVIEW_MAX_SYSCALL_KEYS;

struct HostView::Impl {
  Skeleton<hostview_lbpf> skel{CTRACE_LSKEL_OPS(hostview), "hostview"};
  EventHandler on_event;
  std::optional<RingBuffer> ring;
  std::optional<LostCounter> lost;
  std::optional<LostCounter> dropped;
  int ncpus = libbpf_num_possible_cpus();
};

HostView::HostView(const target::Target& target, unsigned self_tgid, EventHandler on_event)
    : impl_(std::make_unique<Impl>()) {
  auto& skel = impl_->skel;
  impl_->on_event = std::move(on_event);
  hostview_lbpf_config config{};
  configure_filter(&config, &config, target, self_tgid);
  auto nr = [](const char* name) { return enrich::SyscallNames::lookup(name).value_or(-1); };
  config.targ_nr_open = nr("open");
  config.targ_nr_creat = nr("creat");
  config.targ_nr_openat = nr("openat");
  config.targ_nr_openat2 = nr("openat2");
  config.targ_nr_unshare = nr("unshare");
  config.targ_nr_setns = nr("setns");
  config.targ_nr_clone = nr("clone");
  config.targ_nr_clone3 = nr("clone3");
  skel.load([&](hostview_lbpf* s) { hostview_lbpf_configure(s, &config); });
  skel.attach();
  impl_->ring.emplace(hostview_lbpf_events_fd(skel.get()), [this](const void* data, size_t size) {
    if (size < sizeof(hostview_cgroup_event)) return;
    hostview_cgroup_event e;
    std::memcpy(&e, data, sizeof e);
    e.path[sizeof e.path - 1] = 0;
    if (impl_->on_event)
      impl_->on_event({e.cgroup_id, e.kind == HOSTVIEW_CGROUP_RMDIR, e.level, std::string(e.path)});
  });
  impl_->lost.emplace(hostview_lbpf_lost_fd(skel.get()));
  impl_->dropped.emplace(hostview_lbpf_dropped_fd(skel.get()));
}

HostView::~HostView() = default;

RingBuffer& HostView::events() {
  return *impl_->ring;
}
LostCounter& HostView::lost() {
  return *impl_->lost;
}
LostCounter& HostView::dropped() {
  return *impl_->dropped;
}

HostSnapshot HostView::read(bool per_syscall) const {
  HostSnapshot snap;
  snap.time = std::chrono::steady_clock::now();
  const auto ncpus = static_cast<size_t>(impl_->ncpus);
  int fd = hostview_lbpf_counters_fd(impl_->skel.get());
  std::vector<hostview_counters> values(ncpus);
  uint64_t key = 0, next = 0;
  uint64_t* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    key = next;
    prev = &key;
    if (bpf_map_lookup_elem(fd, &key, values.data()) != 0) continue;  // deleted meanwhile
    ActivityCounters& c = snap.cgroups[key];
    for (const auto& v : values) {
      c.syscalls += v.syscalls;
      c.errors += v.errors;
      c.opens += v.opens;
      c.connects += v.connects;
      for (size_t i = 0; i < c.connect_results.size(); ++i) c.connect_results[i] += v.connect_results[i];
      for (size_t i = 0; i < c.ns_changes.size(); ++i) c.ns_changes[i] += v.ns_changes[i];
      c.read_bytes += v.read_bytes;
      c.write_bytes += v.write_bytes;
      c.read_ios += v.read_ios;
      c.write_ios += v.write_ios;
    }
  }
  if (!per_syscall) return snap;

  fd = hostview_lbpf_syscalls_fd(impl_->skel.get());
  std::vector<hostview_syscall_value> svalues(ncpus);
  hostview_syscall_key skey{}, snext{};
  hostview_syscall_key* sprev = nullptr;
  while (bpf_map_get_next_key(fd, sprev, &snext) == 0) {
    skey = snext;
    sprev = &skey;
    if (bpf_map_lookup_elem(fd, &skey, svalues.data()) != 0) continue;
    SyscallCount& s = snap.cgroups[skey.cgroup_id].per_syscall[skey.nr];
    for (const auto& v : svalues) {
      s.count += v.count;
      s.errors += v.errors;
    }
  }
  return snap;
}

void HostView::forget(const std::vector<uint64_t>& cgroup_ids) {
  if (cgroup_ids.empty()) return;
  int fd = hostview_lbpf_counters_fd(impl_->skel.get());
  for (uint64_t id : cgroup_ids) bpf_map_delete_elem(fd, &id);
  // The per-syscall keys of those cgroups: collect first, deleting while walking restarts the walk.
  fd = hostview_lbpf_syscalls_fd(impl_->skel.get());
  std::vector<hostview_syscall_key> doomed;
  hostview_syscall_key key{}, next{};
  hostview_syscall_key* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    key = next;
    prev = &key;
    for (uint64_t id : cgroup_ids)
      if (key.cgroup_id == id) doomed.push_back(key);
  }
  for (const auto& k : doomed) bpf_map_delete_elem(fd, &k);
}

}  // namespace ctrace::probe
