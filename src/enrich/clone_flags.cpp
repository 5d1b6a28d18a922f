#include "ctrace/enrich/clone_flags.hpp"

#include <fmt/format.h>

#include <cstring>
#include <utility>

#include "ctrace/enrich/flags.hpp"

namespace ctrace::enrich {

namespace {

struct Bit {
  uint64_t value;
  const char* name;
  const char* ns;  // /proc/PID/ns name for CLONE_NEW* bits
};

// The uapi values (linux/sched.h), lowest bit first; listed here rather than taken from
// headers because glibc's <sched.h> lacks the newer ones (CLONE_NEWTIME, CLONE_INTO_CGROUP).
constexpr Bit kBits[] = {
    {0x00000080ULL, "CLONE_NEWTIME", "time"},
    {0x00000100ULL, "CLONE_VM", nullptr},
    {0x00000200ULL, "CLONE_FS", nullptr},
    {0x00000400ULL, "CLONE_FILES", nullptr},
    {0x00000800ULL, "CLONE_SIGHAND", nullptr},
    {0x00001000ULL, "CLONE_PIDFD", nullptr},
    {0x00002000ULL, "CLONE_PTRACE", nullptr},
    {0x00004000ULL, "CLONE_VFORK", nullptr},
    {0x00008000ULL, "CLONE_PARENT", nullptr},
    {0x00010000ULL, "CLONE_THREAD", nullptr},
    {0x00020000ULL, "CLONE_NEWNS", "mnt"},
    {0x00040000ULL, "CLONE_SYSVSEM", nullptr},
    {0x00080000ULL, "CLONE_SETTLS", nullptr},
    {0x00100000ULL, "CLONE_PARENT_SETTID", nullptr},
    {0x00200000ULL, "CLONE_CHILD_CLEARTID", nullptr},
    {0x00400000ULL, "CLONE_DETACHED", nullptr},
    {0x00800000ULL, "CLONE_UNTRACED", nullptr},
    {0x01000000ULL, "CLONE_CHILD_SETTID", nullptr},
    {0x02000000ULL, "CLONE_NEWCGROUP", "cgroup"},
    {0x04000000ULL, "CLONE_NEWUTS", "uts"},
    {0x08000000ULL, "CLONE_NEWIPC", "ipc"},
    {0x10000000ULL, "CLONE_NEWUSER", "user"},
    {0x20000000ULL, "CLONE_NEWPID", "pid"},
    {0x40000000ULL, "CLONE_NEWNET", "net"},
    {0x80000000ULL, "CLONE_IO", nullptr},
    {0x100000000ULL, "CLONE_CLEAR_SIGHAND", nullptr},
    {0x200000000ULL, "CLONE_INTO_CGROUP", nullptr},
};

constexpr uint64_t kCloneSignalMask = 0xff;

}  // namespace

std::vector<std::string> clone_flag_names(uint64_t flags, CloneFlagsAbi abi) {
  std::vector<std::string> names;
  uint64_t rest = flags;
  int signal = 0;
  if (abi == CloneFlagsAbi::Clone) {
    signal = static_cast<int>(flags & kCloneSignalMask);
    rest &= ~kCloneSignalMask;
  }
  for (const auto& b : kBits) {
    if (rest & b.value) {
      names.emplace_back(b.name);
      rest &= ~b.value;
    }
  }
  if (signal) names.push_back(signal_text(signal));
  if (rest) names.push_back(fmt::format("{:#x}", rest));
  return names;
}

std::string ns_kind_name(uint64_t type) {
  for (const auto& b : kBits)
    if (b.ns && b.value == type) return b.ns;
  return "";
}

}  // namespace ctrace::enrich
