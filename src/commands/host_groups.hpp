#pragma once
// HostGroups: which container, pod or cgroup each cgroup counted by HostView belongs to, shared
// by `top` and `stat --by-container`. Paths come from the cgroup_mkdir/rmdir events (so a cgroup
// that is gone still has one) or a walk of the tree; names from the shared ContainerResolver,
// looked up when a cgroup appears, at each interval until found, and when it goes away.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "commands/top_model.hpp"
#include "ctrace/enrich/cgroups.hpp"
#include "ctrace/enrich/container_info.hpp"
#include "ctrace/probe/host_view.hpp"

namespace ctrace::commands::top {

class HostGroups {
 public:
  HostGroups(const std::filesystem::path& mount, GroupBy by);

  // Feed every HostView cgroup event here.
  void on_event(const probe::CgroupEvent& e);
  Group group_of(uint64_t cgroup_id);
  bool removed(uint64_t cgroup_id);
  // Cgroups gone for at least `grace`: forgotten here; the caller forgets them in HostView.
  std::vector<uint64_t> expire(std::chrono::steady_clock::duration grace);

 private:
  struct CgroupState {
    std::string path;  // relative to the mount
    std::optional<enrich::ContainerInfo> info;
    bool resolved = false;  // a named container, or nothing more to learn
    std::optional<std::chrono::steady_clock::time_point> removed_at;
  };
  CgroupState& state_of(uint64_t id);
  void resolve(CgroupState& s);

  GroupBy by_;
  enrich::CgroupNames cgroup_names_;
  enrich::ContainerResolver resolver_;
  std::unordered_map<uint64_t, CgroupState> cgroups_;
};

}  // namespace ctrace::commands::top
