#pragma once
// UTS namespaces: the inode that identifies one (what the kernel filter compares) and the
// hostname inside it (the kernel's, read by joining the namespace in a short-lived thread).
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace ctrace::enrich {

// The inode of /proc/PID/ns/uts; nullopt when the process is gone or not visible.
std::optional<uint32_t> uts_inum_of(int pid, const std::filesystem::path& proc = "/proc");

// The host's UTS namespace: PID 1's in the /proc ctrace sees. Reading it needs ptrace access
// to PID 1; when that is refused (no CAP_SYS_PTRACE over it), the kernel's initial UTS
// namespace, whose inode is fixed (PROC_UTS_INIT_INO), stands in. Throws Error otherwise.
uint32_t host_uts_inum(const std::filesystem::path& proc = "/proc");

// The hostname the kernel holds in PID's UTS namespace (needs CAP_SYS_ADMIN: setns).
std::optional<std::string> uts_hostname_of(int pid, const std::filesystem::path& proc = "/proc");

struct UtsNamespace {
  uint32_t inum = 0;
  std::string hostname;
  int pid = 0;       // the lowest pid in it
  size_t tasks = 0;  // processes in it
};

// Every UTS namespace that holds a process, ordered by inode.
std::vector<UtsNamespace> uts_namespaces(const std::filesystem::path& proc = "/proc");

}  // namespace ctrace::enrich
