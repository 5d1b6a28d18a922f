#include "ctrace/hostview/groups.hpp"

#include "ctrace/core/error.hpp"

namespace ctrace::hostview {

GroupBy parse_group_by(const std::string& s) {
  if (s == "container") return GroupBy::Container;
  if (s == "pod") return GroupBy::Pod;
  if (s == "cgroup") return GroupBy::Cgroup;
  throw UsageError("--by {}: give container, pod or cgroup", s);
}

HostGroups::HostGroups(const std::filesystem::path& mount, GroupBy by, enrich::RuntimePaths paths)
    : by_(by), cgroup_names_(mount), resolver_(mount, std::move(paths)) {
  // The containers there at the start, named before the first interval (the loop has not
  // started: waiting for a socket here costs no tick); later ones are named off the loop.
  if (by_ != GroupBy::Cgroup) resolver_.list();
}

HostGroups::CgroupState& HostGroups::state_of(uint64_t id) {
  auto [it, fresh] = cgroups_.try_emplace(id);
  if (fresh) it->second.path = cgroup_names_.path_of(id);
  return it->second;
}

void HostGroups::resolve(CgroupState& s) {
  if (by_ == GroupBy::Cgroup) return;
  if (s.path.rfind("cgroup:", 0) == 0) return;  // gone before we knew its path
  // Every interval: the resolver's cache answers, and a name that came (or changed: docker
  // rename) since the last one is in it.
  if (auto info = resolver_.lookup_path(s.path, /*wait=*/false)) s.info = std::move(info);
}

void HostGroups::on_event(const CgroupEvent& e) {
  auto [it, fresh] = cgroups_.try_emplace(e.cgroup_id);
  CgroupState& s = it->second;
  if (!e.path.empty()) s.path = e.path;
  if (!e.removed) resolver_.invalidate(e.cgroup_id);
  resolve(s);
  if (e.removed) s.removed_at = std::chrono::steady_clock::now();
}

std::vector<std::pair<uint64_t, std::string>> HostGroups::running_containers() {
  std::vector<std::pair<uint64_t, std::string>> out;
  for (const auto& c : resolver_.list(/*all=*/false, /*wait=*/false))
    if (c.cgroup_id) out.emplace_back(c.cgroup_id, c.cgroup);
  return out;
}

bool HostGroups::removed(uint64_t cgroup_id) {
  return state_of(cgroup_id).removed_at.has_value();
}

Group HostGroups::group_of(uint64_t id) {
  CgroupState& s = state_of(id);
  if (!s.removed_at) resolve(s);
  Group g{s.path, s.path, "", "", "", s.path};
  if (!s.info) return g;
  const auto& info = *s.info;
  if (by_ == GroupBy::Pod && !info.pod.empty()) {
    std::string pod = info.pod_namespace.empty() ? info.pod : info.pod_namespace + "/" + info.pod;
    std::string cg = std::filesystem::path(info.cgroup).parent_path().generic_string();
    return {"pod:" + pod, pod, info.pod_uid, info.runtime, pod, cg};
  }
  std::string pod =
      info.pod.empty() ? "" : (info.pod_namespace.empty() ? "" : info.pod_namespace + "/") + info.pod;
  return {"container:" + (info.id.empty() ? info.cgroup : info.id),
          info.display_name(),
          info.id,
          info.runtime,
          pod,
          info.cgroup};
}

std::vector<uint64_t> HostGroups::expire(std::chrono::steady_clock::duration grace) {
  std::vector<uint64_t> expired;
  auto now = std::chrono::steady_clock::now();
  for (auto it = cgroups_.begin(); it != cgroups_.end();) {
    if (it->second.removed_at && now - *it->second.removed_at >= grace) {
      expired.push_back(it->first);
      it = cgroups_.erase(it);
    } else {
      ++it;
    }
  }
  return expired;
}

}  // namespace ctrace::hostview
