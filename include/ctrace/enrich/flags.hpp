#pragma once
// Symbolic names of syscall arguments, as strace prints them: open flags, AT_FDCWD, socket
// family/type, mmap prot/flags, clone flags, signals, fcntl commands, *_CLOEXEC flags.
// Values come from the C library's headers; clone flags and signals from clone_flags.hpp.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ctrace::enrich {

// "O_RDONLY|O_CLOEXEC"; bits without a name end as one hex word ("O_RDONLY|0x40000000").
std::string open_flags_text(uint64_t flags);
// The same as a list: {"O_RDONLY", "O_CLOEXEC"} (openclose's "flags_names").
std::vector<std::string> open_flag_names(uint64_t flags);
// "AT_FDCWD" for a directory fd of -100, else the number.
std::string dirfd_text(int64_t fd);
// "AF_INET", "AF_NETLINK"; "AF_???(N)" when unknown.
std::string address_family_text(int family);
// "SOCK_STREAM|SOCK_CLOEXEC".
std::string socket_type_text(uint64_t type);
// "PROT_READ|PROT_WRITE", "PROT_NONE".
std::string mmap_prot_text(uint64_t prot);
// "MAP_PRIVATE|MAP_ANONYMOUS".
std::string mmap_flags_text(uint64_t flags);
// "F_SETFD"; the number when unknown.
std::string fcntl_cmd_text(int cmd);
// "SIGTERM"; "SIG123" when unknown; "0" for 0 (kill's existence check).
std::string signal_text(int sig);

// The symbolic form of argument `arg` (its name in the syscall's format file) of `syscall`,
// when ctrace knows one; nullopt for plain numbers.
std::optional<std::string> symbolic_arg(const std::string& syscall, const std::string& arg, uint64_t value);

}  // namespace ctrace::enrich
