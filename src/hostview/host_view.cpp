#include "ctrace/hostview/host_view.hpp"

#include <bpf/bpf.h>

#include <cstring>
#include <optional>

#include "ctrace/core/error.hpp"
#include "ctrace/enrich/names.hpp"
#include "ctrace/probe/percpu.hpp"
#include "ctrace/probe/skeleton.hpp"
#include "hostview.lskel.hpp"

namespace ctrace::hostview {

namespace {

constexpr size_t kWords = sizeof(hostview_counters) / sizeof(uint64_t);
static_assert(sizeof(hostview_counters) % sizeof(uint64_t) == 0, "hostview_counters: __u64 counters only");

// The counters as the array of __u64 they are.
std::array<uint64_t, kWords> words(const hostview_counters& c) {
  std::array<uint64_t, kWords> w;
  std::memcpy(w.data(), &c, sizeof c);
  return w;
}

}  // namespace

bool ActivityCounters::any() const {
  for (uint64_t w : words(*this))
    if (w) return true;
  return false;
}

std::pair<int, uint64_t> ActivityCounters::top_syscall() const {
  std::pair<int, uint64_t> best{-1, 0};
  for (const auto& [nr, s] : per_syscall)
    if (s.count > best.second) best = {static_cast<int>(nr), s.count};
  return best;
}

ActivityCounters& ActivityCounters::operator+=(const ActivityCounters& o) {
  probe::add_counters<hostview_counters>(*this, o);
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
  auto a = words(now), b = words(prev);
  for (size_t i = 0; i < kWords; ++i) a[i] = sub(a[i], b[i]);
  ActivityCounters d;
  std::memcpy(static_cast<hostview_counters*>(&d), a.data(), sizeof(hostview_counters));
  for (const auto& [nr, s] : now.per_syscall) {
    auto it = prev.per_syscall.find(nr);
    SyscallCount p = it == prev.per_syscall.end() ? SyscallCount{} : it->second;
    SyscallCount x{sub(s.count, p.count), sub(s.errors, p.errors)};
    if (x.count || x.errors) d.per_syscall[nr] = x;
  }
  return d;
}

std::unordered_map<uint64_t, ActivityCounters> diff(const HostSnapshot& now, const HostSnapshot& prev) {
  static const ActivityCounters zero;
  std::unordered_map<uint64_t, ActivityCounters> out;
  for (const auto& [id, c] : now.cgroups) {
    auto it = prev.cgroups.find(id);
    ActivityCounters d = c - (it == prev.cgroups.end() ? zero : it->second);
    if (d.any()) out.emplace(id, std::move(d));
  }
  return out;
}

struct HostView::Impl {
  probe::Skeleton<hostview_lbpf> skel;
  EventHandler on_event;
  std::optional<probe::RingBuffer> ring;
  std::optional<probe::LostCounter> lost;
  std::optional<probe::LostCounter> dropped;
};

HostView::HostView(const target::Target& target, unsigned self_tgid, EventHandler on_event)
    : impl_(std::make_unique<Impl>()) {
  auto& skel = impl_->skel;
  impl_->on_event = std::move(on_event);
  auto nr = enrich::SyscallNames::nr_or_none;
  skel.load([&](hostview_lbpf* s) {
    probe::configure_filter(s, target, self_tgid);
    s->rodata->targ_nr_open = nr("open");
    s->rodata->targ_nr_creat = nr("creat");
    s->rodata->targ_nr_openat = nr("openat");
    s->rodata->targ_nr_openat2 = nr("openat2");
    s->rodata->targ_nr_unshare = nr("unshare");
    s->rodata->targ_nr_setns = nr("setns");
    s->rodata->targ_nr_clone = nr("clone");
    s->rodata->targ_nr_clone3 = nr("clone3");
  });
  skel.attach();
  impl_->ring.emplace(skel->maps.hostview_events.map_fd, [this](const void* data, size_t size) {
    if (size < sizeof(ctrace_cgroup_event)) return;
    ctrace_cgroup_event e;
    std::memcpy(&e, data, sizeof e);
    e.path[sizeof e.path - 1] = 0;
    if (impl_->on_event)
      impl_->on_event({e.cgroup_id, e.kind == CTRACE_CGROUP_RMDIR, e.level, std::string(e.path)});
  });
  impl_->lost.emplace(skel->maps.hostview_lost.map_fd);
  impl_->dropped.emplace(skel->maps.hostview_dropped.map_fd);
}

HostView::~HostView() = default;

probe::RingBuffer& HostView::events() {
  return *impl_->ring;
}
probe::LostCounter& HostView::lost() {
  return *impl_->lost;
}
probe::LostCounter& HostView::dropped() {
  return *impl_->dropped;
}

void HostView::retarget(const target::Target& target) {
  probe::retarget(impl_->skel.get(), target);
}

HostSnapshot HostView::read(bool per_syscall) const {
  HostSnapshot snap;
  snap.time = std::chrono::steady_clock::now();
  int fd = impl_->skel->maps.hostview_counters.map_fd;
  probe::for_each_key<uint64_t>(fd, [&](const uint64_t& key) {
    ActivityCounters c;
    // a key deleted meanwhile is skipped
    if (probe::sum_percpu_counters<hostview_counters>(fd, &key, c)) snap.cgroups[key] = std::move(c);
  });
  if (!per_syscall) return snap;

  fd = impl_->skel->maps.hostview_syscalls.map_fd;
  probe::for_each_key<hostview_syscall_key>(fd, [&](const hostview_syscall_key& key) {
    hostview_syscall_value v{};
    if (probe::sum_percpu_counters(fd, &key, v))
      snap.cgroups[key.cgroup_id].per_syscall[key.nr] = {v.count, v.errors};
  });
  return snap;
}

void HostView::forget(const std::vector<uint64_t>& cgroup_ids) {
  if (cgroup_ids.empty()) return;
  int fd = impl_->skel->maps.hostview_counters.map_fd;
  for (uint64_t id : cgroup_ids) bpf_map_delete_elem(fd, &id);
  // The per-syscall keys of those cgroups: collect first, deleting while walking restarts the walk.
  fd = impl_->skel->maps.hostview_syscalls.map_fd;
  std::vector<hostview_syscall_key> doomed;
  probe::for_each_key<hostview_syscall_key>(fd, [&](const hostview_syscall_key& key) {
    for (uint64_t id : cgroup_ids)
      if (key.cgroup_id == id) doomed.push_back(key);
  });
  for (const auto& k : doomed) bpf_map_delete_elem(fd, &k);
}

}  // namespace ctrace::hostview
