#pragma once
// Names of clone(2)/unshare(2) flag bits and of namespace kinds (CLONE_NEW* values).
#include <cstdint>
#include <string>
#include <vector>

namespace ctrace::enrich {

// How a flags word was passed: clone(2) keeps the exit signal in its low byte, where
// unshare(2) and clone3(2) have CLONE_NEWTIME (0x80).
enum class CloneFlagsAbi { Unshare, Clone, Clone3 };

// Every CLONE_NEW* bit (NS, CGROUP, UTS, IPC, USER, PID, NET, TIME).
inline constexpr uint64_t kCloneNewMask = 0x7e020080ULL;

// The names of the bits set in `flags`, lowest bit first ("CLONE_NEWNS", ...), then the
// clone(2) exit signal ("SIGCHLD"), then any bits without a name as one hex word ("0x1").
std::vector<std::string> clone_flag_names(uint64_t flags, CloneFlagsAbi abi = CloneFlagsAbi::Unshare);

// "net" for CLONE_NEWNET: the name of a namespace kind as in /proc/PID/ns; "" when `type`
// is not exactly one CLONE_NEW* bit.
std::string ns_kind_name(uint64_t type);

}  // namespace ctrace::enrich
