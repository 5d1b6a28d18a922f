// ctrace_workload: a process whose syscalls the integration tests know exactly.
//
//   ctrace_workload [--wait] [--exit N] ACTION COUNT [ACTION COUNT ...]
//
// --wait: print "ready\n" on stdout, then block until a line arrives on stdin, so that
//         the test can move it into a cgroup and attach ctrace before it starts.
// Actions (each COUNT times, nothing else in between):
//   getppid          getppid()
//   openat-fail      openat(AT_FDCWD, "/nonexistent/ctrace-workload", O_RDONLY) -> ENOENT
//   open-close PATH  openat(PATH) then close(fd)   (PATH is the next argument)
//   write-null       write(/dev/null fd opened once at start, 1 byte)
//   sleep-ms         nanosleep(1 ms)
//   unshare FLAGS    unshare(FLAGS)   (FLAGS is the next argument, e.g. 0x04000000; 0x1 -> EINVAL)
//   clone FLAGS      clone(FLAGS | SIGCHLD) like fork; the child exits at once, the parent wait4s
//   clone3 FLAGS     clone3({.flags = FLAGS, .exit_signal = SIGCHLD}), then the same
//   write-hello      write(1, "hello\n", 6)
//   read-file PATH   openat(PATH), read(fd, buf, 64), close(fd)   (PATH is the next argument)
// Syscalls are issued with syscall(2) so libc cannot add or merge calls.
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>

namespace {

// Child: exit at once without touching anything; parent: reap it.
void reap_or_exit(long pid) {
  if (pid == 0) syscall(SYS_exit_group, 0);
  if (pid > 0) syscall(SYS_wait4, pid, nullptr, 0, nullptr);
}

}  // namespace

int main(int argc, char** argv) {
  int exit_code = 0;
  bool wait = false;
  int i = 1;
  for (; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--wait")) {
      wait = true;
    } else if (!std::strcmp(argv[i], "--exit") && i + 1 < argc) {
      exit_code = std::atoi(argv[++i]);
    } else {
      break;
    }
  }
  int null_fd = static_cast<int>(syscall(SYS_openat, AT_FDCWD, "/dev/null", O_WRONLY));
  if (wait) {
    const char ready[] = "ready\n";
    if (syscall(SYS_write, 1, ready, sizeof ready - 1) < 0) return 111;
    char c = 0;
    // one byte at a time until newline: the reads end before the workload starts
    while (syscall(SYS_read, 0, &c, 1) == 1 && c != '\n') {
    }
  }
  for (; i + 1 < argc; i += 2) {
    std::string action = argv[i];
    const char* arg = nullptr;  // PATH or FLAGS
    if (action == "open-close" || action == "unshare" || action == "clone" || action == "clone3" ||
        action == "read-file")
      arg = argv[++i];
    long n = std::atol(argv[i + 1]);
    for (long k = 0; k < n; ++k) {
      if (action == "getppid") {
        syscall(SYS_getppid);
      } else if (action == "openat-fail") {
        syscall(SYS_openat, AT_FDCWD, "/nonexistent/ctrace-workload", O_RDONLY);
      } else if (action == "open-close") {
        long fd = syscall(SYS_openat, AT_FDCWD, arg, O_RDONLY);
        if (fd >= 0) syscall(SYS_close, fd);
      } else if (action == "write-null") {
        syscall(SYS_write, null_fd, "x", 1);
      } else if (action == "write-hello") {
        syscall(SYS_write, 1, "hello\n", 6);
      } else if (action == "read-file") {
        char buf[64];
        long fd = syscall(SYS_openat, AT_FDCWD, arg, O_RDONLY);
        if (fd >= 0) {
          syscall(SYS_read, fd, buf, sizeof buf);
          syscall(SYS_close, fd);
        }
      } else if (action == "unshare") {
        syscall(SYS_unshare, std::strtoull(arg, nullptr, 0));
      } else if (action == "clone") {
        reap_or_exit(syscall(SYS_clone, std::strtoull(arg, nullptr, 0) | SIGCHLD, 0, 0, 0, 0));
      } else if (action == "clone3") {
        clone_args args{};
        args.flags = std::strtoull(arg, nullptr, 0);
        args.exit_signal = SIGCHLD;
        reap_or_exit(syscall(SYS_clone3, &args, sizeof args));
      } else if (action == "sleep-ms") {
        timespec ts{0, 1000000};
        syscall(SYS_nanosleep, &ts, nullptr);
      } else {
        std::fprintf(stderr, "ctrace_workload: unknown action %s\n", action.c_str());
        return 2;
      }
    }
  }
  return exit_code;
}
