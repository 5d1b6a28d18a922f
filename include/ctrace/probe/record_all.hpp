#pragma once
// RecordAll: `serve --record-all`'s kernel side (record_all.bpf.c): one ring cut into regions of
// equal size, a region per recorded container, handed out by the kernel as cgroups appear and
// given back by user space; and the kernel's word on cgroups and failures (record_all.h events).
// Dumps of a region are Recorder's (one copy of the ring: ring_copy.hpp). Thread-safe.
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "ctrace/enrich/syscall_formats.hpp"
#include "ctrace/probe/recorder.hpp"

#include <linux/types.h>

extern "C" {
#include "bpf/record_all.h"
}

namespace ctrace::probe {

class RingBuffer;

struct RecordAllOptions {
  static constexpr uint64_t kDefaultBudget = 256ULL << 20;
  static constexpr uint64_t kDefaultSize = 2ULL << 20;
  static constexpr uint32_t kMaxRegions = 4096;
  uint64_t budget_bytes = kDefaultBudget;  // the whole ring, allocated at start
  uint64_t size_bytes = kDefaultSize;      // a region: budget / size regions (at most kMaxRegions)
  int string_size = 64;
  unsigned init_tgid = 0;  // record --postmortem -- CMD: CMD exiting non-zero is a failure
};

struct RecordAllCounters {
  uint64_t budget_full = 0;  // new cgroups that found no free region
  uint64_t frozen = 0;       // syscall events not written while a group's failure was written down
  uint64_t lost = 0;         // kernel events user space was not told, and slots not looked up
};

class RecordAll {
 public:
  using EventHandler = std::function<void(const record_all_event&)>;
  // on_event runs for each kernel event, from events().consume() (an EventLoop's).
  RecordAll(unsigned self_tgid, const RecordAllOptions& opts, const enrich::SyscallFormats& formats,
            EventHandler on_event);
  ~RecordAll();
  RecordAll(const RecordAll&) = delete;
  RecordAll& operator=(const RecordAll&) = delete;

  uint32_t regions() const;
  uint64_t region_capacity() const;  // events of one region (all CPUs)
  uint64_t start_ns() const;

  // The kernel's events (record_all.h), for an EventLoop.
  RingBuffer& events();

  // A cgroup there before the start, or one made inside a cgroup given back: takes a free region
  // for it (nullopt: none is free).
  std::optional<uint32_t> assign(uint64_t cgroup_id);
  // The cgroup is a container we record: the cgroups made inside it write to its region.
  bool keep(uint64_t cgroup_id);
  // The cgroup is not recorded any more (gone, or no container).
  void forget(uint64_t cgroup_id);
  // The region is free again: its heads back to 0, its slots for the next new cgroup.
  void release(uint32_t region);
  // The group `from` (gone: its container was re-created) gives its region to `to`, kept, with
  // its heads back to 0.
  void reassign(uint64_t from, uint64_t to, uint32_t region);
  // Lets a frozen group write again (its failure is written down).
  void thaw(uint64_t cgroup_id);

  // The slots `owner` wrote in `region`, as a dump.
  RecorderDump dump(uint32_t region, uint64_t owner);
  // Events written to the region by its owner (its heads start at 0 for each: release()).
  RecorderStats stats(uint32_t region) const;
  RecordAllCounters counters() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  mutable std::mutex mutex_;
};

// One region as a TraceRecorder: what serve's /list and /dump show of a recorded container.
// `follow`: retarget() gives the region to the re-created container (record --postmortem);
// else a re-created container gets a region of its own (serve).
std::unique_ptr<TraceRecorder> region_recorder(std::shared_ptr<RecordAll> all, uint32_t region, uint64_t owner,
                                               bool follow = false);

}  // namespace ctrace::probe
