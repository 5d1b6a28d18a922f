#pragma once
// HostGroups: which container, pod or cgroup each cgroup counted by HostView belongs to. Paths
// come from the cgroup_mkdir/rmdir events (so a cgroup that is gone still has one) or a walk of
// the tree; names from the shared ContainerResolver, looked up when a cgroup appears, at each
// interval (a name comes late, or changes), and when it goes away, never waiting for a
// runtime's socket (those are asked on the resolver's thread: an interval ticks on time while
// Docker starts a container).
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "ctrace/enrich/cgroups.hpp"
#include "ctrace/enrich/container_info.hpp"
#include "ctrace/hostview/host_view.hpp"

namespace ctrace::hostview {

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

class HostGroups {
 public:
  // `paths`: where the runtimes keep their state (a fixture tree in tests).
  HostGroups(const std::filesystem::path& mount, GroupBy by, enrich::RuntimePaths paths = {});

  // Feed every HostView cgroup event here.
  void on_event(const CgroupEvent& e);
  Group group_of(uint64_t cgroup_id);
  bool removed(uint64_t cgroup_id);
  // The containers running now (ps's list): their cgroup id and path, for rows of idle ones.
  std::vector<std::pair<uint64_t, std::string>> running_containers();
  // Cgroups gone for at least `grace`: forgotten here; the caller forgets them in HostView.
  std::vector<uint64_t> expire(std::chrono::steady_clock::duration grace);

 private:
  struct CgroupState {
    std::string path;  // relative to the mount
    std::optional<enrich::ContainerInfo> info;
    std::optional<std::chrono::steady_clock::time_point> removed_at;
  };
  CgroupState& state_of(uint64_t id);
  void resolve(CgroupState& s);

  GroupBy by_;
  enrich::CgroupNames cgroup_names_;
  enrich::ContainerResolver resolver_;
  std::unordered_map<uint64_t, CgroupState> cgroups_;
};

}  // namespace ctrace::hostview
