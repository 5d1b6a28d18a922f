#include "ctrace/enrich/cgroups.hpp"

#include <fmt/format.h>

#include "ctrace/core/cgroup.hpp"
#include "ctrace/core/error.hpp"

namespace fs = std::filesystem;

namespace ctrace::enrich {

void CgroupNames::rescan() {
  std::error_code ec;
  cache_[cgroup::cgroup_id(mount_)] = "/";
  for (auto it = fs::recursive_directory_iterator(mount_, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code e2;
    if (!it->is_directory(e2) || it->is_symlink(e2)) continue;
    try {
      cache_[cgroup::cgroup_id(it->path())] = "/" + it->path().lexically_relative(mount_).generic_string();
    } catch (const Error&) {
      // removed while walking
    }
  }
}

const std::string& CgroupNames::path_of(uint64_t id) {
  auto it = cache_.find(id);
  if (it != cache_.end()) return it->second;
  rescan();
  it = cache_.find(id);
  if (it != cache_.end()) return it->second;
  // Remember the miss so that a vanished cgroup costs one walk, not one per event.
  return cache_[id] = fmt::format("cgroup:{}", id);
}

}  // namespace ctrace::enrich
