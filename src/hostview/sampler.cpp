#include "ctrace/hostview/sampler.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace ctrace::hostview {

std::vector<Row> fold(const std::vector<uint64_t>& cgroups,
                      const std::unordered_map<uint64_t, ActivityCounters>& counters, double seconds,
                      const std::function<Group(uint64_t)>& group_of,
                      const std::function<bool(uint64_t)>& removed) {
  std::map<std::string, Row> rows;
  std::map<std::string, bool> all_removed;
  for (uint64_t id : cgroups) {
    Group g = group_of(id);
    auto [it, fresh] = rows.try_emplace(g.key);
    Row& r = it->second;
    if (fresh) {
      r.group = std::move(g);
      r.seconds = seconds;
    }
    if (auto d = counters.find(id); d != counters.end()) r.delta += d->second;
    auto [gone, first] = all_removed.try_emplace(r.group.key, true);
    gone->second = gone->second && removed(id);
  }
  std::vector<Row> out;
  out.reserve(rows.size());
  for (auto& [key, r] : rows) {
    r.exited = all_removed[key];
    out.push_back(std::move(r));
  }
  return out;
}

const std::vector<std::string>& sort_keys() {
  static const std::vector<std::string> keys = {"syscalls", "errors", "read", "write",  "opens",
                                                "connects", "ns",     "cpu",  "memory", "name"};
  return keys;
}

namespace {

double sort_value(const Row& r, const std::string& key) {
  const auto& d = r.delta;
  if (key == "syscalls") return static_cast<double>(d.syscalls);
  if (key == "errors") return static_cast<double>(d.errors);
  if (key == "read") return static_cast<double>(d.read_bytes);
  if (key == "write") return static_cast<double>(d.write_bytes);
  if (key == "opens") return static_cast<double>(d.opens);
  if (key == "connects") return static_cast<double>(d.connects);
  if (key == "ns") return static_cast<double>(d.ns_changes_total());
  if (key == "cpu") return r.cpu_pct.value_or(-1);
  if (key == "memory") return r.memory ? static_cast<double>(*r.memory) : -1;
  return 0;
}

}  // namespace

void sort_rows(std::vector<Row>& rows, const std::string& key) {
  std::stable_sort(rows.begin(), rows.end(), [&](const Row& a, const Row& b) {
    if (key != "name") {
      double va = sort_value(a, key), vb = sort_value(b, key);
      if (va != vb) return va > vb;
    }
    return a.group.name < b.group.name;
  });
}

Sampler::Sampler(const target::Target& target, unsigned self_tgid, const std::filesystem::path& mount,
                 GroupBy by, HostView::EventHandler on_event, enrich::RuntimePaths paths)
    : groups_(mount, by, std::move(paths)),
      view_(target, self_tgid,
            [this, on_event = std::move(on_event)](const CgroupEvent& e) {
              groups_.on_event(e);
              if (on_event) on_event(e);
            }),
      target_(target) {
  prev_ = view_.read();  // the baseline: nothing after it is missed
}

Sampler::Interval Sampler::next(bool idle) {
  HostSnapshot now = view_.read();
  Interval iv;
  iv.seconds = std::chrono::duration<double>(now.time - prev_.time).count();
  auto delta = diff(now, prev_);
  iv.active = !delta.empty();
  std::vector<uint64_t> ids;
  ids.reserve(idle ? now.cgroups.size() : delta.size());
  if (idle) {
    for (const auto& [id, _] : now.cgroups) ids.push_back(id);
    for (uint64_t id : running_containers())
      if (!now.cgroups.count(id)) ids.push_back(id);
  } else
    for (const auto& [id, _] : delta) ids.push_back(id);
  iv.rows = fold(
      ids, delta, iv.seconds, [this](uint64_t id) { return groups_.group_of(id); },
      [this](uint64_t id) { return groups_.removed(id); });
  prev_ = std::move(now);
  return iv;
}

// Containers that made no syscall since the load have no key in the maps: ps's list names
// them, every 5 s (a walk of the tree), within the target's subtree.
const std::vector<uint64_t>& Sampler::running_containers() {
  auto now = std::chrono::steady_clock::now();
  if (running_at_ && now - *running_at_ < std::chrono::seconds(5)) return running_;
  running_at_ = now;
  running_.clear();
  if (target_.mode == target::Mode::Uts) return running_;  // not told by cgroup
  std::string prefix = target_.cgroup_path == "/" ? "/" : target_.cgroup_path + "/";
  for (const auto& [id, path] : groups_.running_containers()) {
    bool inside = target_.mode == target::Mode::All || path == target_.cgroup_path ||
                  (!target_.exact && path.rfind(prefix, 0) == 0);
    if (inside) running_.push_back(id);
  }
  return running_;
}

std::vector<uint64_t> Sampler::expire(std::chrono::steady_clock::duration grace) {
  std::vector<uint64_t> expired = groups_.expire(grace);
  for (uint64_t id : expired) prev_.cgroups.erase(id);
  view_.forget(expired);
  return expired;
}

Sampler::Totals Sampler::totals(bool per_syscall) {
  Totals t;
  t.snapshot = view_.read(per_syscall);
  std::vector<uint64_t> ids;
  ids.reserve(t.snapshot.cgroups.size());
  for (const auto& [id, _] : t.snapshot.cgroups) ids.push_back(id);
  t.rows = fold(
      ids, t.snapshot.cgroups, 0,
      [&](uint64_t id) {
        Group g = groups_.group_of(id);
        t.key_of[id] = g.key;
        return g;
      },
      [this](uint64_t id) { return groups_.removed(id); });
  return t;
}

}  // namespace ctrace::hostview
