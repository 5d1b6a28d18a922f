#include "support.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "ctrace/core/cgroup.hpp"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace ctrace::test {

fs::path cgroup2_mount() {
  return cgroup::find_cgroup2_mount();
}

TestCgroup::TestCgroup(const std::string& name)
    : path_(cgroup2_mount() / (name + "-" + std::to_string(::getpid()))) {
  fs::create_directories(path_);
}

TestCgroup::TestCgroup(const TestCgroup& parent, const std::string& name) : path_(parent.path() / name) {
  fs::create_directories(path_);
}

std::unique_ptr<TestCgroup> TestCgroup::at(const fs::path& path) {
  std::unique_ptr<TestCgroup> cg(new TestCgroup());
  cg->path_ = path;
  fs::create_directories(path);
  return cg;
}

TestCgroup::~TestCgroup() {
  // Children first: a cgroup with sub-cgroups cannot be removed.
  std::vector<fs::path> dirs;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(path_, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec))
    if (it->is_directory()) dirs.push_back(it->path());
  dirs.push_back(path_);
  std::sort(dirs.begin(), dirs.end(),
            [](const auto& a, const auto& b) { return a.string().size() > b.string().size(); });
  for (const auto& d : dirs) {
    std::ifstream procs(d / "cgroup.procs");
    pid_t p;
    while (procs >> p) ::kill(p, SIGKILL);
    for (int i = 0; i < 100 && ::rmdir(d.c_str()) != 0 && errno == EBUSY; ++i) ::usleep(10000);
  }
}

std::string TestCgroup::relative() const {
  return path_.lexically_relative(cgroup2_mount()).string();
}

uint64_t TestCgroup::id() const {
  return cgroup::cgroup_id(path_);
}

void TestCgroup::add(pid_t pid) const {
  std::ofstream procs(path_ / "cgroup.procs");
  procs << pid << std::flush;
  if (!procs) throw std::runtime_error("cannot move pid into " + path_.string());
}

Process::Process(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) || ::pipe2(out, O_CLOEXEC) || ::pipe2(err, O_CLOEXEC))
    throw std::runtime_error("pipe");
  pid_ = ::fork();
  if (pid_ == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    // A test harness may ignore SIGPIPE; the child must see the default.
    ::signal(SIGPIPE, SIG_DFL);
    for (const auto& e : env) ::putenv(const_cast<char*>(e.c_str()));
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  in_ = in[1];
  outfd_ = out[0];
  errfd_ = err[0];
}

Process::~Process() {
  if (!status_) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  for (int fd : {in_, outfd_, errfd_})
    if (fd >= 0) ::close(fd);
}

void Process::pump(int timeout_ms) {
  pollfd p[2];
  int n = 0;
  if (outfd_ >= 0) p[n++] = {outfd_, POLLIN, 0};
  if (errfd_ >= 0) p[n++] = {errfd_, POLLIN, 0};
  if (n == 0) {
    ::usleep(static_cast<useconds_t>(timeout_ms) * 1000);
    return;
  }
  if (::poll(p, static_cast<nfds_t>(n), timeout_ms) <= 0) return;
  char buf[65536];
  for (int i = 0; i < n; ++i) {
    if (!(p[i].revents & (POLLIN | POLLHUP))) continue;
    ssize_t r = ::read(p[i].fd, buf, sizeof buf);
    std::string& dst = p[i].fd == outfd_ ? out_ : err_;
    if (r > 0) {
      dst.append(buf, static_cast<size_t>(r));
    } else {
      ::close(p[i].fd);
      (p[i].fd == outfd_ ? outfd_ : errfd_) = -1;
    }
  }
}

bool Process::wait_for_stderr(const std::string& needle, std::chrono::milliseconds timeout) {
  auto end = Clock::now() + timeout;
  while (err_.find(needle) == std::string::npos) {
    if (Clock::now() >= end || (outfd_ < 0 && errfd_ < 0)) return false;
    pump(50);
  }
  return true;
}

bool Process::wait_for_stdout(const std::string& needle, std::chrono::milliseconds timeout) {
  auto end = Clock::now() + timeout;
  while (out_.find(needle) == std::string::npos) {
    if (Clock::now() >= end || (outfd_ < 0 && errfd_ < 0)) return false;
    pump(50);
  }
  return true;
}

void Process::write_stdin(const std::string& s) {
  if (::write(in_, s.data(), s.size()) != static_cast<ssize_t>(s.size()))
    throw std::runtime_error("write stdin");
}

void Process::close_stdin() {
  if (in_ >= 0) ::close(in_);
  in_ = -1;
}

void Process::close_stdout() {
  if (outfd_ >= 0) ::close(outfd_);
  outfd_ = -1;
}

void Process::signal(int sig) {
  ::kill(pid_, sig);
}

int Process::wait(std::chrono::milliseconds timeout) {
  if (status_) return *status_;
  auto end = Clock::now() + timeout;
  int status = 0;
  for (;;) {
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) break;
    if (Clock::now() >= end) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      break;
    }
    pump(20);
  }
  while (outfd_ >= 0 || errfd_ >= 0) pump(100);
  status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return *status_;
}

Result run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  Process p(argv);
  p.close_stdin();
  int code = p.wait(timeout);
  return {code, p.out(), p.err()};
}

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), len);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// CTRACE_TEST_BIN: another build's binary under these tests (run-tests.sh runs the daemon's
// tests against the ThreadSanitizer build's ctrace without building the tests there).
std::string ctrace_bin() {
  const char* other = std::getenv("CTRACE_TEST_BIN");
  return other && *other ? other : CTRACE_BIN;
}
std::string workload_bin() {
  return CTRACE_WORKLOAD_BIN;
}

LoopbackListener::LoopbackListener(bool accept_and_close) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 128) != 0 ||
      ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    throw std::runtime_error(std::string("loopback listener: ") + std::strerror(errno));
  port_ = ntohs(a.sin_port);
  if (accept_and_close)
    thread_ = std::thread([this] {
      for (int c; (c = ::accept(fd_, nullptr, nullptr)) >= 0;) {
        ++accepted_;
        // the client's end first (at most 5 s): it then ends the same way every time
        timeval tv{5, 0};
        ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        char buf[256];
        while (::read(c, buf, sizeof buf) > 0) {
        }
        ::close(c);
      }
    });
}

LoopbackListener::~LoopbackListener() {
  ::shutdown(fd_, SHUT_RDWR);  // accept() returns
  if (thread_.joinable()) thread_.join();
  ::close(fd_);
}

std::unique_ptr<Process> start_ctrace(const std::vector<std::string>& args, const std::string& marker) {
  std::vector<std::string> argv{ctrace_bin()};
  argv.insert(argv.end(), args.begin(), args.end());
  auto p = std::make_unique<Process>(argv);
  if (!p->wait_for_stderr(marker)) throw std::runtime_error("ctrace did not start: " + p->err());
  return p;
}

Workload::Workload(const std::vector<std::string>& actions)
    : proc_([&] {
        std::vector<std::string> argv{workload_bin(), "--wait"};
        argv.insert(argv.end(), actions.begin(), actions.end());
        return argv;
      }()) {
  if (!proc_.wait_for_stdout("ready")) throw std::runtime_error("workload did not start: " + proc_.err());
}

void Workload::go() {
  proc_.write_stdin("go\n");
}

int Workload::wait() {
  return proc_.wait();
}

std::vector<unsigned> ctrace_prog_ids() {
  auto r = run({"bpftool", "-j", "prog", "show"});
  std::vector<unsigned> ids;
  if (r.code != 0) return ids;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  if (!j.is_array()) return ids;
  for (const auto& p : j)
    if (p.value("name", "").rfind("handle_", 0) == 0) ids.push_back(p.value("id", 0u));
  return ids;
}

std::vector<unsigned> prog_ids_of(pid_t pid) {
  // bpftool's "pids" needs a feature Debian's build lacks: read the process's fds instead.
  std::vector<unsigned> ids;
  fs::path proc = fs::path("/proc") / std::to_string(pid);
  std::error_code ec;
  for (const auto& fd : fs::directory_iterator(proc / "fd", ec)) {
    if (fs::read_symlink(fd.path(), ec).string() != "anon_inode:bpf-prog") continue;
    std::ifstream info(proc / "fdinfo" / fd.path().filename());
    for (std::string line; std::getline(info, line);)
      if (line.rfind("prog_id:", 0) == 0) ids.push_back(static_cast<unsigned>(std::stoul(line.substr(8))));
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout,
                std::chrono::milliseconds poll) {
  auto end = Clock::now() + timeout;
  while (!done()) {
    if (Clock::now() >= end) return done();
    std::this_thread::sleep_for(poll);
  }
  return true;
}

std::vector<unsigned> still_loaded(const std::vector<unsigned>& ids, std::chrono::milliseconds timeout) {
  auto end = Clock::now() + timeout;
  for (;;) {
    std::vector<unsigned> left;
    for (unsigned id : ids)
      if (run({"bpftool", "prog", "show", "id", std::to_string(id)}).code == 0) left.push_back(id);
    if (left.empty() || Clock::now() >= end) return left;
    ::usleep(100000);
  }
}

size_t call_at(const std::string& line, const std::string& name) {
  for (size_t at = line.find(name + "("); at != std::string::npos; at = line.find(name + "(", at + 1))
    if (at == 0 || !(std::isalnum(static_cast<unsigned char>(line[at - 1])) || line[at - 1] == '_'))
      return at;
  return std::string::npos;
}

std::optional<CallText> parse_call(const std::string& line, const std::string& name) {
  auto open = call_at(line, name);
  if (open == std::string::npos) return std::nullopt;
  CallText c;
  std::string cur;
  int depth = 0;
  bool quoted = false;
  size_t i = open + name.size() + 1;
  for (; i < line.size(); ++i) {
    char ch = line[i];
    if (quoted) {
      cur += ch;
      if (ch == '\\' && i + 1 < line.size())
        cur += line[++i];
      else if (ch == '"')
        quoted = false;
      continue;
    }
    if (ch == '"') quoted = true;
    if (ch == ')' && depth == 0) break;
    if (ch == '{' || ch == '[' || ch == '(') ++depth;
    if (ch == '}' || ch == ']' || ch == ')') --depth;
    if (ch == ',' && depth == 0) {
      c.args.push_back(cur);
      cur.clear();
      if (i + 1 < line.size() && line[i + 1] == ' ') ++i;
      continue;
    }
    cur += ch;
  }
  if (!cur.empty()) c.args.push_back(cur);
  // strace pads short calls: "fcntl(3, F_GETFL)                       = 0x2 (flags O_RDWR)"
  size_t eq = i < line.size() ? line.find_first_not_of(' ', i + 1) : std::string::npos;
  if (eq != std::string::npos && line.compare(eq, 2, "= ") == 0) c.ret = line.substr(eq + 2);
  return c;
}

// ctrace's "flags=O_RDONLY" -> "O_RDONLY", as strace prints it.
std::vector<std::string> values(const CallText& c) {
  std::vector<std::string> out;
  for (const auto& a : c.args) {
    size_t k = 0;
    while (k < a.size() && (std::isalnum(static_cast<unsigned char>(a[k])) || a[k] == '_')) ++k;
    out.push_back(k < a.size() && a[k] == '=' ? a.substr(k + 1) : a);
  }
  return out;
}

// The first line of `out` with `name(` and `needle`.
std::string line_with(const std::string& out, const std::string& name, const std::string& needle) {
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line))
    if (call_at(line, name) != std::string::npos && line.find(needle) != std::string::npos) return line;
  return {};
}

}  // namespace ctrace::test
