#pragma once
// Syscall argument names and types from the kernel itself: the tracefs format files
// events/syscalls/sys_enter_NAME/format (tracefs is mounted when missing).
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ctrace::enrich {

// How `ctrace record` captures the memory an argument points to.
enum class ArgCapture {
  None,
  CString,      // a NUL-terminated string read at enter: "const char *" paths and names
  BufferIn,     // bytes read at enter, length in another argument (write's buf + count)
  BufferOut,    // bytes read at exit, length = the return value (read's buf)
  SockaddrIn,   // a struct sockaddr read at enter, length in the next argument (connect, bind, sendto)
  SockaddrOut,  // a struct sockaddr the call fills, read at exit when it succeeds (accept, getpeername)
  Argv,         // execve's argv: the first strings, read at enter
};

struct SyscallArg {
  std::string type;  // "const char *", "unsigned int"
  std::string name;  // "filename"
  ArgCapture capture = ArgCapture::None;
  int len_arg = -1;  // BufferIn: index of the length argument
};

struct SyscallFormat {
  std::string name;  // "openat"
  std::vector<SyscallArg> args;
};

// Parses the text of one sys_enter_NAME/format file (fields after __syscall_nr are the
// arguments) and classifies them; nullopt when it is not a syscall enter format.
std::optional<SyscallFormat> parse_syscall_format(std::string_view text);

// Decides which arguments are strings and buffers from their type and name.
void classify_args(SyscallFormat& f);

// Mounts tracefs at /sys/kernel/tracing when nothing is there; returns the tracefs root.
// Throws Error when no tracefs can be found or mounted.
std::filesystem::path ensure_tracefs();

class SyscallFormats {
 public:
  // Every DIR/sys_enter_*/format, DIR = <tracefs>/events/syscalls by default.
  static SyscallFormats load();
  static SyscallFormats load_dir(const std::filesystem::path& dir);

  // nullptr when the kernel has no format for nr (its args print as raw values).
  const SyscallFormat* find(int nr) const;
  void add(int nr, SyscallFormat f) { by_nr_[nr] = std::move(f); }
  size_t size() const { return by_nr_.size(); }

 private:
  std::map<int, SyscallFormat> by_nr_;
};

}  // namespace ctrace::enrich
