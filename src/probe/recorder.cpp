#include "ctrace/probe/recorder.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <ctime>

#include "ctrace/core/error.hpp"
#include "ctrace/core/log.hpp"
#include "ctrace/core/time.hpp"
#include "ctrace/enrich/names.hpp"
#include "ctrace/probe/event_loop.hpp"
#include "ctrace/probe/percpu.hpp"
#include "probe/ring_copy.hpp"
#include "ctrace/probe/skeleton.hpp"
#include "record.lskel.hpp"
extern "C" {
#include "bpf/record.h"
}

namespace ctrace::probe {

static_assert(kRecordMaxSyscalls == RECORD_MAX_SYSCALLS, "recorder.hpp and record.h disagree");

namespace {

constexpr uint32_t kMinSlotsPerCpu = 4;

}  // namespace

uint64_t copy_ring_region(const record_event* region, const std::vector<uint64_t>& heads, uint32_t slots_per_cpu,
                          std::optional<uint32_t> owner, std::vector<std::pair<int, record_event>>& out) {
  // The writers never stop: each slot is copied between two reads of its seq, and a slot
  // a writer was in (seq 0) or rewrote meanwhile (seq moved on) is counted as torn. The raw
  // copy comes first and decoding after: a copy runs at memory speed, where decoding as we
  // go would let a busy writer lap a large ring before we reach its oldest slots.
  uint64_t torn = 0, total = 0;
  for (uint64_t h : heads) total += std::min<uint64_t>(h, slots_per_cpu);
  out.reserve(out.size() + static_cast<size_t>(total));
  for (size_t cpu = 0; cpu < heads.size(); ++cpu) {
    uint64_t h = heads[cpu];
    // newest first: a writer that laps the ring while we copy takes the oldest slots
    // (the ones it overwrites next), and a flight recorder's newest events matter most
    for (uint64_t oldest = h > slots_per_cpu ? h - slots_per_cpu : 0, p = h; p-- > oldest;) {
      const record_event& live = region[cpu * slots_per_cpu + static_cast<size_t>(p % slots_per_cpu)];
      if (__atomic_load_n(&live.seq, __ATOMIC_ACQUIRE) != p + 1) {
        ++torn;
        continue;
      }
      auto& slot = out.emplace_back(static_cast<int>(cpu), record_event{}).second;
      std::memcpy(static_cast<void*>(&slot), &live, sizeof live);
      __atomic_thread_fence(__ATOMIC_ACQUIRE);
      if (__atomic_load_n(&live.seq, __ATOMIC_RELAXED) != p + 1) {
        ++torn;
        out.pop_back();
      } else if (owner && slot.owner != *owner) {
        out.pop_back();  // an earlier group's, still in a region given to another since
      }
    }
  }
  return torn;
}

std::vector<enrich::TraceEvent> decode_sorted(const RecordDecoder& decoder,
                                              const std::vector<std::pair<int, record_event>>& copied) {
  std::vector<enrich::TraceEvent> events;
  events.reserve(copied.size());
  for (const auto& [cpu, slot] : copied) events.push_back(decoder.decode(slot, cpu));
  std::stable_sort(events.begin(), events.end(),
                   [](const enrich::TraceEvent& a, const enrich::TraceEvent& b) { return a.ts_ns < b.ts_ns; });
  return events;
}

struct Recorder::Impl {
  Skeleton<record_lbpf> skel;
  int ncpus = possible_cpus();
  uint32_t slots_per_cpu = kMinSlotsPerCpu;
  int head_fd = -1;
  std::unique_ptr<LostCounter> lost;
  void* ring = MAP_FAILED;
  size_t ring_len = 0;
  std::unique_ptr<RecordDecoder> decoder;
  int dumps = 0;

  ~Impl() {
    if (ring != MAP_FAILED) ::munmap(ring, ring_len);
  }

  std::vector<uint64_t> heads() const {
    std::vector<uint64_t> h;
    uint32_t zero = 0;
    if (!read_percpu(head_fd, &zero, h)) std::fill(h.begin(), h.end(), 0);
    return h;
  }

  RecorderStats stats() const { return stats(heads()); }

  RecorderStats stats(const std::vector<uint64_t>& heads) const {
    RecorderStats s;
    for (uint64_t h : heads) {
      s.recorded += h;
      if (h > slots_per_cpu) s.overwritten += h - slots_per_cpu;
    }
    s.lost = lost->total();
    return s;
  }
};

Recorder::Recorder(const target::Target& target, unsigned self_tgid, const RecorderOptions& opts,
                   const enrich::SyscallFormats& formats)
    : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.decoder = std::make_unique<RecordDecoder>(formats, opts.string_size);
  uint64_t per_cpu = opts.size_bytes / sizeof(record_event) / static_cast<uint64_t>(m.ncpus);
  m.slots_per_cpu = static_cast<uint32_t>(std::clamp<uint64_t>(per_cpu, kMinSlotsPerCpu, 1u << 24));

  auto& skel = m.skel;
  skel.load([&](record_lbpf* s) {
    configure_filter(s, target, self_tgid);
    s->rodata->targ_slots_per_cpu = m.slots_per_cpu;
    s->rodata->targ_ncpus = static_cast<uint32_t>(m.ncpus);
    s->rodata->targ_string_size = static_cast<uint32_t>(m.decoder->string_size());
    s->rodata->targ_filter_syscalls = !opts.syscalls.empty();
    s->maps.record_ring.max_entries = m.slots_per_cpu * static_cast<uint32_t>(m.ncpus);
  });

  int spec_fd = skel->maps.record_argspecs.map_fd;
  for (uint32_t nr = 0; nr < RECORD_MAX_SYSCALLS; ++nr) {
    if (!formats.find(static_cast<int>(nr))) continue;
    if (bpf_map_update_elem(spec_fd, &nr, &m.decoder->spec(nr), BPF_ANY) != 0)
      throw Error("configuring syscall arguments: {}", errno_string(errno));
  }
  int filter_fd = skel->maps.record_syscalls.map_fd;
  for (int nr : opts.syscalls) {
    auto key = static_cast<uint32_t>(nr);
    uint8_t one = 1;
    if (nr < 0 || nr >= RECORD_MAX_SYSCALLS || bpf_map_update_elem(filter_fd, &key, &one, BPF_ANY) != 0)
      throw Error("configuring the syscall filter for nr {}", nr);
  }
  m.head_fd = skel->maps.record_head.map_fd;
  m.lost = std::make_unique<LostCounter>(skel->maps.record_lost.map_fd);
  m.ring_len = static_cast<size_t>(m.slots_per_cpu) * static_cast<size_t>(m.ncpus) * sizeof(record_event);
  m.ring = ::mmap(nullptr, m.ring_len, PROT_READ, MAP_SHARED, skel->maps.record_ring.map_fd, 0);
  if (m.ring == MAP_FAILED) throw Error("mapping the record ring: {}", errno_string(errno));
  start_ns_ = monotonic_ns();
  skel.attach();
}

Recorder::~Recorder() = default;

void Recorder::retarget(const target::Target& target) {
  probe::retarget(impl_->skel.get(), target);
}

uint64_t Recorder::capacity() const {
  return static_cast<uint64_t>(impl_->slots_per_cpu) * static_cast<uint64_t>(impl_->ncpus);
}

RecorderStats Recorder::stats() const {
  std::lock_guard lock(mutex_);
  return impl_->stats();
}

RecorderDump Recorder::dump() {
  std::lock_guard lock(mutex_);
  Impl& m = *impl_;
  RecorderDump d;
  d.number = ++m.dumps;
  const uint64_t copy_start = monotonic_ns();
  auto heads = m.heads();
  std::vector<std::pair<int, record_event>> copied;
  d.torn = copy_ring_region(static_cast<const record_event*>(m.ring), heads, m.slots_per_cpu, std::nullopt, copied);
  spdlog::debug("dump {}: copied {} slots in {:.1f} ms, {} torn", d.number, copied.size(),
                static_cast<double>(monotonic_ns() - copy_start) / 1e6, d.torn);
  d.events = decode_sorted(*m.decoder, copied);
  d.stats = m.stats(heads);  // as of the heads copied: events + torn + overwritten = recorded
  return d;
}

}  // namespace ctrace::probe
