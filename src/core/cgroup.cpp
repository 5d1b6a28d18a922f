#include "ctrace/core/cgroup.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <vector>

#include "ctrace/core/error.hpp"

namespace fs = std::filesystem;

namespace ctrace::cgroup {

namespace {

struct MountEntry {
  std::string dir;
  std::string type;
};

// Undoes the octal escapes of /proc/self/mounts ("\040" for a space).
std::string unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      int v = 0;
      bool ok = true;
      for (size_t k = 1; k <= 3; ++k) {
        char c = s[i + k];
        if (c < '0' || c > '7') ok = false;
        v = v * 8 + (c - '0');
      }
      if (ok) {
        out += static_cast<char>(v);
        i += 3;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

std::vector<MountEntry> read_mounts(const fs::path& mounts) {
  std::ifstream in(mounts);
  if (!in) throw Error("cannot read {}: {}", mounts.string(), errno_string(errno));
  std::vector<MountEntry> out;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string src, dir, type;
    if (ls >> src >> dir >> type) out.push_back({unescape(dir), type});
  }
  return out;
}

bool is_under(const fs::path& p, const fs::path& dir) {
  auto rel = p.lexically_relative(dir);
  return !rel.empty() && *rel.begin() != "..";
}

}  // namespace

fs::path find_cgroup2_mount(const fs::path& mounts) {
  for (const auto& m : read_mounts(mounts))
    if (m.type == "cgroup2") return m.dir;
  throw Error("no cgroup2 filesystem is mounted (see {}): mount one with "
              "'mount -t cgroup2 none /sys/fs/cgroup/unified'", mounts.string());
}

std::optional<MountPoint> mount_of(const fs::path& path, const fs::path& mounts) {
  // The longest mount point that is a prefix of the path wins.
  std::optional<MountPoint> best;
  fs::path p = path.lexically_normal();
  for (const auto& m : read_mounts(mounts)) {
    fs::path dir = fs::path(m.dir).lexically_normal();
    if ((p == dir || is_under(p, dir)) && (!best || m.dir.size() >= best->dir.string().size()))
      best = MountPoint{m.dir, m.type};
  }
  return best;
}

std::string fs_type_of(const fs::path& path, const fs::path& mounts) {
  auto m = mount_of(path, mounts);
  return m ? m->type : std::string();
}

uint64_t cgroup_id(const fs::path& dir) {
  // The cgroup id is the kernfs node id, exposed as the directory's file handle
  // (and as its inode number on 64-bit kernels).
  struct {
    struct file_handle fh;
    uint64_t id;
  } h{};
  h.fh.handle_bytes = sizeof(uint64_t);
  int mount_id = 0;
  if (::name_to_handle_at(AT_FDCWD, dir.c_str(), &h.fh, &mount_id, 0) == 0 && h.fh.handle_bytes == 8)
    return h.id;
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) throw Error("cannot stat {}: {}", dir.string(), errno_string(errno));
  return st.st_ino;
}

uint32_t level_of(const fs::path& mount, const fs::path& dir) {
  auto rel = dir.lexically_normal().lexically_relative(mount.lexically_normal());
  uint32_t level = 0;
  for (const auto& part : rel)
    if (!part.empty() && part != "." && part != "/") ++level;
  return level;
}

std::optional<std::string> cgroup_of_pid(int pid, const fs::path& proc) {
  std::ifstream in(proc / std::to_string(pid) / "cgroup");
  if (!in) return std::nullopt;
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("0::", 0) == 0) return line.substr(3);
  return std::nullopt;
}

std::optional<fs::path> find_by_id(const fs::path& mount, uint64_t id) {
  std::error_code ec;
  if (cgroup_id(mount) == id) return mount;
  for (auto it = fs::recursive_directory_iterator(mount, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_directory(ec) || it->is_symlink(ec)) continue;
    try {
      if (cgroup_id(it->path()) == id) return it->path();
    } catch (const Error&) {
      // vanished while walking: not the one
    }
  }
  return std::nullopt;
}

}  // namespace ctrace::cgroup
