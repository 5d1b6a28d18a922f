#pragma once
// Symbolic names of syscall arguments, as strace prints them: open flags and modes, AT_FDCWD,
// socket family/type/protocol, mmap prot/flags, clone flags, signals, fcntl by command, *_CLOEXEC
// flags, AT_* flags, statx masks, futex ops, ioctl commands, rlimits, prctl/arch_prctl options,
// access modes, lseek whence, wait options, sigprocmask how. Names and values come from the C
// library's and the kernel's headers (<sys/*.h>, <linux/*.h>); clone flags from clone_flags.hpp.
#include <array>
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
// A signal in a syscall's arguments, as strace spells it: "SIGTERM", "SIGRT_3" (the kernel's
// numbering: 35), "SIG123" when unknown, "0" for 0 (kill's existence check).
std::string signal_text(int sig);
// A signal as `kill -l` spells it, for the lifecycle commands' output and --signal lists:
// "SIGTERM", "SIGRTMIN+3" (glibc's SIGRTMIN), "signal 99".
std::string signal_name(int sig);
// "CAP_SYS_ADMIN" (libcap's name, upper case); nullopt for a number libcap does not know.
std::optional<std::string> capability_text(uint32_t cap);

// A call's raw arguments: what an argument whose meaning depends on another is read with
// (fcntl's arg on its cmd, socket's protocol on its family).
using CallArgs = std::array<uint64_t, 6>;

// The symbolic form of argument `arg` (its name in the syscall's format file) of `syscall`,
// when ctrace knows one; nullopt for plain numbers.
std::optional<std::string> symbolic_arg(const std::string& syscall, const std::string& arg, uint64_t value,
                                        const CallArgs& call = {});

// How many leading arguments strace shows when the others mean nothing for this call: fcntl's
// arg for a command without one, open/openat's mode without O_CREAT or O_TMPFILE, futex's unused
// ones for FUTEX_WAKE/FUTEX_WAIT. nullopt: all of them.
std::optional<size_t> shown_arg_count(const std::string& syscall, const CallArgs& call);

// A successful result strace decodes: "0x8002 (flags O_RDWR|O_LARGEFILE)" for fcntl F_GETFL,
// "0x1 (flags FD_CLOEXEC)" for F_GETFD; nullopt for a plain number.
std::optional<std::string> symbolic_result(const std::string& syscall, int64_t ret, const CallArgs& call);

}  // namespace ctrace::enrich
