#include "ctrace/enrich/flags.hpp"

#include <asm/prctl.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <linux/futex.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/capability.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <string_view>
#include <utility>

#include "ctrace/enrich/clone_flags.hpp"

namespace ctrace::enrich {

extern const uint64_t kKernelOLargefile;  // kernel_fcntl.cpp

namespace {

struct Bit {
  uint64_t value;
  const char* name;
};

// Names of the set bits of `v` joined by '|', the rest as one hex word; `zero` when nothing is set.
std::string bits_text(uint64_t v, std::initializer_list<Bit> bits, const char* zero = "0") {
  std::string out;
  for (const auto& b : bits) {
    if (b.value && (v & b.value) == b.value) {
      if (!out.empty()) out += '|';
      out += b.name;
      v &= ~b.value;
    }
  }
  if (v) {
    if (!out.empty()) out += '|';
    out += fmt::format("{:#x}", v);
  }
  return out.empty() ? zero : out;
}

#define CT_BIT(x)                \
  Bit {                          \
    static_cast<uint64_t>(x), #x \
  }

// The name of `v` among `names` (CT_BIT pairs, a value each), else `v` in decimal.
std::string name_text(uint64_t v, std::initializer_list<Bit> names) {
  for (const auto& n : names)
    if (n.value == v) return n.name;
  return fmt::format("{}", static_cast<int64_t>(v));
}

// C's "%#x": "0" for 0 (fmt's {:#x} gives "0x0").
std::string c_hex(uint64_t v) {
  return v ? fmt::format("{:#x}", v) : "0";
}

// strace's file modes: "%#03o" ("0644", "000").
std::string octal_mode(uint64_t mode) {
  return fmt::format("0{:02o}", mode & 0xffffffffULL);
}

// mknod's mode: the file type, then the permissions ("S_IFIFO|0640"; "0600" for a regular file).
std::string mknod_mode_text(uint64_t mode) {
  const char* type = nullptr;
  switch (mode & S_IFMT) {
    case S_IFREG: type = "S_IFREG"; break;
    case S_IFCHR: type = "S_IFCHR"; break;
    case S_IFBLK: type = "S_IFBLK"; break;
    case S_IFIFO: type = "S_IFIFO"; break;
    case S_IFSOCK: type = "S_IFSOCK"; break;
    default: break;
  }
  std::string perms = octal_mode(mode & ~static_cast<uint64_t>(S_IFMT));
  return type ? fmt::format("{}|{}", type, perms) : perms;
}

bool mknod_has_dev(uint64_t mode) {
  return (mode & S_IFMT) == S_IFCHR || (mode & S_IFMT) == S_IFBLK;
}

// prctl's second argument, where strace names it.
std::optional<std::string> prctl_arg2_text(uint64_t option, uint64_t arg2) {
  switch (option & 0xffffffffULL) {
    case PR_SET_PDEATHSIG:
      return signal_text(static_cast<int32_t>(arg2));
    case PR_CAPBSET_READ:
    case PR_CAPBSET_DROP:
      if (auto name = capability_text(static_cast<uint32_t>(arg2))) return name;
      return fmt::format("{} /* CAP_??? */", c_hex(arg2));
    case PR_SET_DUMPABLE:
      return name_text(arg2, {{0, "SUID_DUMP_DISABLE"}, {1, "SUID_DUMP_USER"}, {2, "SUID_DUMP_ROOT"}});
    default:
      return std::nullopt;
  }
}

// How many of prctl's five arguments strace prints for an option: none after the option for
// the getters that take none, one for those that take one, all five otherwise.
size_t prctl_shown_args(uint64_t option) {
  switch (option & 0xffffffffULL) {
    case PR_GET_DUMPABLE:
    case PR_GET_KEEPCAPS:
    case PR_GET_SECCOMP:
    case PR_GET_TIMERSLACK:
      return 1;
    case PR_SET_PDEATHSIG:
    case PR_GET_PDEATHSIG:
    case PR_CAPBSET_READ:
    case PR_CAPBSET_DROP:
    case PR_SET_DUMPABLE:
    case PR_SET_KEEPCAPS:
    case PR_SET_CHILD_SUBREAPER:
    case PR_GET_CHILD_SUBREAPER:
    case PR_SET_NAME:
    case PR_GET_NAME:
    case PR_SET_TIMERSLACK:
      return 2;
    default:
      return 5;
  }
}

std::string at_flags_text(uint64_t flags) {
  return bits_text(flags & 0xffffffffULL,
                   {CT_BIT(AT_SYMLINK_NOFOLLOW), CT_BIT(AT_REMOVEDIR), CT_BIT(AT_SYMLINK_FOLLOW),
                    CT_BIT(AT_NO_AUTOMOUNT), CT_BIT(AT_EMPTY_PATH), CT_BIT(AT_RECURSIVE)});
}

// statx: the sync type first (AT_STATX_SYNC_AS_STAT is 0), then the AT_* bits.
std::string statx_flags_text(uint64_t flags) {
  flags &= 0xffffffffULL;
  uint64_t sync = flags & AT_STATX_SYNC_TYPE;
  std::string out = name_text(
      sync, {CT_BIT(AT_STATX_SYNC_AS_STAT), CT_BIT(AT_STATX_FORCE_SYNC), CT_BIT(AT_STATX_DONT_SYNC)});
  if (sync == AT_STATX_SYNC_TYPE) out = c_hex(sync);
  if (uint64_t rest = flags & ~static_cast<uint64_t>(AT_STATX_SYNC_TYPE)) out += "|" + at_flags_text(rest);
  return out;
}

std::string statx_mask_text(uint64_t mask) {
  return bits_text(mask & 0xffffffffULL,
                   {CT_BIT(STATX_ALL), CT_BIT(STATX_BASIC_STATS), CT_BIT(STATX_TYPE), CT_BIT(STATX_MODE),
                    CT_BIT(STATX_NLINK), CT_BIT(STATX_UID), CT_BIT(STATX_GID), CT_BIT(STATX_ATIME),
                    CT_BIT(STATX_MTIME), CT_BIT(STATX_CTIME), CT_BIT(STATX_INO), CT_BIT(STATX_SIZE),
                    CT_BIT(STATX_BLOCKS), CT_BIT(STATX_BTIME), CT_BIT(STATX_MNT_ID)});
}

std::string access_mode_text(uint64_t mode) {
  return bits_text(mode & 0xffffffffULL, {CT_BIT(R_OK), CT_BIT(W_OK), CT_BIT(X_OK)}, "F_OK");
}

// FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME: the command, "_PRIVATE", then the clock.
std::string futex_op_text(uint64_t op) {
  op &= 0xffffffffULL;
  uint64_t cmd = op & FUTEX_CMD_MASK;
  std::string out = name_text(
      cmd, {CT_BIT(FUTEX_WAIT), CT_BIT(FUTEX_WAKE), CT_BIT(FUTEX_FD), CT_BIT(FUTEX_REQUEUE),
            CT_BIT(FUTEX_CMP_REQUEUE), CT_BIT(FUTEX_WAKE_OP), CT_BIT(FUTEX_LOCK_PI), CT_BIT(FUTEX_UNLOCK_PI),
            CT_BIT(FUTEX_TRYLOCK_PI), CT_BIT(FUTEX_WAIT_BITSET), CT_BIT(FUTEX_WAKE_BITSET),
            CT_BIT(FUTEX_WAIT_REQUEUE_PI), CT_BIT(FUTEX_CMP_REQUEUE_PI), CT_BIT(FUTEX_LOCK_PI2)});
  if (op & FUTEX_PRIVATE_FLAG) out += "_PRIVATE";
  if (op & FUTEX_CLOCK_REALTIME) out += "|FUTEX_CLOCK_REALTIME";
  return out;
}

// The terminal and file ioctls every program makes; others in hex.
std::string ioctl_cmd_text(uint64_t cmd) {
  cmd &= 0xffffffffULL;
  std::string out = name_text(
      cmd,
      {CT_BIT(TCGETS),    CT_BIT(TCSETS),     CT_BIT(TCSETSW),     CT_BIT(TCSETSF),    CT_BIT(TCGETA),
       CT_BIT(TCSETA),    CT_BIT(TCSETAW),    CT_BIT(TCSETAF),     CT_BIT(TCSBRK),     CT_BIT(TCXONC),
       CT_BIT(TCFLSH),    CT_BIT(TIOCEXCL),   CT_BIT(TIOCNXCL),    CT_BIT(TIOCSCTTY),  CT_BIT(TIOCGPGRP),
       CT_BIT(TIOCSPGRP), CT_BIT(TIOCOUTQ),   CT_BIT(TIOCSTI),     CT_BIT(TIOCGWINSZ), CT_BIT(TIOCSWINSZ),
       CT_BIT(TIOCMGET),  CT_BIT(TIOCMSET),   CT_BIT(FIONREAD),    CT_BIT(TIOCNOTTY),  CT_BIT(TIOCGSID),
       CT_BIT(TIOCGPTN),  CT_BIT(TIOCSPTLCK), CT_BIT(TIOCGPTPEER), CT_BIT(FIONBIO),    CT_BIT(FIONCLEX),
       CT_BIT(FIOCLEX),   CT_BIT(FIOASYNC),   CT_BIT(TIOCGETD),    CT_BIT(TIOCSETD)});
  return out.find_first_not_of("-0123456789") == std::string::npos ? c_hex(cmd) : out;
}

std::string rlimit_resource_text(uint64_t r) {
  return name_text(
      r & 0xffffffffULL,
      {CT_BIT(RLIMIT_CPU), CT_BIT(RLIMIT_FSIZE), CT_BIT(RLIMIT_DATA), CT_BIT(RLIMIT_STACK),
       CT_BIT(RLIMIT_CORE), CT_BIT(RLIMIT_RSS), CT_BIT(RLIMIT_NPROC), CT_BIT(RLIMIT_NOFILE),
       CT_BIT(RLIMIT_MEMLOCK), CT_BIT(RLIMIT_AS), CT_BIT(RLIMIT_LOCKS), CT_BIT(RLIMIT_SIGPENDING),
       CT_BIT(RLIMIT_MSGQUEUE), CT_BIT(RLIMIT_NICE), CT_BIT(RLIMIT_RTPRIO), CT_BIT(RLIMIT_RTTIME)});
}

std::string arch_prctl_text(uint64_t option) {
  return name_text(option & 0xffffffffULL,
                   {CT_BIT(ARCH_SET_GS), CT_BIT(ARCH_SET_FS), CT_BIT(ARCH_GET_FS), CT_BIT(ARCH_GET_GS),
                    CT_BIT(ARCH_GET_CPUID), CT_BIT(ARCH_SET_CPUID), CT_BIT(ARCH_GET_XCOMP_SUPP),
                    CT_BIT(ARCH_GET_XCOMP_PERM), CT_BIT(ARCH_REQ_XCOMP_PERM),
                    CT_BIT(ARCH_GET_XCOMP_GUEST_PERM), CT_BIT(ARCH_REQ_XCOMP_GUEST_PERM),
                    CT_BIT(ARCH_MAP_VDSO_X32), CT_BIT(ARCH_MAP_VDSO_32), CT_BIT(ARCH_MAP_VDSO_64)});
}

std::string prctl_option_text(uint64_t option) {
  return name_text(option & 0xffffffffULL, {CT_BIT(PR_SET_PDEATHSIG),
                                            CT_BIT(PR_GET_PDEATHSIG),
                                            CT_BIT(PR_GET_DUMPABLE),
                                            CT_BIT(PR_SET_DUMPABLE),
                                            CT_BIT(PR_GET_UNALIGN),
                                            CT_BIT(PR_SET_UNALIGN),
                                            CT_BIT(PR_GET_KEEPCAPS),
                                            CT_BIT(PR_SET_KEEPCAPS),
                                            CT_BIT(PR_GET_FPEMU),
                                            CT_BIT(PR_SET_FPEMU),
                                            CT_BIT(PR_GET_FPEXC),
                                            CT_BIT(PR_SET_FPEXC),
                                            CT_BIT(PR_GET_TIMING),
                                            CT_BIT(PR_SET_TIMING),
                                            CT_BIT(PR_SET_NAME),
                                            CT_BIT(PR_GET_NAME),
                                            CT_BIT(PR_GET_ENDIAN),
                                            CT_BIT(PR_SET_ENDIAN),
                                            CT_BIT(PR_GET_SECCOMP),
                                            CT_BIT(PR_SET_SECCOMP),
                                            CT_BIT(PR_CAPBSET_READ),
                                            CT_BIT(PR_CAPBSET_DROP),
                                            CT_BIT(PR_GET_TSC),
                                            CT_BIT(PR_SET_TSC),
                                            CT_BIT(PR_GET_SECUREBITS),
                                            CT_BIT(PR_SET_SECUREBITS),
                                            CT_BIT(PR_SET_TIMERSLACK),
                                            CT_BIT(PR_GET_TIMERSLACK),
                                            CT_BIT(PR_TASK_PERF_EVENTS_DISABLE),
                                            CT_BIT(PR_TASK_PERF_EVENTS_ENABLE),
                                            CT_BIT(PR_MCE_KILL),
                                            CT_BIT(PR_MCE_KILL_GET),
                                            CT_BIT(PR_SET_MM),
                                            CT_BIT(PR_SET_PTRACER),
                                            CT_BIT(PR_SET_CHILD_SUBREAPER),
                                            CT_BIT(PR_GET_CHILD_SUBREAPER),
                                            CT_BIT(PR_SET_NO_NEW_PRIVS),
                                            CT_BIT(PR_GET_NO_NEW_PRIVS),
                                            CT_BIT(PR_GET_TID_ADDRESS),
                                            CT_BIT(PR_SET_THP_DISABLE),
                                            CT_BIT(PR_GET_THP_DISABLE),
                                            CT_BIT(PR_MPX_ENABLE_MANAGEMENT),
                                            CT_BIT(PR_MPX_DISABLE_MANAGEMENT),
                                            CT_BIT(PR_SET_FP_MODE),
                                            CT_BIT(PR_GET_FP_MODE),
                                            CT_BIT(PR_CAP_AMBIENT),
                                            CT_BIT(PR_SVE_SET_VL),
                                            CT_BIT(PR_SVE_GET_VL),
                                            CT_BIT(PR_GET_SPECULATION_CTRL),
                                            CT_BIT(PR_SET_SPECULATION_CTRL),
                                            CT_BIT(PR_PAC_RESET_KEYS),
                                            CT_BIT(PR_SET_TAGGED_ADDR_CTRL),
                                            CT_BIT(PR_GET_TAGGED_ADDR_CTRL),
                                            CT_BIT(PR_SET_IO_FLUSHER),
                                            CT_BIT(PR_GET_IO_FLUSHER),
                                            CT_BIT(PR_SET_SYSCALL_USER_DISPATCH),
                                            CT_BIT(PR_PAC_SET_ENABLED_KEYS),
                                            CT_BIT(PR_PAC_GET_ENABLED_KEYS),
                                            CT_BIT(PR_SCHED_CORE),
                                            CT_BIT(PR_SET_VMA)});
}

// IPPROTO_* for the internet families, NETLINK_* for netlink; a number for the others
// (AF_UNIX's 0), as strace prints them.
std::string socket_protocol_text(int family, uint64_t protocol) {
  protocol &= 0xffffffffULL;
  if (family == AF_INET || family == AF_INET6)
    return name_text(protocol,
                     {CT_BIT(IPPROTO_IP), CT_BIT(IPPROTO_ICMP), CT_BIT(IPPROTO_IGMP), CT_BIT(IPPROTO_TCP),
                      CT_BIT(IPPROTO_UDP), CT_BIT(IPPROTO_IPV6), CT_BIT(IPPROTO_ICMPV6), CT_BIT(IPPROTO_SCTP),
                      CT_BIT(IPPROTO_UDPLITE), CT_BIT(IPPROTO_RAW), CT_BIT(IPPROTO_MPTCP)});
  if (family == AF_NETLINK)
    return name_text(protocol, {CT_BIT(NETLINK_ROUTE),      CT_BIT(NETLINK_USERSOCK),
                                CT_BIT(NETLINK_SOCK_DIAG),  CT_BIT(NETLINK_NFLOG),
                                CT_BIT(NETLINK_XFRM),       CT_BIT(NETLINK_SELINUX),
                                CT_BIT(NETLINK_ISCSI),      CT_BIT(NETLINK_AUDIT),
                                CT_BIT(NETLINK_FIB_LOOKUP), CT_BIT(NETLINK_CONNECTOR),
                                CT_BIT(NETLINK_NETFILTER),  CT_BIT(NETLINK_IP6_FW),
                                CT_BIT(NETLINK_DNRTMSG),    CT_BIT(NETLINK_KOBJECT_UEVENT),
                                CT_BIT(NETLINK_GENERIC),    CT_BIT(NETLINK_SCSITRANSPORT),
                                CT_BIT(NETLINK_ECRYPTFS),   CT_BIT(NETLINK_RDMA),
                                CT_BIT(NETLINK_CRYPTO),     CT_BIT(NETLINK_SMC)});
  return fmt::format("{}", static_cast<int32_t>(protocol));
}

std::string wait_options_text(uint64_t options) {
  return bits_text(options & 0xffffffffULL,
                   {CT_BIT(WNOHANG), CT_BIT(WUNTRACED), CT_BIT(WEXITED), CT_BIT(WCONTINUED), CT_BIT(WNOWAIT),
                    CT_BIT(__WNOTHREAD), CT_BIT(__WALL), CT_BIT(__WCLONE)});
}

// fcntl's third argument, by command: flags, a signal, an fd or number, a pointer to a struct.
std::string fcntl_arg_text(int cmd, uint64_t arg) {
  auto i32 = static_cast<int32_t>(arg);
  switch (cmd) {
    case F_SETFD:
      return bits_text(arg & 0xffffffffULL, {CT_BIT(FD_CLOEXEC)});
    case F_SETFL:
      return open_flags_text(arg);
    case F_SETSIG:
      return signal_text(i32);
    case F_SETLEASE:
      return name_text(arg & 0xffffffffULL, {CT_BIT(F_RDLCK), CT_BIT(F_WRLCK), CT_BIT(F_UNLCK)});
    case F_NOTIFY:
      return bits_text(arg & 0xffffffffULL,
                       {CT_BIT(DN_ACCESS), CT_BIT(DN_MODIFY), CT_BIT(DN_CREATE), CT_BIT(DN_DELETE),
                        CT_BIT(DN_RENAME), CT_BIT(DN_ATTRIB), CT_BIT(DN_MULTISHOT)});
    case F_ADD_SEALS:
      return bits_text(arg & 0xffffffffULL, {CT_BIT(F_SEAL_SEAL), CT_BIT(F_SEAL_SHRINK), CT_BIT(F_SEAL_GROW),
                                             CT_BIT(F_SEAL_WRITE), CT_BIT(F_SEAL_FUTURE_WRITE)});
    case F_GETLK:
    case F_SETLK:
    case F_SETLKW:
    case F_OFD_GETLK:
    case F_OFD_SETLK:
    case F_OFD_SETLKW:
    case F_GETOWN_EX:
    case F_SETOWN_EX:
      return arg ? fmt::format("{:#x}", arg) : "NULL";
    default:  // F_DUPFD, F_DUPFD_CLOEXEC, F_SETOWN, F_SETPIPE_SZ
      return fmt::format("{}", i32);
  }
}

// The commands that take no third argument: strace prints two.
bool fcntl_takes_arg(int cmd) {
  switch (cmd) {
    case F_GETFD:
    case F_GETFL:
    case F_GETOWN:
    case F_GETSIG:
    case F_GETLEASE:
    case F_GETPIPE_SZ:
    case F_GET_SEALS:
      return false;
    default:
      return true;
  }
}

bool is_open(std::string_view s) {
  return s == "open" || s == "openat" || s == "creat" || s == "open_by_handle_at";
}

}  // namespace

std::vector<std::string> open_flag_names(uint64_t flags) {
  flags &= 0xffffffffULL;
  const char* acc = (flags & O_ACCMODE) == O_WRONLY   ? "O_WRONLY"
                    : (flags & O_ACCMODE) == O_RDWR   ? "O_RDWR"
                    : (flags & O_ACCMODE) == O_RDONLY ? "O_RDONLY"
                                                      : "O_ACCMODE";
  std::vector<std::string> names{acc};
  // strace's order (its xlat/open_mode_flags.in); O_SYNC and O_TMPFILE include other bits
  // (O_DSYNC, O_DIRECTORY) and come before them. The kernel's O_LARGEFILE: glibc's is 0 here.
  std::string rest =
      bits_text(flags & ~static_cast<uint64_t>(O_ACCMODE),
                {CT_BIT(O_CREAT), CT_BIT(O_EXCL), CT_BIT(O_NOCTTY), CT_BIT(O_TRUNC), CT_BIT(O_APPEND),
                 CT_BIT(O_NONBLOCK), CT_BIT(O_SYNC), CT_BIT(O_DSYNC), CT_BIT(O_DIRECT),
                 Bit{kKernelOLargefile, "O_LARGEFILE"}, CT_BIT(O_NOFOLLOW), CT_BIT(O_NOATIME),
                 CT_BIT(O_CLOEXEC), CT_BIT(O_PATH), CT_BIT(O_TMPFILE), CT_BIT(O_DIRECTORY), CT_BIT(O_ASYNC)},
                "");
  for (size_t start = 0; start < rest.size();) {
    size_t bar = std::min(rest.find('|', start), rest.size());
    names.push_back(rest.substr(start, bar - start));
    start = bar + 1;
  }
  return names;
}

std::string open_flags_text(uint64_t flags) {
  return fmt::format("{}", fmt::join(open_flag_names(flags), "|"));
}

std::string dirfd_text(int64_t fd) {
  auto v = static_cast<int32_t>(fd);
  return v == AT_FDCWD ? "AT_FDCWD" : fmt::format("{}", v);
}

std::string address_family_text(int family) {
  switch (family) {
    case AF_UNSPEC:
      return "AF_UNSPEC";
    case AF_UNIX:
      return "AF_UNIX";
    case AF_INET:
      return "AF_INET";
    case AF_INET6:
      return "AF_INET6";
    case AF_NETLINK:
      return "AF_NETLINK";
    case AF_PACKET:
      return "AF_PACKET";
    case AF_VSOCK:
      return "AF_VSOCK";
    case AF_BLUETOOTH:
      return "AF_BLUETOOTH";
    case AF_ALG:
      return "AF_ALG";
    case AF_XDP:
      return "AF_XDP";
    default:
      return fmt::format("AF_?\?\?({})", family);  // "AF_???(N)" ("??(" escaped: a trigraph)
  }
}

std::string socket_type_text(uint64_t type) {
  type &= 0xffffffffULL;
  uint64_t base = type & 0xf;
  const char* name = base == SOCK_STREAM      ? "SOCK_STREAM"
                     : base == SOCK_DGRAM     ? "SOCK_DGRAM"
                     : base == SOCK_RAW       ? "SOCK_RAW"
                     : base == SOCK_SEQPACKET ? "SOCK_SEQPACKET"
                     : base == SOCK_RDM       ? "SOCK_RDM"
                     : base == SOCK_PACKET    ? "SOCK_PACKET"
                                              : nullptr;
  std::string out = name ? name : fmt::format("{:#x}", base);
  std::string rest = bits_text(type & ~0xfULL, {CT_BIT(SOCK_CLOEXEC), CT_BIT(SOCK_NONBLOCK)}, "");
  return rest.empty() ? out : out + "|" + rest;
}

std::string mmap_prot_text(uint64_t prot) {
  return bits_text(prot & 0xffffffffULL,
                   {CT_BIT(PROT_READ), CT_BIT(PROT_WRITE), CT_BIT(PROT_EXEC), CT_BIT(PROT_GROWSDOWN),
                    CT_BIT(PROT_GROWSUP)},
                   "PROT_NONE");
}

std::string mmap_flags_text(uint64_t flags) {
  flags &= 0xffffffffULL;
  uint64_t type = flags & MAP_TYPE;
  const char* t = type == MAP_SHARED            ? "MAP_SHARED"
                  : type == MAP_PRIVATE         ? "MAP_PRIVATE"
                  : type == MAP_SHARED_VALIDATE ? "MAP_SHARED_VALIDATE"
                                                : nullptr;
  std::string out = t ? t : fmt::format("{:#x}", type);
  std::string rest =
      bits_text(flags & ~static_cast<uint64_t>(MAP_TYPE),
                {CT_BIT(MAP_FIXED), CT_BIT(MAP_ANONYMOUS), CT_BIT(MAP_32BIT), CT_BIT(MAP_GROWSDOWN),
                 CT_BIT(MAP_DENYWRITE), CT_BIT(MAP_EXECUTABLE), CT_BIT(MAP_LOCKED), CT_BIT(MAP_NORESERVE),
                 CT_BIT(MAP_POPULATE), CT_BIT(MAP_NONBLOCK), CT_BIT(MAP_STACK), CT_BIT(MAP_HUGETLB),
                 CT_BIT(MAP_SYNC), CT_BIT(MAP_FIXED_NOREPLACE)},
                "");
  return rest.empty() ? out : out + "|" + rest;
}

std::string fcntl_cmd_text(int cmd) {
  switch (cmd) {
    case F_DUPFD:
      return "F_DUPFD";
    case F_GETFD:
      return "F_GETFD";
    case F_SETFD:
      return "F_SETFD";
    case F_GETFL:
      return "F_GETFL";
    case F_SETFL:
      return "F_SETFL";
    case F_GETLK:
      return "F_GETLK";
    case F_SETLK:
      return "F_SETLK";
    case F_SETLKW:
      return "F_SETLKW";
    case F_SETOWN:
      return "F_SETOWN";
    case F_GETOWN:
      return "F_GETOWN";
    case F_SETSIG:
      return "F_SETSIG";
    case F_GETSIG:
      return "F_GETSIG";
    case F_OFD_GETLK:
      return "F_OFD_GETLK";
    case F_OFD_SETLK:
      return "F_OFD_SETLK";
    case F_OFD_SETLKW:
      return "F_OFD_SETLKW";
    case F_SETLEASE:
      return "F_SETLEASE";
    case F_GETLEASE:
      return "F_GETLEASE";
    case F_NOTIFY:
      return "F_NOTIFY";
    case F_DUPFD_CLOEXEC:
      return "F_DUPFD_CLOEXEC";
    case F_SETPIPE_SZ:
      return "F_SETPIPE_SZ";
    case F_GETPIPE_SZ:
      return "F_GETPIPE_SZ";
    case F_ADD_SEALS:
      return "F_ADD_SEALS";
    case F_GET_SEALS:
      return "F_GET_SEALS";
    default:
      return fmt::format("{}", cmd);
  }
}

namespace {
// glibc's abbreviation of a classic signal (1..31), or null.
const char* classic_abbrev(int sig) { return sig >= 1 && sig < 32 ? ::sigabbrev_np(sig) : nullptr; }
}  // namespace

std::string signal_text(int sig) {
  if (sig == 0) return "0";
  if (const char* abbrev = classic_abbrev(sig)) return fmt::format("SIG{}", abbrev);
  constexpr int kKernelRtMin = 32, kKernelRtMax = 64;  // strace counts from the kernel's, not glibc's
  if (sig >= kKernelRtMin && sig <= kKernelRtMax) return fmt::format("SIGRT_{}", sig - kKernelRtMin);
  return fmt::format("SIG{}", sig);
}

std::optional<std::string> capability_text(uint32_t cap) {
  char* n = cap_to_name(static_cast<cap_value_t>(cap));  // libcap: "cap_sys_admin", or the number
  std::string s = n ? n : "";
  if (n) cap_free(n);
  if (s.rfind("cap_", 0) != 0) return std::nullopt;
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s;
}

std::string signal_name(int sig) {
  if (const char* abbrev = classic_abbrev(sig)) return fmt::format("SIG{}", abbrev);
  if (sig == SIGRTMIN) return "SIGRTMIN";
  if (sig > SIGRTMIN && sig <= SIGRTMAX) return fmt::format("SIGRTMIN+{}", sig - SIGRTMIN);
  return fmt::format("signal {}", sig);
}

std::optional<std::string> symbolic_arg(const std::string& syscall, const std::string& arg, uint64_t value,
                                        const CallArgs& call) {
  const std::string_view s = syscall, a = arg;
  auto i32 = static_cast<int32_t>(value);
  if (a == "dfd" || a == "olddfd" || a == "newdfd" || a == "fromfd" || a == "tofd" ||
      (s == "execveat" && a == "fd"))
    return dirfd_text(i32);
  if (is_open(s) && a == "flags") return open_flags_text(value);
  if ((is_open(s) || s == "mkdir" || s == "mkdirat" || s == "chmod" || s == "fchmod" || s == "fchmodat") &&
      a == "mode")
    return octal_mode(value);
  if (s == "umask" && a == "mask") return octal_mode(value);
  if ((s == "mknod" || s == "mknodat") && a == "mode") return mknod_mode_text(value);
  if ((s == "mknod" || s == "mknodat") && a == "dev")
    return fmt::format("makedev({:#x}, {:#x})", major(value), minor(value));
  if ((s == "socket" || s == "socketpair") && a == "family") return address_family_text(i32);
  if ((s == "socket" || s == "socketpair") && a == "type") return socket_type_text(value);
  if ((s == "socket" || s == "socketpair") && a == "protocol")
    return socket_protocol_text(static_cast<int32_t>(call[0]), value);
  if ((s == "mmap" || s == "mprotect" || s == "pkey_mprotect") && a == "prot") return mmap_prot_text(value);
  if (s == "mmap" && a == "flags") return mmap_flags_text(value);
  if (s == "clone" && a == "clone_flags") {
    std::string out;
    for (const auto& n : clone_flag_names(value, CloneFlagsAbi::Clone)) out += (out.empty() ? "" : "|") + n;
    return out.empty() ? "0" : out;
  }
  if ((s == "unshare" && a == "unshare_flags") || (s == "setns" && a == "flags")) {
    std::string out;
    for (const auto& n : clone_flag_names(value, CloneFlagsAbi::Unshare)) out += (out.empty() ? "" : "|") + n;
    return out.empty() ? "0" : out;
  }
  if ((s == "kill" || s == "tkill" || s == "tgkill" || s == "rt_sigaction" || s == "rt_sigqueueinfo" ||
       s == "rt_tgsigqueueinfo" || s == "pidfd_send_signal") &&
      a == "sig")
    return signal_text(i32);
  if (s == "fcntl" && a == "cmd") return fcntl_cmd_text(i32);
  if (s == "fcntl" && a == "arg") return fcntl_arg_text(static_cast<int32_t>(call[1]), value);
  if ((s == "pipe2" || s == "dup3") && a == "flags")
    return bits_text(value, {CT_BIT(O_CLOEXEC), CT_BIT(O_NONBLOCK), CT_BIT(O_DIRECT)});
  if ((s == "accept4") && a == "flags")
    return bits_text(value, {CT_BIT(SOCK_CLOEXEC), CT_BIT(SOCK_NONBLOCK)});
  if (s == "epoll_create1" && a == "flags") return bits_text(value, {CT_BIT(EPOLL_CLOEXEC)});
  if (s == "eventfd2" && a == "flags")
    return bits_text(value, {CT_BIT(EFD_CLOEXEC), CT_BIT(EFD_NONBLOCK), CT_BIT(EFD_SEMAPHORE)});
  if (s == "arch_prctl" && a == "option") return arch_prctl_text(value);
  if (s == "prctl" && a == "option") return prctl_option_text(value);
  if (s == "prctl" && a == "arg2") return prctl_arg2_text(call[0], value);
  if ((s == "prlimit64" || s == "getrlimit" || s == "setrlimit") && a == "resource")
    return rlimit_resource_text(value);
  if ((s == "access" || s == "faccessat" || s == "faccessat2") && a == "mode") return access_mode_text(value);
  if (s == "lseek" && a == "whence")
    return name_text(value & 0xffffffffULL, {CT_BIT(SEEK_SET), CT_BIT(SEEK_CUR), CT_BIT(SEEK_END),
                                             CT_BIT(SEEK_DATA), CT_BIT(SEEK_HOLE)});
  if (s == "futex" && a == "op") return futex_op_text(value);
  if (s == "ioctl" && a == "cmd") return ioctl_cmd_text(value);
  if (s == "statx" && a == "flags") return statx_flags_text(value);
  if (s == "statx" && a == "mask") return statx_mask_text(value);
  if ((s == "newfstatat" || s == "fchownat" || s == "utimensat" || s == "linkat" || s == "unlinkat" ||
       s == "name_to_handle_at") &&
      (a == "flag" || a == "flags"))
    return at_flags_text(value);
  if (s == "getrandom" && a == "flags")
    return bits_text(value & 0xffffffffULL,
                     {CT_BIT(GRND_NONBLOCK), CT_BIT(GRND_RANDOM), CT_BIT(GRND_INSECURE)});
  if ((s == "wait4" || s == "waitid") && a == "options") return wait_options_text(value);
  if ((s == "rt_sigprocmask" || s == "sigprocmask") && a == "how")
    return name_text(value & 0xffffffffULL, {CT_BIT(SIG_BLOCK), CT_BIT(SIG_UNBLOCK), CT_BIT(SIG_SETMASK)});
  return std::nullopt;
}

std::optional<size_t> shown_arg_count(const std::string& syscall, const CallArgs& call) {
  const std::string_view s = syscall;
  if (s == "fcntl") return fcntl_takes_arg(static_cast<int32_t>(call[1])) ? 3 : 2;
  // the mode means something only when a file may be created
  if (s == "open" || s == "openat") {
    bool creates = (call[s == "open" ? 1 : 2] & O_CREAT) ||
                   (call[s == "open" ? 1 : 2] & O_TMPFILE) == static_cast<uint64_t>(O_TMPFILE);
    if (!creates) return s == "open" ? 2 : 3;
  }
  if (s == "prctl") return prctl_shown_args(call[0]);
  // the device means something only for a device file
  if (s == "mknod") return mknod_has_dev(call[1]) ? 3 : 2;
  if (s == "mknodat") return mknod_has_dev(call[2]) ? 4 : 3;
  if (s == "futex") {
    uint64_t cmd = call[1] & FUTEX_CMD_MASK;
    if (cmd == FUTEX_WAKE) return 3;
    if (cmd == FUTEX_WAIT) return 4;
  }
  return std::nullopt;
}

std::optional<std::string> symbolic_result(const std::string& syscall, int64_t ret, const CallArgs& call) {
  if (syscall != "fcntl" || ret < 0) return std::nullopt;
  auto v = static_cast<uint64_t>(ret);
  switch (static_cast<int32_t>(call[1])) {
    case F_GETFL:
      return fmt::format("{} (flags {})", c_hex(v), open_flags_text(v));
    case F_GETFD:
      if (!v) return std::nullopt;
      return fmt::format("{} (flags {})", c_hex(v), bits_text(v, {CT_BIT(FD_CLOEXEC)}));
    default:
      return std::nullopt;
  }
}

}  // namespace ctrace::enrich
