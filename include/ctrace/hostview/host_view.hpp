#pragma once
// HostView: the host-view programs (src/bpf/hostview.bpf.c) loaded once, and their maps read
// as snapshots. The kernel counts per cgroup (the task's own cgroup v2); readers diff two
// snapshots and fold cgroups into containers or pods once per interval (sampler.hpp), never
// per event. Read by `ctrace top`, `stat/biograph --by-container` and the exporter.
#include <linux/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "ctrace/probe/event_loop.hpp"
#include "ctrace/target/target.hpp"
extern "C" {
#include "bpf/hostview.h"
}

namespace ctrace::hostview {

struct SyscallCount {
  uint64_t count = 0;
  uint64_t errors = 0;
};

// What one cgroup (or, after folding, one container) did. The counters are the kernel's own
// struct (bpf/hostview.h: every field a __u64 counter, the one list of them), summed,
// diffed and added field by field without naming the fields again.
struct ActivityCounters : hostview_counters {
  std::map<uint32_t, SyscallCount> per_syscall;  // syscall nr -> count, errors

  ActivityCounters() : hostview_counters{} {}
  uint64_t ns_changes_total() const {
    return ns_changes[HOSTVIEW_NS_UNSHARE] + ns_changes[HOSTVIEW_NS_SETNS] + ns_changes[HOSTVIEW_NS_CLONE];
  }
  // Any counter above zero.
  bool any() const;
  // The most frequent syscall (lowest nr on a tie); nr -1 when there is none.
  std::pair<int, uint64_t> top_syscall() const;
  ActivityCounters& operator+=(const ActivityCounters& o);
};

// `now - prev` field by field (counters only grow; a key missing from prev counts from 0).
ActivityCounters operator-(const ActivityCounters& now, const ActivityCounters& prev);

struct HostSnapshot {
  std::chrono::steady_clock::time_point time{};
  std::unordered_map<uint64_t, ActivityCounters> cgroups;  // cgroup id -> counters since load
};

// What happened between two snapshots, per cgroup; cgroups with no activity are left out.
std::unordered_map<uint64_t, ActivityCounters> diff(const HostSnapshot& now, const HostSnapshot& prev);

// A cgroup v2 directory made or removed (from tp_btf/cgroup_mkdir, cgroup_rmdir).
struct CgroupEvent {
  uint64_t cgroup_id = 0;
  bool removed = false;
  uint32_t level = 0;
  std::string path;  // relative to the cgroup2 mount, "/a/b"
};

class HostView {
 public:
  using EventHandler = std::function<void(const CgroupEvent&)>;
  static constexpr unsigned max_cgroups = HOSTVIEW_MAX_CGROUPS;
  static constexpr unsigned max_syscall_keys = HOSTVIEW_MAX_SYSCALL_KEYS;

  // Loads and attaches; `target` narrows what is counted (Mode::All: every cgroup).
  // `on_event` runs from the event loop for every cgroup made or removed.
  HostView(const target::Target& target, unsigned self_tgid, EventHandler on_event);
  ~HostView();
  HostView(const HostView&) = delete;
  HostView& operator=(const HostView&) = delete;

  // Reads every counter (a map walk: call once per interval); `per_syscall` false leaves
  // ActivityCounters::per_syscall empty and skips the larger (cgroup, syscall) map.
  HostSnapshot read(bool per_syscall = true) const;
  // Deletes the keys of cgroups that are gone, once their last counts were read, so that
  // a churning host does not fill the maps.
  void forget(const std::vector<uint64_t>& cgroup_ids);
  // The running programs count another cgroup's subtree (a followed container re-created).
  void retarget(const target::Target& target);

  probe::RingBuffer& events();
  probe::LostCounter& lost();     // cgroup events that did not fit in the ring buffer
  probe::LostCounter& dropped();  // counts that found a map full (HOSTVIEW_MAX_* in hostview.h)

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ctrace::hostview
