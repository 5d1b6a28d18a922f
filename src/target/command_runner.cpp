#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string_view>

#include "ctrace/core/cgroup.hpp"
#include "ctrace/core/error.hpp"
#include "ctrace/core/escape.hpp"
#include "ctrace/core/log.hpp"
#include "ctrace/target/target.hpp"

namespace fs = std::filesystem;

namespace ctrace::target {

namespace {
int pidfd_open(pid_t pid) {
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}

constexpr const char* kCgroupPrefix = "ctrace-";

// Is `pid` a running ctrace? (A dead one's pid may have been reused by something else; a
// copy of the binary under another name, "ctrace-old", still counts as one.)
bool ctrace_running(const fs::path& proc, const std::string& pid) {
  std::ifstream comm(proc / pid / "comm");
  std::string name;
  return comm && std::getline(comm, name) && name.rfind("ctrace", 0) == 0;
}

}  // namespace

std::string find_in_path(const std::string& name, const char* path_env) {
  if (name.empty() || name.find('/') != std::string::npos) return name;
  // execvp's default when PATH is unset
  std::string_view path = path_env ? path_env : "/bin:/usr/bin";
  while (true) {
    auto colon = path.find(':');
    std::string dir(path.substr(0, colon));
    fs::path candidate = fs::path(dir.empty() ? "." : dir) / name;  // an empty entry is the cwd
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(candidate.c_str(), X_OK) == 0)
      return candidate.string();
    if (colon == std::string_view::npos) return name;
    path.remove_prefix(colon + 1);
  }
}

void remove_stale_cgroups(const CgroupFs& cfs) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(cfs.mount, ec)) {
    std::string name = entry.path().filename().string();
    if (name.rfind(kCgroupPrefix, 0) != 0) continue;
    std::string pid = name.substr(std::char_traits<char>::length(kCgroupPrefix));
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) continue;
    if (ctrace_running(cfs.proc, pid)) continue;
    // What a killed ctrace left running in it goes too: cgroup.kill (Linux 5.14) reaches
    // every process, including ones that escaped PR_SET_PDEATHSIG by forking.
    std::ofstream(entry.path() / "cgroup.kill") << "1" << std::flush;
    bool removed = false;
    for (int i = 0; i < 50 && !(removed = ::rmdir(entry.path().c_str()) == 0) && errno == EBUSY; ++i)
      ::usleep(10000);
    if (removed)
      spdlog::debug("removed cgroup {} left by ctrace pid {}, which is no longer running",
                    entry.path().string(), pid);
    else
      spdlog::debug("cgroup {} left by ctrace pid {} not removed: {}", entry.path().string(), pid,
                    errno_string(errno));
  }
}

CommandRunner::CommandRunner(const std::vector<std::string>& argv, const CgroupFs& cfs) {
  if (argv.empty()) throw UsageError("-- needs a command to run");
  remove_stale_cgroups(cfs);
  // Searched here, not by execvp in the child: the child is in the traced cgroup by then,
  // and its failed execve()s along PATH would count as the command's own syscalls.
  const std::string program = find_in_path(argv[0], ::getenv("PATH"));
  const pid_t parent = ::getpid();
  fs::path dir = cfs.mount / fmt::format("{}{}", kCgroupPrefix, parent);
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
    throw Error("cannot create cgroup {}: {}; running a command needs root", dir.string(),
                errno_string(errno));

  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_ = ::fork();
  if (pid_ < 0) {
    int err = errno;
    ::rmdir(dir.c_str());
    throw Error("fork: {}", errno_string(err));
  }
  if (pid_ == 0) {
    // Child: wait until the probes are attached, then become CMD. ctrace's stop handlers
    // would swallow a SIGINT/SIGTERM sent to CMD before its exec: CMD gets the defaults now.
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGPIPE}) ::signal(sig, SIG_DFL);
    // CMD must not outlive a ctrace that was SIGKILLed. The parent may have died before
    // prctl: then the child was already reparented, and getppid() says so.
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != parent) ::_exit(127);
    // ctrace's stdout carries only its own output (`-o json | jq`): CMD writes to stderr.
    ::dup2(STDERR_FILENO, STDOUT_FILENO);
    // It waits stopped, not in a syscall: kill() has returned before the probes attach, and
    // SIGCONT resumes it straight into execve, so CMD's first recorded call is its execve
    // (a read() on a pipe would end after the attach, a call of ctrace's own in the trace).
    ::kill(::getpid(), SIGSTOP);
    ::execv(program.c_str(), args.data());
    int err = errno;
    // the operator's CMD, escaped as a log line would be
    std::string msg = fmt::format("ctrace: cannot run {}: {}\n", escape_text(argv[0]), errno_string(err));
    [[maybe_unused]] auto n = ::write(2, msg.data(), msg.size());
    ::_exit(127);
  }
  pidfd_ = pidfd_open(pid_);
  int status = 0;
  pid_t got;
  while ((got = ::waitpid(pid_, &status, WUNTRACED)) < 0 && errno == EINTR) {
  }
  if (got == pid_ && !WIFSTOPPED(status)) {
    // it ended before its exec (its parent check failed): wait() reports the status
    exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    pid_ = -1;
  }
  if (pid_ > 0) {
    std::ofstream procs(dir / "cgroup.procs");
    procs << pid_ << std::flush;
    if (!procs) {
      int err = errno;
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
      ::rmdir(dir.c_str());
      throw Error("cannot move the command into {}: {}", dir.string(), errno_string(err));
    }
  }
  target_.mode = Mode::Cgroup;
  target_.cgroup_dir = dir;
  target_.cgroup_path = "/" + dir.filename().string();
  target_.cgroup_id = cgroup::cgroup_id(dir);
  target_.level = cgroup::level_of(cfs.mount, dir);
  target_.description = "command " + argv[0];
}

void CommandRunner::start() {
  if (started_ || pid_ <= 0) return;
  started_ = true;
  ::kill(pid_, SIGCONT);
}

int CommandRunner::wait(int sig) {
  if (exit_status_ >= 0) return exit_status_;
  if (pid_ <= 0) return 127;
  if (!started_) {
    // never started: it goes away without running CMD
    ::kill(pid_, SIGKILL);
  } else if (sig) {
    ::kill(pid_, sig);
    // CMD gets a few seconds to end on its own, then it is killed.
    pollfd p{pidfd_, POLLIN, 0};
    if (pidfd_ >= 0 && ::poll(&p, 1, 3000) == 0) ::kill(pid_, SIGKILL);
  }
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return exit_status_;
}

CommandRunner::~CommandRunner() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    wait();
  }
  if (pidfd_ >= 0) ::close(pidfd_);
  if (target_.cgroup_dir.empty()) return;
  // The cgroup may report busy for a moment after its last task was reaped.
  for (int i = 0; i < 50 && ::rmdir(target_.cgroup_dir.c_str()) != 0 && errno == EBUSY; ++i) ::usleep(10000);
  if (fs::exists(target_.cgroup_dir))
    spdlog::warn("cgroup {} not removed ({}): processes started by the command still run in it",
                 target_.cgroup_dir.string(), errno_string(errno));
}

}  // namespace ctrace::target
