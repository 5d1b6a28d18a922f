#pragma once
// HostView: the host-view programs (src/bpf/hostview.bpf.c) loaded once, and their maps read
// as snapshots. Shared by `ctrace top`, `stat/biograph --by-container` and the exporter:
// the kernel counts per cgroup (the task's own cgroup v2), readers diff two snapshots and
// fold cgroups into containers or pods once per interval, never per event.
#include <array>
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

namespace ctrace::probe {

struct SyscallCount {
  uint64_t count = 0;
  uint64_t errors = 0;
};

// What one cgroup (or, after folding, one container) did; every field is a counter.
struct ActivityCounters {
  enum ConnectResult { ConnectOk, ConnectRefused, ConnectTimeout, ConnectOther, ConnectResults };
  enum NsCall { NsUnshare, NsSetns, NsClone, NsCalls };

  uint64_t syscalls = 0;
  uint64_t errors = 0;
  uint64_t opens = 0;
  uint64_t connects = 0;  // TCP attempts; results below arrive when the handshake ends
  std::array<uint64_t, ConnectResults> connect_results{};
  std::array<uint64_t, NsCalls> ns_changes{};
  uint64_t read_bytes = 0, write_bytes = 0, read_ios = 0, write_ios = 0;
  std::map<uint32_t, SyscallCount> per_syscall;  // syscall nr -> count, errors

  uint64_t ns_changes_total() const { return ns_changes[0] + ns_changes[1] + ns_changes[2]; }
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
  // The map sizes (HOSTVIEW_MAX_* in src/bpf/hostview.h), for messages.
  static const unsigned max_cgroups;
  static const unsigned max_syscall_keys;

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

  RingBuffer& events();
  LostCounter& lost();     // cgroup events that did not fit in the ring buffer
  LostCounter& dropped();  // counts that found a map full (HOSTVIEW_MAX_* in hostview.h)

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ctrace::probe
