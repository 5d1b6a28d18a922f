#pragma once
// Integration-test support: real cgroups, real processes, the real ctrace binary.
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace ctrace::test {

// The cgroup2 mount of this machine.
std::filesystem::path cgroup2_mount();

// A cgroup made for one test (under the cgroup2 mount, or under `parent`), removed at the end
// after killing what is still in it.
class TestCgroup {
 public:
  explicit TestCgroup(const std::string& name);
  TestCgroup(const TestCgroup& parent, const std::string& name);
  // A cgroup at exactly `path` (e.g. one created again where a removed one was).
  static std::unique_ptr<TestCgroup> at(const std::filesystem::path& path);
  ~TestCgroup();
  TestCgroup(const TestCgroup&) = delete;
  TestCgroup& operator=(const TestCgroup&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string relative() const;  // relative to the cgroup2 mount, no leading slash
  uint64_t id() const;
  void add(pid_t pid) const;

 private:
  TestCgroup() = default;
  std::filesystem::path path_;
};

// A child process with stdin/stdout/stderr on pipes.
class Process {
 public:
  explicit Process(const std::vector<std::string>& argv, const std::vector<std::string>& env = {});
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  // Reads stderr/stdout until `needle` shows up on that stream (or the timeout): true if found.
  bool wait_for_stderr(const std::string& needle,
                       std::chrono::milliseconds timeout = std::chrono::seconds(20));
  bool wait_for_stdout(const std::string& needle,
                       std::chrono::milliseconds timeout = std::chrono::seconds(20));
  void write_stdin(const std::string& s);
  void close_stdin();
  void close_stdout();  // the reader goes away (SIGPIPE tests)
  void signal(int sig);
  // Waits (killing with SIGKILL after the timeout) and collects the rest of the output.
  int wait(std::chrono::milliseconds timeout = std::chrono::seconds(60));
  const std::string& out() const { return out_; }
  const std::string& err() const { return err_; }

 private:
  void pump(int timeout_ms);
  pid_t pid_ = -1;
  int in_ = -1, outfd_ = -1, errfd_ = -1;
  std::string out_, err_;
  std::optional<int> status_;
};

struct Result {
  int code;
  std::string out;
  std::string err;
};

// Runs a command to completion.
Result run(const std::vector<std::string>& argv,
           std::chrono::milliseconds timeout = std::chrono::seconds(60));

// A loopback TCP port nobody listens on now (the kernel's pick for port 0).
int free_port();

// A TCP listener on 127.0.0.1, on a port of the kernel's choice. By default it never accepts
// (handshakes complete in the backlog of 128); with `accept_and_close`, a thread accepts every
// connection, reads until the client's end (shutdown or close; at most 5 s) and closes it: a
// client such as nc then makes the same calls every time.
class LoopbackListener {
 public:
  explicit LoopbackListener(bool accept_and_close = false);
  ~LoopbackListener();
  LoopbackListener(const LoopbackListener&) = delete;
  LoopbackListener& operator=(const LoopbackListener&) = delete;
  int port() const { return port_; }
  int accepted() const { return accepted_; }

 private:
  int fd_ = -1, port_ = 0;
  std::atomic<int> accepted_{0};
  std::thread thread_;
};

// Paths of the binaries under test.
std::string ctrace_bin();
std::string workload_bin();

// Starts `ctrace ARGS`, waits until it says it is collecting (probes attached): `marker` on stderr.
std::unique_ptr<Process> start_ctrace(const std::vector<std::string>& args,
                                      const std::string& marker = "Collecting events");

// A ctrace_workload held at "ready" until go(): it can be moved into a cgroup first.
class Workload {
 public:
  explicit Workload(const std::vector<std::string>& actions);
  pid_t pid() const { return proc_.pid(); }
  void go();
  int wait();

 private:
  Process proc_;
};

// Calls `done` every `poll` until it is true or `timeout` has passed; its last answer.
bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout,
                std::chrono::milliseconds poll = std::chrono::milliseconds(20));

// IDs of loaded BPF programs whose name starts with "handle_" (ctrace's naming).
std::vector<unsigned> ctrace_prog_ids();

// IDs of the loaded BPF programs that process `pid` holds open.
std::vector<unsigned> prog_ids_of(pid_t pid);

// Waits until none of `ids` is loaded any more (the kernel frees programs shortly after the last
// reference goes); returns those still loaded after the timeout.
std::vector<unsigned> still_loaded(const std::vector<unsigned>& ids,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(10));

// A strace-like line "name(a, {b, c}, [d]) = 3 ...": the arguments split at top-level commas
// (quotes, braces, brackets kept whole), and what follows ") = ".
struct CallText {
  std::vector<std::string> args;
  std::string ret;
};
// Where `name(` starts in `line` as a whole name ("prctl(" is not in "arch_prctl("); npos if not.
size_t call_at(const std::string& line, const std::string& name);
std::optional<CallText> parse_call(const std::string& line, const std::string& name);
// The arguments without ctrace's "name=" ("flags=O_RDONLY" -> "O_RDONLY", as strace prints them).
std::vector<std::string> values(const CallText& c);
// The first line of `out` with the call `name(` and `needle`.
std::string line_with(const std::string& out, const std::string& name, const std::string& needle);

}  // namespace ctrace::test
