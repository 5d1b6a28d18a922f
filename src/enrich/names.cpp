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

const std::string& SyscallNames::name(int nr) const {
  if (nr >= 0 && static_cast<size_t>(nr) < names_.size()) return names_[static_cast<size_t>(nr)];
  fallback_ = fmt::format("syscall_{}", nr);
  return fallback_;
}

std::optional<int> SyscallNames::lookup(const std::string& name) {
  int nr = seccomp_syscall_resolve_name_arch(SCMP_ARCH_NATIVE, name.c_str());
  if (nr < 0) return std::nullopt;  // __NR_SCMP_ERROR or a pseudo-syscall of another arch
  return nr;
}

std::string errno_name(int err) {
  if (err < 0) err = -err;
  if (const char* n = ::strerrorname_np(err)) return n;
  return fmt::format("E{}", err);
}

}  // namespace ctrace::enrich
