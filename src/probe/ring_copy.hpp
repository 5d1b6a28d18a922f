#pragma once
// The one copy of the record ring's slots, for Recorder (one target) and RecordAll (a region per
// container): consistent slots only, while the writers go on.
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "ctrace/probe/recorder.hpp"

extern "C" {
#include "bpf/record.h"
}

namespace ctrace::probe {

// Appends to `out` the slots of one region (heads.size() CPU parts of slots_per_cpu each, the
// per-CPU heads as read), newest first per CPU, with their CPU; with `owner`, only the slots
// that group wrote. Returns the slots torn (being written, or rewritten, while copied).
uint64_t copy_ring_region(const record_event* region, const std::vector<uint64_t>& heads, uint32_t slots_per_cpu,
                          std::optional<uint32_t> owner, std::vector<std::pair<int, record_event>>& out);

// The copied slots decoded, sorted by time.
std::vector<enrich::TraceEvent> decode_sorted(const RecordDecoder& decoder,
                                              const std::vector<std::pair<int, record_event>>& copied);

}  // namespace ctrace::probe
