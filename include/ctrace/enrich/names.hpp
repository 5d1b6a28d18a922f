#pragma once
// Names for numbers: syscalls (libseccomp), errno values (glibc).
#include <optional>
#include <string>
#include <vector>

namespace ctrace::enrich {

// Syscall names of the native architecture, resolved once; read-only after construction,
// so one instance serves concurrent dumps.
class SyscallNames {
 public:
  explicit SyscallNames(int max_nr = 512);
  // "read", or "syscall_NNN" when libseccomp has no name.
  std::string name(int nr) const;
  // nr of a name, or nullopt.
  static std::optional<int> lookup(const std::string& name);
  // The nr of `name` for a BPF program's filter: -1 (matches no syscall) when this
  // architecture has none.
  static int nr_or_none(const std::string& name) { return lookup(name).value_or(-1); }

 private:
  std::vector<std::string> names_;
};

// "ENOENT" for 2; "E123" when unknown. err may be negative.
std::string errno_name(int err);

}  // namespace ctrace::enrich
