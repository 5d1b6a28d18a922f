#include "ctrace/probe/bpf_stats.hpp"

#include <bpf/bpf.h>
#include <bpf/btf.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "ctrace/core/error.hpp"

namespace ctrace::probe {

namespace fs = std::filesystem;

namespace {

// bpf_prog_info.name stops at 15 characters ("handle_sys_ente"); the full name is the
// program's function in its BTF, as bpftool shows it.
std::string full_name(int fd, const bpf_prog_info& info) {
  std::string name = info.name;
  if (info.btf_id == 0 || info.nr_func_info == 0) return name;
  bpf_func_info func{};
  bpf_prog_info more{};
  more.nr_func_info = 1;
  more.func_info_rec_size = sizeof func;
  more.func_info = reinterpret_cast<uintptr_t>(&func);
  uint32_t len = sizeof more;
  if (bpf_obj_get_info_by_fd(fd, &more, &len) != 0) return name;
  btf* b = btf__load_from_kernel_by_id(info.btf_id);
  if (!b) return name;
  if (const btf_type* t = btf__type_by_id(b, func.type_id))
    if (const char* n = btf__name_by_offset(b, t->name_off); n && *n) name = n;
  btf__free(b);
  return name;
}

}  // namespace

std::vector<BpfProgramStats> own_program_stats() {
  std::map<std::string, BpfProgramStats> by_name;
  std::set<uint32_t> seen;  // a program may be open on several fds
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc/self/fd", ec)) {
    // Links and maps answer BPF_OBJ_GET_INFO_BY_FD too, with another struct: check the kind.
    if (fs::read_symlink(entry.path(), ec).string() != "anon_inode:bpf-prog") continue;
    int fd = 0;
    try {
      fd = std::stoi(entry.path().filename().string());
    } catch (const std::exception&) {
      continue;
    }
    bpf_prog_info info{};
    uint32_t len = sizeof info;
    if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0 || !seen.insert(info.id).second) continue;
    std::string name = full_name(fd, info);
    auto& s = by_name[name];
    s.name = name;
    s.run_time_ns += info.run_time_ns;
    s.run_count += info.run_cnt;
  }
  std::vector<BpfProgramStats> out;
  for (auto& [name, s] : by_name) out.push_back(std::move(s));
  return out;
}

bool bpf_stats_sysctl_enabled() {
  std::ifstream f("/proc/sys/kernel/bpf_stats_enabled");
  int v = 0;
  return (f >> v) && v != 0;
}

UniqueFd enable_bpf_stats() {
  int fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
  if (fd < 0)
    throw Error(
        "cannot enable BPF run-time statistics: {}. Run as root (CAP_SYS_ADMIN) or set "
        "kernel.bpf_stats_enabled=1",
        errno_string(-fd));
  return UniqueFd(fd);
}

}  // namespace ctrace::probe
