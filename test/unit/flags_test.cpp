// Symbolic syscall arguments, spelled as strace spells them.
#include "ctrace/enrich/flags.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>

#include "ctrace/enrich/names.hpp"

using namespace ctrace::enrich;

TEST_CASE("open flags, AT_FDCWD and *_CLOEXEC", "[flags]") {
  CHECK(open_flags_text(O_RDONLY) == "O_RDONLY");
  CHECK(open_flags_text(O_RDONLY | O_CLOEXEC) == "O_RDONLY|O_CLOEXEC");
  CHECK(open_flags_text(O_WRONLY | O_CREAT | O_TRUNC) == "O_WRONLY|O_CREAT|O_TRUNC");
  CHECK(open_flags_text(O_RDWR | O_TMPFILE) == "O_RDWR|O_TMPFILE");
  CHECK(open_flags_text(O_RDONLY | 0x40000000) == "O_RDONLY|0x40000000");
  CHECK(dirfd_text(-100) == "AT_FDCWD");
  CHECK(dirfd_text(0xffffff9c) == "AT_FDCWD");  // as a 64-bit register holds the int
  CHECK(dirfd_text(3) == "3");
  CHECK(symbolic_arg("pipe2", "flags", O_CLOEXEC) == "O_CLOEXEC");
  CHECK(symbolic_arg("accept4", "flags", SOCK_CLOEXEC | SOCK_NONBLOCK) == "SOCK_CLOEXEC|SOCK_NONBLOCK");
  CHECK(symbolic_arg("epoll_create1", "flags", 0) == "0");
}

TEST_CASE("socket family and type, mmap prot and flags, fcntl, signals, clone", "[flags]") {
  CHECK(symbolic_arg("socket", "family", AF_INET) == "AF_INET");
  CHECK(symbolic_arg("socket", "family", AF_NETLINK) == "AF_NETLINK");
  CHECK(address_family_text(4242) == "AF_?\?\?(4242)");
  CHECK(symbolic_arg("socket", "type", SOCK_STREAM | SOCK_CLOEXEC) == "SOCK_STREAM|SOCK_CLOEXEC");
  CHECK(symbolic_arg("mmap", "prot", PROT_READ | PROT_WRITE) == "PROT_READ|PROT_WRITE");
  CHECK(symbolic_arg("mprotect", "prot", PROT_NONE) == "PROT_NONE");
  CHECK(symbolic_arg("mmap", "flags", MAP_PRIVATE | MAP_ANONYMOUS) == "MAP_PRIVATE|MAP_ANONYMOUS");
  CHECK(symbolic_arg("fcntl", "cmd", F_SETFD) == "F_SETFD");
  CHECK(symbolic_arg("fcntl", "cmd", F_DUPFD_CLOEXEC) == "F_DUPFD_CLOEXEC");
  CHECK(symbolic_arg("kill", "sig", SIGTERM) == "SIGTERM");
  CHECK(symbolic_arg("kill", "sig", 0) == "0");
  CHECK(symbolic_arg("clone", "clone_flags", 0x01200000 | SIGCHLD) ==
        "CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD");
  CHECK(symbolic_arg("unshare", "unshare_flags", 0x20000000) == "CLONE_NEWPID");
  // numbers that are only numbers stay so
  CHECK_FALSE(symbolic_arg("read", "count", 5).has_value());
  CHECK_FALSE(symbolic_arg("openat", "mode", 0644).has_value());
}
