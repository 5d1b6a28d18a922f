// Symbolic syscall arguments, spelled as strace spells them.
#include "ctrace/enrich/flags.hpp"

#include <asm/prctl.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

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
  CHECK_FALSE(symbolic_arg("lseek", "offset", 100).has_value());
}

TEST_CASE("the constants strace names, from the system headers", "[flags][parity]") {
  CHECK(symbolic_arg("arch_prctl", "option", ARCH_SET_FS) == "ARCH_SET_FS");
  CHECK(symbolic_arg("arch_prctl", "option", 0x9999) == "39321");
  CHECK(symbolic_arg("prctl", "option", PR_GET_NAME) == "PR_GET_NAME");
  CHECK(symbolic_arg("prctl", "option", PR_SET_PDEATHSIG) == "PR_SET_PDEATHSIG");
  CHECK(symbolic_arg("prlimit64", "resource", RLIMIT_STACK) == "RLIMIT_STACK");
  CHECK(symbolic_arg("access", "mode", R_OK) == "R_OK");
  CHECK(symbolic_arg("faccessat", "mode", F_OK) == "F_OK");
  CHECK(symbolic_arg("access", "mode", R_OK | W_OK | X_OK) == "R_OK|W_OK|X_OK");
  CHECK(symbolic_arg("lseek", "whence", SEEK_SET) == "SEEK_SET");
  CHECK(symbolic_arg("lseek", "whence", SEEK_HOLE) == "SEEK_HOLE");
  CHECK(symbolic_arg("futex", "op", FUTEX_WAKE | FUTEX_PRIVATE_FLAG) == "FUTEX_WAKE_PRIVATE");
  CHECK(symbolic_arg("futex", "op", FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME) ==
        "FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME");
  CHECK(symbolic_arg("ioctl", "cmd", TCGETS) == "TCGETS");
  CHECK(symbolic_arg("ioctl", "cmd", TIOCGWINSZ) == "TIOCGWINSZ");
  CHECK(symbolic_arg("ioctl", "cmd", 0xc0186201) == "0xc0186201");
  CHECK(symbolic_arg("statx", "flags", AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT) ==
        "AT_STATX_SYNC_AS_STAT|AT_SYMLINK_NOFOLLOW|AT_NO_AUTOMOUNT");
  CHECK(symbolic_arg("statx", "flags", AT_STATX_DONT_SYNC | AT_EMPTY_PATH) ==
        "AT_STATX_DONT_SYNC|AT_EMPTY_PATH");
  CHECK(symbolic_arg("statx", "mask", 0x25e) ==
        "STATX_MODE|STATX_NLINK|STATX_UID|STATX_GID|STATX_MTIME|STATX_SIZE");
  CHECK(symbolic_arg("statx", "mask", STATX_BASIC_STATS | STATX_BTIME) == "STATX_ALL");
  CHECK(symbolic_arg("statx", "mask", STATX_BASIC_STATS) == "STATX_BASIC_STATS");
  CHECK(symbolic_arg("newfstatat", "flag", AT_EMPTY_PATH) == "AT_EMPTY_PATH");
  CHECK(symbolic_arg("newfstatat", "flag", 0) == "0");
  CHECK(symbolic_arg("unlinkat", "flag", AT_REMOVEDIR) == "AT_REMOVEDIR");
  CHECK(symbolic_arg("getrandom", "flags", GRND_NONBLOCK) == "GRND_NONBLOCK");
  CHECK(symbolic_arg("getrandom", "flags", 0) == "0");
  CHECK(symbolic_arg("socket", "protocol", 0, {AF_INET}) == "IPPROTO_IP");
  CHECK(symbolic_arg("socket", "protocol", IPPROTO_TCP, {AF_INET6}) == "IPPROTO_TCP");
  CHECK(symbolic_arg("socket", "protocol", 0, {AF_NETLINK}) == "NETLINK_ROUTE");
  CHECK(symbolic_arg("socket", "protocol", 0, {AF_UNIX}) == "0");
  CHECK(symbolic_arg("wait4", "options", WNOHANG) == "WNOHANG");
  CHECK(symbolic_arg("wait4", "options", 0) == "0");
  CHECK(symbolic_arg("wait4", "options", WNOHANG | __WALL) == "WNOHANG|__WALL");
  CHECK(symbolic_arg("rt_sigprocmask", "how", SIG_SETMASK) == "SIG_SETMASK");
  CHECK(symbolic_arg("rt_sigprocmask", "how", SIG_BLOCK) == "SIG_BLOCK");
  CHECK(symbolic_arg("openat", "mode", 0644) == "0644");
  CHECK(symbolic_arg("openat", "mode", 0) == "000");
  CHECK(symbolic_arg("mkdir", "mode", 01777) == "01777");
}

TEST_CASE("open flags in strace's order and fcntl by command", "[flags][parity]") {
  CHECK(open_flags_text(O_RDONLY | O_CLOEXEC | O_DIRECTORY | O_NONBLOCK) ==
        "O_RDONLY|O_NONBLOCK|O_CLOEXEC|O_DIRECTORY");
  CHECK(open_flags_text(O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW) ==
        "O_WRONLY|O_CREAT|O_APPEND|O_NOFOLLOW");
  CHECK(open_flags_text(O_RDWR | O_SYNC) == "O_RDWR|O_SYNC");
  CHECK(open_flags_text(O_RDWR | O_DSYNC) == "O_RDWR|O_DSYNC");
  CHECK(open_flags_text(O_RDWR | 0x8000) == "O_RDWR|O_LARGEFILE");  // the kernel's, glibc's is 0
  CHECK(open_flags_text(O_RDONLY | O_PATH | O_TMPFILE) == "O_RDONLY|O_PATH|O_TMPFILE");

  CHECK(symbolic_arg("fcntl", "arg", O_RDWR | O_NONBLOCK, {3, F_SETFL}) == "O_RDWR|O_NONBLOCK");
  CHECK(symbolic_arg("fcntl", "arg", FD_CLOEXEC, {3, F_SETFD}) == "FD_CLOEXEC");
  CHECK(symbolic_arg("fcntl", "arg", 10, {3, F_DUPFD}) == "10");
  CHECK(symbolic_arg("fcntl", "arg", SIGUSR1, {3, F_SETSIG}) == "SIGUSR1");
  CHECK(symbolic_arg("fcntl", "arg", 0x7ffc1000, {3, F_SETLK}) == "0x7ffc1000");
  CHECK(symbolic_arg("fcntl", "arg", F_WRLCK, {3, F_SETLEASE}) == "F_WRLCK");
  CHECK(shown_arg_count("fcntl", {3, F_GETFL}) == 2u);
  CHECK(shown_arg_count("fcntl", {3, F_GETFD}) == 2u);
  CHECK(shown_arg_count("fcntl", {3, F_SETFL}) == 3u);
  CHECK(shown_arg_count("openat", {0, 0, O_RDONLY}) == 3u);
  CHECK_FALSE(shown_arg_count("openat", {0, 0, O_WRONLY | O_CREAT}));
  CHECK_FALSE(shown_arg_count("openat", {0, 0, O_RDWR | O_TMPFILE}));
  CHECK(shown_arg_count("open", {0, O_RDONLY}) == 2u);
  CHECK(shown_arg_count("futex", {0, FUTEX_WAKE_PRIVATE}) == 3u);
  CHECK(shown_arg_count("futex", {0, FUTEX_WAIT}) == 4u);
  CHECK_FALSE(shown_arg_count("futex", {0, FUTEX_WAIT_BITSET}));
  CHECK_FALSE(shown_arg_count("read", {}));
  CHECK(symbolic_result("fcntl", 0x8002, {3, F_GETFL}) == "0x8002 (flags O_RDWR|O_LARGEFILE)");
  CHECK(symbolic_result("fcntl", 0, {3, F_GETFL}) == "0 (flags O_RDONLY)");
  CHECK(symbolic_result("fcntl", 1, {3, F_GETFD}) == "0x1 (flags FD_CLOEXEC)");
  CHECK_FALSE(symbolic_result("fcntl", 0, {3, F_GETFD}));
  CHECK_FALSE(symbolic_result("fcntl", -9, {3, F_GETFL}));
  CHECK_FALSE(symbolic_result("fcntl", 5, {3, F_DUPFD}));
}
