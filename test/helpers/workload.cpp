// ctrace_workload: a process whose syscalls the integration tests know exactly.
//
//   ctrace_workload [--wait] [--exit N] [--hostname NAME] [--comm NAME] [--rate N]
//                   ACTION COUNT [ACTION COUNT ...]
//
// --wait: print "ready\n" on stdout, then block until a line arrives on stdin, so that
//         the test can move it into a cgroup and attach ctrace before it starts.
// --hostname: unshare(CLONE_NEWUTS) and set NAME before anything else (like `unshare --uts`).
// --comm:     prctl(PR_SET_NAME, NAME) (the kernel keeps 15 bytes), as a process may rename itself.
// --rate:     at most N iterations per second over all actions (checked every 100), for
//             floods of a known rate.
// Actions (each COUNT times, nothing else in between):
//   getppid          getppid()
//   openat-fail      openat(AT_FDCWD, "/nonexistent/ctrace-workload", O_RDONLY) -> ENOENT
//   open-close PATH  openat(PATH) then close(fd)   (PATH is the next argument)
//   write-null       write(/dev/null fd opened once at start, 1 byte)
//   sleep-ms         nanosleep(1 ms)
//   unshare FLAGS    unshare(FLAGS)   (FLAGS is the next argument, e.g. 0x04000000; 0x1 -> EINVAL)
//   clone FLAGS      clone(FLAGS | SIGCHLD) like fork; the child exits at once, the parent wait4s
//   clone3 FLAGS     clone3({.flags = FLAGS, .exit_signal = SIGCHLD}), then the same
//   connect ADDR     socket, connect(ADDR) blocking, close; ADDR is 127.0.0.1:PORT or [::1]:PORT;
//                    a refused connect is not an error
//   accept FD        accept(FD) (an inherited listening socket), then close the new fd
//   write-hello      write(1, "hello\n", 6)
//   read-file PATH   openat(PATH), read(fd, buf, 64), close(fd)   (PATH is the next argument)
// Syscalls are issued with syscall(2) so libc cannot add or merge calls.
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <thread>

namespace {

// "127.0.0.1:80" or "[::1]:80" -> sockaddr; false if it is neither.
bool parse_addr(const std::string& s, sockaddr_storage& ss, socklen_t& len) {
  auto colon = s.rfind(':');
  if (colon == std::string::npos) return false;
  int port = std::atoi(s.c_str() + colon + 1);
  std::string host = s.substr(0, colon);
  ss = {};
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&ss);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(static_cast<uint16_t>(port));
    len = sizeof *in6;
    return inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(), &in6->sin6_addr) == 1;
  }
  auto* in = reinterpret_cast<sockaddr_in*>(&ss);
  in->sin_family = AF_INET;
  in->sin_port = htons(static_cast<uint16_t>(port));
  len = sizeof *in;
  return inet_pton(AF_INET, host.c_str(), &in->sin_addr) == 1;
}

}  // namespace

namespace {

// Child: exit at once without touching anything; parent: reap it.
void reap_or_exit(long pid) {
  if (pid == 0) syscall(SYS_exit_group, 0);
  if (pid > 0) syscall(SYS_wait4, pid, nullptr, 0, nullptr);
}

}  // namespace

int main(int argc, char** argv) {
  int exit_code = 0;
  long rate = 0;
  bool wait = false;
  int i = 1;
  for (; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--wait")) {
      wait = true;
    } else if (!std::strcmp(argv[i], "--exit") && i + 1 < argc) {
      exit_code = std::atoi(argv[++i]);
    } else if (!std::strcmp(argv[i], "--hostname") && i + 1 < argc) {
      const char* name = argv[++i];
      if (syscall(SYS_unshare, CLONE_NEWUTS) != 0 || sethostname(name, std::strlen(name)) != 0) {
        std::perror("ctrace_workload: --hostname");
        return 111;
      }
    } else if (!std::strcmp(argv[i], "--comm") && i + 1 < argc) {
      if (prctl(PR_SET_NAME, argv[++i], 0, 0, 0) != 0) {
        std::perror("ctrace_workload: --comm");
        return 111;
      }
    } else if (!std::strcmp(argv[i], "--rate") && i + 1 < argc) {
      rate = std::atol(argv[++i]);
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
  auto start = std::chrono::steady_clock::now();
  long done = 0;
  for (; i + 1 < argc; i += 2) {
    std::string action = argv[i];
    const char* arg = nullptr;  // PATH, FLAGS, ADDR or FD
    if (action == "open-close" || action == "unshare" || action == "clone" || action == "clone3" ||
        action == "connect" || action == "accept" || action == "read-file")
      arg = argv[++i];
    sockaddr_storage addr{};
    socklen_t addr_len = 0;
    if (action == "connect" && !parse_addr(arg, addr, addr_len)) {
      std::fprintf(stderr, "ctrace_workload: bad address %s\n", arg);
      return 2;
    }
    long n = std::atol(argv[i + 1]);
    for (long k = 0; k < n; ++k, ++done) {
      if (rate > 0 && done % 100 == 0)
        std::this_thread::sleep_until(start + std::chrono::microseconds(done * 1000000 / rate));
      if (action == "getppid") {
        syscall(SYS_getppid);
      } else if (action == "openat-fail") {
        syscall(SYS_openat, AT_FDCWD, "/nonexistent/ctrace-workload", O_RDONLY);
      } else if (action == "open-close") {
        long fd = syscall(SYS_openat, AT_FDCWD, arg, O_RDONLY);
        if (fd >= 0) syscall(SYS_close, fd);
      } else if (action == "write-null") {
        syscall(SYS_write, null_fd, "x", 1);
      } else if (action == "connect") {
        long fd = syscall(SYS_socket, addr.ss_family, SOCK_STREAM, 0);
        if (fd < 0) return 3;
        syscall(SYS_connect, fd, &addr, addr_len);
        syscall(SYS_close, fd);
      } else if (action == "accept") {
        sockaddr_storage peer{};
        socklen_t peer_len = sizeof peer;
        long fd = syscall(SYS_accept, std::atoi(arg), &peer, &peer_len);
        if (fd < 0) return 4;
        syscall(SYS_close, fd);
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
