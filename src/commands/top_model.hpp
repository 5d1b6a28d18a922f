#pragma once
// ctrace top without the kernel or the terminal: per-cgroup deltas folded into rows (one per
// container, pod or cgroup), rates, sorting. Unit-tested on synthetic snapshots.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "ctrace/probe/host_view.hpp"

namespace ctrace::commands::top {

enum class GroupBy { Container, Pod, Cgroup };
GroupBy parse_group_by(const std::string& s);  // throws UsageError

// What a cgroup belongs to for the chosen grouping.
struct Group {
  std::string key;   // stable identity of the row (container id, pod uid, cgroup path)
  std::string name;  // what the user sees
  std::string id;    // container id, "" for a plain cgroup
  std::string runtime;
  std::string pod;     // "namespace/pod" when known
  std::string cgroup;  // the group's own cgroup (CPU and memory are read there)
};

struct Row {
  Group group;
  probe::ActivityCounters delta;   // over the interval
  double seconds = 0;              // length of the interval
  std::optional<double> cpu_pct;   // of one CPU, from cpu.stat usage_usec
  std::optional<uint64_t> memory;  // memory.current, bytes
  bool exited = false;             // every cgroup of the row is gone

  double per_sec(uint64_t v) const { return seconds > 0 ? static_cast<double>(v) / seconds : 0.0; }
};

// Folds per-cgroup counters into rows. `cgroups`: every cgroup id known to the maps (idle
// ones give zero rows, so a quiet container stays listed); `delta`: the interval's activity;
// `removed(id)`: that cgroup is gone. A row is exited when all of its cgroups are.
std::vector<Row> fold(const std::vector<uint64_t>& cgroups,
                      const std::unordered_map<uint64_t, probe::ActivityCounters>& delta, double seconds,
                      const std::function<Group(uint64_t)>& group_of,
                      const std::function<bool(uint64_t)>& removed);

// The sort columns, in the order `s` cycles through them; the first is the default.
const std::vector<std::string>& sort_keys();
// Descending by the column (ascending for "name"), then by name: a stable display.
void sort_rows(std::vector<Row>& rows, const std::string& key);

// "1.2 MiB", "512 B": block I/O rates and memory in the text table.
std::string human_bytes(double bytes);

}  // namespace ctrace::commands::top
