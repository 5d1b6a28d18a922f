#include "commands/top_model.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "ctrace/core/error.hpp"

namespace ctrace::commands::top {

GroupBy parse_group_by(const std::string& s) {
  if (s == "container") return GroupBy::Container;
  if (s == "pod") return GroupBy::Pod;
  if (s == "cgroup") return GroupBy::Cgroup;
  throw UsageError("--by {}: give container, pod or cgroup", s);
}

std::vector<Row> fold(const std::vector<uint64_t>& cgroups,
                      const std::unordered_map<uint64_t, probe::ActivityCounters>& delta, double seconds,
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
    if (auto d = delta.find(id); d != delta.end()) r.delta += d->second;
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

std::string human_bytes(double bytes) {
  static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (bytes >= 1024 && u < 4) {
    bytes /= 1024;
    ++u;
  }
  return u == 0 ? fmt::format("{:.0f} B", bytes) : fmt::format("{:.1f} {}", bytes, units[u]);
}

}  // namespace ctrace::commands::top
