#pragma once
// cgroup v2 discovery: the mount point, ids and levels of directories.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace ctrace::cgroup {

// The cgroup2 mount point listed in a mounts file (/proc/self/mounts).
// Throws Error when there is none.
std::filesystem::path find_cgroup2_mount(const std::filesystem::path& mounts = "/proc/self/mounts");

// The mount that holds `path` per the mounts file (the longest matching mount point).
struct MountPoint {
  std::filesystem::path dir;
  std::string type;  // "cgroup2", "cgroup" (v1), "tmpfs", ...
};
std::optional<MountPoint> mount_of(const std::filesystem::path& path,
                                   const std::filesystem::path& mounts = "/proc/self/mounts");

// Filesystem type of the mount that holds `path` per the mounts file:
// "cgroup2", "cgroup" (v1), or something else ("" if not found).
std::string fs_type_of(const std::filesystem::path& path,
                       const std::filesystem::path& mounts = "/proc/self/mounts");

// The kernel's cgroup id of a cgroup2 directory (what bpf_get_current_cgroup_id returns).
uint64_t cgroup_id(const std::filesystem::path& dir);

// Depth below the mount: the mount itself is level 0.
uint32_t level_of(const std::filesystem::path& mount, const std::filesystem::path& dir);

// The cgroup v2 path ("0::/a/b") of a process, relative to the mount.
std::optional<std::string> cgroup_of_pid(int pid, const std::filesystem::path& proc = "/proc");

// Finds the directory under `mount` whose cgroup id is `id` (walks the tree).
std::optional<std::filesystem::path> find_by_id(const std::filesystem::path& mount, uint64_t id);

}  // namespace ctrace::cgroup
