#include "ctrace/probe/skeleton.hpp"

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <filesystem>
#include <string_view>
#include <vector>

#include "ctrace/core/log.hpp"
#include "ctrace/probe/lskel.h"

namespace ctrace::probe {

namespace {

bool has_cap(int cap) {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (::syscall(SYS_capget, &hdr, data) != 0) return false;
  return data[cap / 32].effective & (1u << (cap % 32));
}

constexpr const char* kPrivHint =
    "run ctrace as root, or with CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN (older kernels; Docker 20.10 "
    "does not know CAP_BPF); in a container, the runtime's default seccomp profile allows bpf(2) only "
    "with CAP_SYS_ADMIN (or use --security-opt seccomp=unconfined)";

}  // namespace

void check_bpf_available() {
  if (!std::filesystem::exists("/sys/kernel/btf/vmlinux"))
    throw BpfError("this kernel exposes no BTF (/sys/kernel/btf/vmlinux is missing): ctrace needs a kernel "
                   "built with CONFIG_DEBUG_INFO_BTF=y");
#ifndef CAP_BPF
#define CAP_BPF 39
#define CAP_PERFMON 38
#endif
  if (::geteuid() != 0 && !has_cap(CAP_SYS_ADMIN) && !(has_cap(CAP_BPF) && has_cap(CAP_PERFMON)))
    throw BpfError("not allowed to load BPF programs: {}", kPrivHint);
}

void throw_bpf_error(const std::string& what, int err) {
  int e = err < 0 ? -err : err;
  if (e == EPERM || e == EACCES)
    throw BpfError("{}: {}; {}", what, errno_string(e), kPrivHint);
  if (e == ENOENT || e == ESRCH)
    throw BpfError("{}: {}; a hook this command needs is missing from this kernel (run with -v for libbpf's log)",
                   what, errno_string(e));
  throw BpfError("{}: {} (run with -v for libbpf's log)", what, errno_string(e));
}

bool verifier_log_enabled() { return spdlog::should_log(spdlog::level::debug); }

void log_verifier_output(void* fresh_skel, const std::function<int()>& load, const std::string& name) {
  // 1 MiB, only on this failure path; the kernel keeps the end of a longer log (the error)
  std::vector<char> buf(1 << 20);
  ctrace_lskel_set_log(fresh_skel, buf.data(), static_cast<__u32>(buf.size()), 1);
  load();
  std::string_view log(buf.data());
  spdlog::debug("verifier log of {}:", name);
  while (!log.empty()) {
    auto eol = log.find('\n');
    spdlog::debug("libbpf: {}", log.substr(0, eol));
    if (eol == std::string_view::npos) break;
    log.remove_prefix(eol + 1);
  }
}

}  // namespace ctrace::probe
