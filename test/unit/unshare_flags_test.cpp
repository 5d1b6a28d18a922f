// Clone-flag naming (src/enrich/clone_flags.cpp): every CLONE_NEW* bit, combinations, leftovers.
#include <catch2/catch.hpp>

#include "ctrace/enrich/clone_flags.hpp"

using namespace ctrace::enrich;
using Names = std::vector<std::string>;

TEST_CASE("each CLONE_NEW* bit has its name", "[unshare][flags]") {
  CHECK(clone_flag_names(0x00020000) == Names{"CLONE_NEWNS"});
  CHECK(clone_flag_names(0x02000000) == Names{"CLONE_NEWCGROUP"});
  CHECK(clone_flag_names(0x04000000) == Names{"CLONE_NEWUTS"});
  CHECK(clone_flag_names(0x08000000) == Names{"CLONE_NEWIPC"});
  CHECK(clone_flag_names(0x10000000) == Names{"CLONE_NEWUSER"});
  CHECK(clone_flag_names(0x20000000) == Names{"CLONE_NEWPID"});
  CHECK(clone_flag_names(0x40000000) == Names{"CLONE_NEWNET"});
  CHECK(clone_flag_names(0x00000080) == Names{"CLONE_NEWTIME"});
  CHECK(clone_flag_names(0x00000080, CloneFlagsAbi::Clone3) == Names{"CLONE_NEWTIME"});
  CHECK(clone_flag_names(0).empty());
}

TEST_CASE("kCloneNewMask is exactly the eight namespace bits", "[unshare][flags]") {
  auto names = clone_flag_names(kCloneNewMask);
  CHECK(names == Names{"CLONE_NEWTIME", "CLONE_NEWNS", "CLONE_NEWCGROUP", "CLONE_NEWUTS", "CLONE_NEWIPC",
                       "CLONE_NEWUSER", "CLONE_NEWPID", "CLONE_NEWNET"});
}

TEST_CASE("combinations are listed lowest bit first", "[unshare][flags]") {
  // what runc's child unshares
  CHECK(clone_flag_names(0x6c020000) ==
        Names{"CLONE_NEWNS", "CLONE_NEWUTS", "CLONE_NEWIPC", "CLONE_NEWPID", "CLONE_NEWNET"});
  CHECK(clone_flag_names(0x02020000) == Names{"CLONE_NEWNS", "CLONE_NEWCGROUP"});
  // unshare(2) also takes some non-namespace bits
  CHECK(clone_flag_names(0x00040600) == Names{"CLONE_FS", "CLONE_FILES", "CLONE_SYSVSEM"});
}

TEST_CASE("unknown bits are kept, in hex", "[unshare][flags]") {
  CHECK(clone_flag_names(0x1) == Names{"0x1"});
  CHECK(clone_flag_names(0x40000001) == Names{"CLONE_NEWNET", "0x1"});
  CHECK(clone_flag_names(0x8000000000000000ULL | 0x04000000) == Names{"CLONE_NEWUTS", "0x8000000000000000"});
  CHECK(clone_flag_names(0x300000000ULL) == Names{"CLONE_CLEAR_SIGHAND", "CLONE_INTO_CGROUP"});
}

TEST_CASE("clone(2) keeps the exit signal in the low byte", "[unshare][flags]") {
  // fork() as glibc does it, and the same with a new pid namespace
  CHECK(clone_flag_names(0x01200011, CloneFlagsAbi::Clone) ==
        Names{"CLONE_CHILD_CLEARTID", "CLONE_CHILD_SETTID", "SIGCHLD"});
  CHECK(clone_flag_names(0x20000011, CloneFlagsAbi::Clone) == Names{"CLONE_NEWPID", "SIGCHLD"});
  // 0x80 is part of the signal number there, not CLONE_NEWTIME
  CHECK(clone_flag_names(0x40000080, CloneFlagsAbi::Clone) == Names{"CLONE_NEWNET", "SIG128"});
}

TEST_CASE("namespace kinds are named as in /proc/PID/ns", "[unshare][flags]") {
  CHECK(ns_kind_name(0x00020000) == "mnt");
  CHECK(ns_kind_name(0x02000000) == "cgroup");
  CHECK(ns_kind_name(0x04000000) == "uts");
  CHECK(ns_kind_name(0x08000000) == "ipc");
  CHECK(ns_kind_name(0x10000000) == "user");
  CHECK(ns_kind_name(0x20000000) == "pid");
  CHECK(ns_kind_name(0x40000000) == "net");
  CHECK(ns_kind_name(0x00000080) == "time");
  CHECK(ns_kind_name(0).empty());
  CHECK(ns_kind_name(0x44000000).empty());
  CHECK(ns_kind_name(0x100).empty());
}
