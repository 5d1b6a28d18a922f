#include "ctrace/enrich/flags.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <algorithm>
#include <string_view>
#include <utility>

#include "ctrace/enrich/clone_flags.hpp"

namespace ctrace::enrich {

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

}  // namespace

std::vector<std::string> open_flag_names(uint64_t flags) {
  flags &= 0xffffffffULL;
  const char* acc = (flags & O_ACCMODE) == O_WRONLY   ? "O_WRONLY"
                    : (flags & O_ACCMODE) == O_RDWR   ? "O_RDWR"
                    : (flags & O_ACCMODE) == O_RDONLY ? "O_RDONLY"
                                                      : "O_ACCMODE";
  std::vector<std::string> names{acc};
  // O_TMPFILE and O_SYNC include other bits (O_DIRECTORY, O_DSYNC): listed before them.
  std::string rest =
      bits_text(flags & ~static_cast<uint64_t>(O_ACCMODE),
                {CT_BIT(O_TMPFILE), CT_BIT(O_SYNC), CT_BIT(O_CREAT), CT_BIT(O_EXCL), CT_BIT(O_NOCTTY),
                 CT_BIT(O_TRUNC), CT_BIT(O_APPEND), CT_BIT(O_NONBLOCK), CT_BIT(O_DSYNC), CT_BIT(O_ASYNC),
                 CT_BIT(O_DIRECT), CT_BIT(O_LARGEFILE), CT_BIT(O_DIRECTORY), CT_BIT(O_NOFOLLOW),
                 CT_BIT(O_NOATIME), CT_BIT(O_CLOEXEC), CT_BIT(O_PATH)},
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

std::string signal_text(int sig) {
  if (sig == 0) return "0";
  if (const char* abbrev = ::sigabbrev_np(sig)) return fmt::format("SIG{}", abbrev);
  if (sig >= SIGRTMIN && sig <= SIGRTMAX) return fmt::format("SIGRT_{}", sig - SIGRTMIN);
  return fmt::format("SIG{}", sig);
}

std::optional<std::string> symbolic_arg(const std::string& syscall, const std::string& arg, uint64_t value) {
  const std::string_view s = syscall, a = arg;
  auto i32 = static_cast<int32_t>(value);
  if (a == "dfd" || a == "olddfd" || a == "newdfd" || a == "fromfd" || a == "tofd" ||
      (s == "execveat" && a == "fd"))
    return dirfd_text(i32);
  if ((s == "open" || s == "openat" || s == "creat" || s == "open_by_handle_at") && a == "flags")
    return open_flags_text(value);
  if ((s == "socket" || s == "socketpair") && a == "family") return address_family_text(i32);
  if ((s == "socket" || s == "socketpair") && a == "type") return socket_type_text(value);
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
  if ((s == "pipe2" || s == "dup3") && a == "flags")
    return bits_text(value, {CT_BIT(O_CLOEXEC), CT_BIT(O_NONBLOCK), CT_BIT(O_DIRECT)});
  if ((s == "accept4") && a == "flags")
    return bits_text(value, {CT_BIT(SOCK_CLOEXEC), CT_BIT(SOCK_NONBLOCK)});
  if (s == "epoll_create1" && a == "flags") return bits_text(value, {CT_BIT(EPOLL_CLOEXEC)});
  if (s == "eventfd2" && a == "flags")
    return bits_text(value, {CT_BIT(EFD_CLOEXEC), CT_BIT(EFD_NONBLOCK), CT_BIT(EFD_SEMAPHORE)});
  return std::nullopt;
}

}  // namespace ctrace::enrich
