#pragma once
// cgroup id -> path relative to the cgroup2 mount, cached; a miss walks the tree once.
#include <cstdint>
#include <filesystem>
#include <string>
#include <unordered_map>

namespace ctrace::enrich {

class CgroupNames {
 public:
  explicit CgroupNames(std::filesystem::path mount) : mount_(std::move(mount)) {}
  // "/system.slice/docker-ID.scope", "/" for the root, or "cgroup:ID" when gone.
  const std::string& path_of(uint64_t id);

 private:
  void rescan();
  std::filesystem::path mount_;
  std::unordered_map<uint64_t, std::string> cache_;
};

}  // namespace ctrace::enrich
