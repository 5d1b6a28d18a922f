#include "ctrace/probe/record_all.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cerrno>

#include "ctrace/core/error.hpp"
#include "ctrace/core/log.hpp"
#include "ctrace/core/time.hpp"
#include "ctrace/probe/event_loop.hpp"
#include "ctrace/probe/percpu.hpp"
#include "ctrace/probe/skeleton.hpp"
#include "probe/ring_copy.hpp"
#include "record_all.lskel.hpp"

namespace ctrace::probe {

namespace {
constexpr uint32_t kMinSlotsPerCpu = 16;
}  // namespace

struct RecordAll::Impl {
  Skeleton<record_all_lbpf> skel;
  int ncpus = possible_cpus();
  uint32_t regions = 1;
  uint32_t slots_per_cpu = kMinSlotsPerCpu;
  void* ring = MAP_FAILED;
  size_t ring_len = 0;
  std::unique_ptr<RecordDecoder> decoder;
  std::unique_ptr<RingBuffer> events;
  RecordAll::EventHandler handler;
  std::unique_ptr<LostCounter> lost, all_lost, budget_full, frozen;
  int dumps = 0;
  uint64_t start_ns = 0;

  ~Impl() {
    if (ring != MAP_FAILED) ::munmap(ring, ring_len);
  }
  int groups_fd() const { return skel->maps.record_groups.map_fd; }
  int free_fd() const { return skel->maps.record_free.map_fd; }
  std::vector<uint64_t> heads(uint32_t region) const {
    std::vector<uint64_t> h;
    if (!read_percpu(skel->maps.record_head.map_fd, &region, h)) std::fill(h.begin(), h.end(), 0);
    return h;
  }
  const record_event* region_base(uint32_t region) const {
    return static_cast<const record_event*>(ring) +
           static_cast<size_t>(region) * static_cast<size_t>(ncpus) * slots_per_cpu;
  }
};

RecordAll::RecordAll(unsigned self_tgid, const RecordAllOptions& opts, const enrich::SyscallFormats& formats,
                     EventHandler on_event)
    : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.handler = std::move(on_event);
  m.decoder = std::make_unique<RecordDecoder>(formats, opts.string_size);
  const uint64_t size = std::max<uint64_t>(opts.size_bytes, 1);
  m.regions = static_cast<uint32_t>(std::clamp<uint64_t>(opts.budget_bytes / size, 1, RecordAllOptions::kMaxRegions));
  const uint64_t per_cpu = size / sizeof(record_event) / static_cast<uint64_t>(m.ncpus);
  m.slots_per_cpu = static_cast<uint32_t>(std::clamp<uint64_t>(per_cpu, kMinSlotsPerCpu, 1u << 20));
  const uint64_t slots = static_cast<uint64_t>(m.regions) * static_cast<uint64_t>(m.ncpus) * m.slots_per_cpu;
  if (slots > UINT32_MAX) throw UsageError("--record-budget is too large for one ring: at most 64G");

  m.skel.load([&](record_all_lbpf* s) {
    s->rodata->targ_self_tgid = self_tgid;
    s->rodata->targ_init_tgid = opts.init_tgid;
    s->rodata->targ_slots_per_cpu = m.slots_per_cpu;
    s->rodata->targ_ncpus = static_cast<uint32_t>(m.ncpus);
    s->rodata->targ_string_size = static_cast<uint32_t>(m.decoder->string_size());
    s->maps.record_ring.max_entries = static_cast<uint32_t>(slots);
    s->maps.record_head.max_entries = m.regions;
    s->maps.record_free.max_entries = m.regions;
    // a region's owner and the cgroups made inside it (a pod's, a systemd unit's)
    s->maps.record_groups.max_entries = m.regions * 8;
  });
  auto& skel = m.skel;
  int spec_fd = skel->maps.record_argspecs.map_fd;
  for (uint32_t nr = 0; nr < RECORD_MAX_SYSCALLS; ++nr) {
    if (!formats.find(static_cast<int>(nr))) continue;
    if (bpf_map_update_elem(spec_fd, &nr, &m.decoder->spec(nr), BPF_ANY) != 0)
      throw Error("configuring syscall arguments: {}", errno_string(errno));
  }
  for (uint32_t r = 0; r < m.regions; ++r)
    if (bpf_map_update_elem(m.free_fd(), nullptr, &r, BPF_ANY) != 0)
      throw Error("filling the free regions: {}", errno_string(errno));
  m.lost = std::make_unique<LostCounter>(skel->maps.record_lost.map_fd);
  m.all_lost = std::make_unique<LostCounter>(skel->maps.record_all_lost.map_fd);
  m.budget_full = std::make_unique<LostCounter>(skel->maps.record_budget_full.map_fd);
  m.frozen = std::make_unique<LostCounter>(skel->maps.record_frozen.map_fd);
  m.ring_len = static_cast<size_t>(slots) * sizeof(record_event);
  m.ring = ::mmap(nullptr, m.ring_len, PROT_READ, MAP_SHARED, skel->maps.record_ring.map_fd, 0);
  if (m.ring == MAP_FAILED) throw Error("mapping the record ring: {}", errno_string(errno));
  m.events = std::make_unique<RingBuffer>(skel->maps.record_all_events.map_fd, [&m](const void* data, size_t size) {
    if (size < sizeof(record_all_event)) return;
    record_all_event e;
    std::memcpy(&e, data, sizeof e);
    e.path[sizeof e.path - 1] = 0;
    e.comm[sizeof e.comm - 1] = 0;
    e.sender.comm[sizeof e.sender.comm - 1] = 0;
    m.handler(e);
  });
  m.start_ns = monotonic_ns();
  skel.attach();
}

RecordAll::~RecordAll() = default;

uint32_t RecordAll::regions() const { return impl_->regions; }

uint64_t RecordAll::start_ns() const { return impl_->start_ns; }

uint64_t RecordAll::region_capacity() const {
  return static_cast<uint64_t>(impl_->slots_per_cpu) * static_cast<uint64_t>(impl_->ncpus);
}

RingBuffer& RecordAll::events() { return *impl_->events; }

std::optional<uint32_t> RecordAll::assign(uint64_t cgroup_id) {
  std::lock_guard lock(mutex_);
  uint32_t region = 0;
  if (bpf_map_lookup_and_delete_elem(impl_->free_fd(), nullptr, &region) != 0) return std::nullopt;
  record_group g{cgroup_id, region, 0, 0};
  if (bpf_map_update_elem(impl_->groups_fd(), &cgroup_id, &g, BPF_ANY) != 0) {
    bpf_map_update_elem(impl_->free_fd(), nullptr, &region, BPF_ANY);
    return std::nullopt;
  }
  return region;
}

bool RecordAll::keep(uint64_t cgroup_id) {
  std::lock_guard lock(mutex_);
  record_group g{};
  if (bpf_map_lookup_elem(impl_->groups_fd(), &cgroup_id, &g) != 0) return false;
  g.kept = 1;
  return bpf_map_update_elem(impl_->groups_fd(), &cgroup_id, &g, BPF_EXIST) == 0;
}

void RecordAll::forget(uint64_t cgroup_id) {
  std::lock_guard lock(mutex_);
  bpf_map_delete_elem(impl_->groups_fd(), &cgroup_id);
}

void RecordAll::release(uint32_t region) {
  std::lock_guard lock(mutex_);
  // its next owner counts from 0 (and reads only the slots it wrote: positions below its heads)
  std::vector<uint64_t> zero(static_cast<size_t>(impl_->ncpus), 0);
  bpf_map_update_elem(impl_->skel->maps.record_head.map_fd, &region, zero.data(), BPF_ANY);
  if (bpf_map_update_elem(impl_->free_fd(), nullptr, &region, BPF_ANY) != 0)
    spdlog::warn("giving back region {}: {}", region, errno_string(errno));
}

void RecordAll::reassign(uint64_t from, uint64_t to, uint32_t region) {
  std::lock_guard lock(mutex_);
  bpf_map_delete_elem(impl_->groups_fd(), &from);
  std::vector<uint64_t> zero(static_cast<size_t>(impl_->ncpus), 0);
  bpf_map_update_elem(impl_->skel->maps.record_head.map_fd, &region, zero.data(), BPF_ANY);
  record_group g{to, region, 0, 1};
  if (bpf_map_update_elem(impl_->groups_fd(), &to, &g, BPF_ANY) != 0)
    spdlog::warn("recording cgroup {}: {}", to, errno_string(errno));
}

void RecordAll::thaw(uint64_t cgroup_id) {
  std::lock_guard lock(mutex_);
  record_group g{};
  if (bpf_map_lookup_elem(impl_->groups_fd(), &cgroup_id, &g) != 0 || !g.frozen) return;
  g.frozen = 0;
  bpf_map_update_elem(impl_->groups_fd(), &cgroup_id, &g, BPF_EXIST);
}

RecorderStats RecordAll::stats(uint32_t region) const {
  const Impl& m = *impl_;
  auto h = m.heads(region);
  RecorderStats s;
  for (size_t cpu = 0; cpu < h.size(); ++cpu) {
    uint64_t n = h[cpu];
    s.recorded += n;
    if (n > m.slots_per_cpu) s.overwritten += n - m.slots_per_cpu;
  }
  return s;
}

RecorderDump RecordAll::dump(uint32_t region, uint64_t owner) {
  Impl& m = *impl_;
  RecorderDump d;
  {
    std::lock_guard lock(mutex_);
    d.number = ++m.dumps;
  }
  auto heads = m.heads(region);
  std::vector<std::pair<int, record_event>> copied;
  d.torn = copy_ring_region(m.region_base(region), heads, m.slots_per_cpu, static_cast<uint32_t>(owner), copied);
  d.events = decode_sorted(*m.decoder, copied);
  d.stats = stats(region);
  return d;
}

RecordAllCounters RecordAll::counters() const {
  const Impl& m = *impl_;
  return {m.budget_full->total(), m.frozen->total(), m.lost->total() + m.all_lost->total()};
}

namespace {

class RegionRecorder final : public TraceRecorder {
 public:
  RegionRecorder(std::shared_ptr<RecordAll> all, uint32_t region, uint64_t owner, bool follow)
      : all_(std::move(all)), region_(region), owner_(owner), follow_(follow) {}
  // a region's heads start at 0 for each owner (RecordAll::release, reassign)
  RecorderDump dump() override { return all_->dump(region_, owner_.load()); }
  RecorderStats stats() const override { return all_->stats(region_); }
  uint64_t start_ns() const override { return all_->start_ns(); }
  void retarget(const target::Target& t) override {
    if (!follow_ || t.cgroup_id == owner_) return;
    all_->reassign(owner_, t.cgroup_id, region_);
    owner_ = t.cgroup_id;
  }
  uint64_t capacity() const override { return all_->region_capacity(); }

 private:
  std::shared_ptr<RecordAll> all_;
  uint32_t region_;
  std::atomic<uint64_t> owner_;
  bool follow_;
};

}  // namespace

std::unique_ptr<TraceRecorder> region_recorder(std::shared_ptr<RecordAll> all, uint32_t region, uint64_t owner,
                                               bool follow) {
  return std::make_unique<RegionRecorder>(std::move(all), region, owner, follow);
}

}  // namespace ctrace::probe
