#pragma once
// The host view read as rows: per-cgroup counters (HostView) folded into one row per container,
// pod or cgroup (HostGroups), once per interval. One Sampler serves `top`,
// `stat/biograph --by-container` and the exporter; fold() and sort_rows() are unit-tested on
// synthetic counters.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "ctrace/hostview/groups.hpp"
#include "ctrace/hostview/host_view.hpp"

namespace ctrace::hostview {

struct Row {
  Group group;
  ActivityCounters delta;          // over the interval (totals: since load)
  double seconds = 0;              // length of the interval
  std::optional<double> cpu_pct;   // of one CPU, from cpu.stat usage_usec (top)
  std::optional<uint64_t> memory;  // memory.current, bytes (top)
  bool exited = false;             // every cgroup of the row is gone

  double per_sec(uint64_t v) const { return seconds > 0 ? static_cast<double>(v) / seconds : 0.0; }
};

// Folds per-cgroup counters into rows. `cgroups`: the cgroup ids to fold (with every id the
// maps know, idle ones give zero rows, so a quiet container stays listed); `counters`: what each
// did; `removed(id)`: that cgroup is gone. A row is exited when all of its cgroups are.
std::vector<Row> fold(const std::vector<uint64_t>& cgroups,
                      const std::unordered_map<uint64_t, ActivityCounters>& counters, double seconds,
                      const std::function<Group(uint64_t)>& group_of,
                      const std::function<bool(uint64_t)>& removed);

// The sort columns, in the order top's `s` cycles through them; the first is the default.
const std::vector<std::string>& sort_keys();
// Descending by the column (ascending for "name"), then by name: a stable display.
void sort_rows(std::vector<Row>& rows, const std::string& key);

class Sampler {
 public:
  // Loads the host view for `target` (Mode::All: every cgroup); rows are grouped `by`. The
  // cgroup events go to the groups, then to `on_event` (when given).
  Sampler(const target::Target& target, unsigned self_tgid, const std::filesystem::path& mount, GroupBy by,
          HostView::EventHandler on_event = {}, enrich::RuntimePaths paths = {});

  // The interval since the last next() (or since construction): read -> diff -> fold. `idle`:
  // a row for every cgroup the maps know and every running container in the target, counted
  // or not (top; the container list is refreshed every 5 s), else only for those with activity.
  struct Interval {
    std::vector<Row> rows;
    double seconds = 0;
    bool active = false;  // anything happened at all
  };
  Interval next(bool idle);
  // Forgets the cgroups gone for at least `grace` (here and in the kernel's maps) once their
  // last counts were taken: churn does not fill the maps. Returns them.
  std::vector<uint64_t> expire(std::chrono::steady_clock::duration grace);

  // Every counter since load, folded (the exporter's counters), and the snapshot they come
  // from; `per_syscall` false skips the per-syscall map.
  struct Totals {
    HostSnapshot snapshot;
    std::vector<Row> rows;
    std::unordered_map<uint64_t, std::string> key_of;  // cgroup id -> its row's Group::key
  };
  Totals totals(bool per_syscall);

  HostView& view() { return view_; }
  HostGroups& groups() { return groups_; }

 private:
  const std::vector<uint64_t>& running_containers();
  HostGroups groups_;
  HostView view_;
  HostSnapshot prev_;
  target::Target target_;
  std::vector<uint64_t> running_;  // running containers in the target (idle rows)
  std::optional<std::chrono::steady_clock::time_point> running_at_;
};

}  // namespace ctrace::hostview
