#include "ctrace/enrich/names.hpp"

#include <fmt/format.h>
#include <seccomp.h>

#include <cstdlib>
#include <cstring>

namespace ctrace::enrich {

SyscallNames::SyscallNames(int max_nr) {
  names_.reserve(static_cast<size_t>(max_nr));
  for (int nr = 0; nr < max_nr; ++nr) {
    char* s = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
    names_.push_back(s ? std::string(s) : fmt::format("syscall_{}", nr));
    std::free(s);
  }
}

std::string SyscallNames::name(int nr) const {
  if (nr >= 0 && static_cast<size_t>(nr) < names_.size()) return names_[static_cast<size_t>(nr)];
  return fmt::format("syscall_{}", nr);
}

std::optional<int> SyscallNames::lookup(const std::string& name) {
  int nr = seccomp_syscall_resolve_name_arch(SCMP_ARCH_NATIVE, name.c_str());
  if (nr < 0) return std::nullopt;  // __NR_SCMP_ERROR or a pseudo-syscall of another arch
  return nr;
}

namespace {

// The kernel's internal errors (include/linux/errno.h, not exported to user space headers):
// a syscall interrupted by a signal returns ERESTART* to its tracer. Names as strace prints them.
const char* kernel_errno_name(int err) {
  switch (err) {
    case 512:
      return "ERESTARTSYS";
    case 513:
      return "ERESTARTNOINTR";
    case 514:
      return "ERESTARTNOHAND";
    case 515:
      return "ENOIOCTLCMD";
    case 516:
      return "ERESTART_RESTARTBLOCK";
    case 517:
      return "EPROBE_DEFER";
    case 518:
      return "EOPENSTALE";
    case 519:
      return "ENOPARAM";
    case 521:
      return "EBADHANDLE";
    case 522:
      return "ENOTSYNC";
    case 523:
      return "EBADCOOKIE";
    case 524:
      return "ENOTSUPP";
    case 525:
      return "ETOOSMALL";
    case 526:
      return "ESERVERFAULT";
    case 527:
      return "EBADTYPE";
    case 528:
      return "EJUKEBOX";
    case 529:
      return "EIOCBQUEUED";
    case 530:
      return "ERECALLCONFLICT";
    case 531:
      return "ENOGRACE";
    default:
      return nullptr;
  }
}

}  // namespace

std::string errno_name(int err) {
  if (err < 0) err = -err;
  if (const char* n = ::strerrorname_np(err)) return n;
  if (const char* n = kernel_errno_name(err)) return n;
  return fmt::format("E{}", err);
}

}  // namespace ctrace::enrich
