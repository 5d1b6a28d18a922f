#pragma once
// Target: which containers a command looks at, resolved from the CLI.
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ctrace/core/model.hpp"

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace ctrace::target {

// What the user typed; filled by CLI11.
struct TargetOptions {
  std::string cgroup;                 // -c CGDIR
  std::optional<uint64_t> cgroup_id;  // --cgroup-id N
  std::optional<int> pid;             // -p PID
  std::string container;              // --container ID-or-name
  std::string uts;                    // --uts HOSTNAME|INUM
  bool exact = false;                 // --exact
  bool wait = false;                  // --wait: a removed cgroup may come back
  std::vector<std::string> command;   // -- CMD ARGS...
};

// Adds -c, --cgroup-id, -p, --container, --uts, --exact, --wait and `-- CMD` to a subcommand.
void add_target_options(CLI::App& app, TargetOptions& opts);
// Only -c, --cgroup-id, -p and --container (mutually exclusive), for commands that name an
// existing cgroup (`ctl add`); returns them.
std::vector<CLI::Option*> add_target_selectors(CLI::App& app, TargetOptions& opts);

enum class Mode { All, Cgroup, Uts };

struct Target {
  Mode mode = Mode::All;
  std::filesystem::path cgroup_dir;  // absolute path of the cgroup directory
  std::string cgroup_path;           // relative to the cgroup2 mount, "/" for the root
  uint64_t cgroup_id = 0;
  uint32_t level = 0;  // depth below the cgroup2 mount
  bool exact = false;
  uint32_t uts_inum = 0;
  std::string description;  // how the user named it: "container 3f2a…", "pid 42"

  // JSON/record form for formatters: {"mode","cgroup","cgroup_id","exact",...}
  Object to_object() const;
};

// Where cgroups live; a temp dir in unit tests.
struct CgroupFs {
  std::filesystem::path mount;  // the cgroup2 mount
  std::filesystem::path mounts_file = "/proc/self/mounts";
  std::filesystem::path proc = "/proc";
  static CgroupFs discover();  // finds the cgroup2 mount in /proc/self/mounts
};

// Resolves everything but `-- CMD` (see CommandRunner). Throws UsageError with a hint.
Target resolve(const TargetOptions& opts, const CgroupFs& fs);

// A container cgroup found by walking the tree.
struct ContainerMatch {
  std::string id;  // the container id part of the directory name
  std::filesystem::path dir;
};
// Every container-looking directory whose id starts with `query` (>= 4 chars) or whose
// directory name equals `query`.
std::vector<ContainerMatch> find_containers(const std::filesystem::path& mount, const std::string& query);

// Watches the target cgroup's parent directory (one inotify watch: cgroupfs reports rmdir
// and mkdir there as IN_DELETE and IN_CREATE) to tell when the target goes away and, for a
// target that is followed (a container, or --wait), when it is back. A container may come back
// anywhere in the tree (another --cgroup-parent, a new slice): while it is gone, every cgroup
// directory is watched for mkdir (directories created meanwhile too), and the container is
// resolved again by id or name at each one. A new id is looked up by name on a thread of the
// watch's own (the engine's API can take most of a second to answer while a container starts):
// read() never waits for it, and fd() becomes readable when the answer is in.
class TargetWatch {
 public:
  TargetWatch(const Target& target, const TargetOptions& opts, const CgroupFs& fs);
  ~TargetWatch();
  TargetWatch(const TargetWatch&) = delete;
  TargetWatch& operator=(const TargetWatch&) = delete;

  int fd() const { return fd_; }
  // Does a removal end the run (-c, --cgroup-id, -p without --wait)?
  bool follows() const { return follow_; }

  enum class Change { None, Removed, Back };
  // Reads what is pending on fd(). Back: the target exists again; `target` is the new one
  // (a new cgroup id, for a container possibly a new directory).
  Change read(Target& target);

 private:
  bool gone() const;
  std::optional<Target> find_again();
  void watch_tree(const std::filesystem::path& dir, int depth);
  void unwatch_tree();
  TargetOptions opts_;
  CgroupFs fs_;
  std::filesystem::path dir_;
  uint64_t id_ = 0;
  int fd_ = -1;       // epoll: the inotify fd and the name lookup's eventfd
  int inotify_ = -1;
  struct NameLookup;
  std::unique_ptr<NameLookup> lookup_;  // --container NAME only
  bool follow_ = false;
  bool removed_ = false;
  // While a followed container is gone: watch descriptor -> (cgroup directory, depth).
  std::map<int, std::pair<std::filesystem::path, int>> tree_;
};

// The file execvp() would run for `name` along `path_env` (PATH), or `name` itself when it
// holds a '/' or nothing is found (exec then fails as execvp would).
std::string find_in_path(const std::string& name, const char* path_env);

// Removes the `ctrace-PID` cgroups of ctrace processes that are gone (killed with SIGKILL),
// killing what still runs in them.
void remove_stale_cgroups(const CgroupFs& fs);

// `-- CMD ARGS…`: a transient cgroup with CMD in it, held stopped (SIGSTOP) until start() so
// that no syscall of CMD is missed and none of ctrace's own before the exec is seen; removed on
// destruction. CMD's stdout is ctrace's stderr.
class CommandRunner {
 public:
  CommandRunner(const std::vector<std::string>& argv, const CgroupFs& fs);
  ~CommandRunner();
  CommandRunner(const CommandRunner&) = delete;
  CommandRunner& operator=(const CommandRunner&) = delete;

  const Target& target() const { return target_; }
  pid_t pid() const { return pid_; }
  // A pidfd, readable when CMD has exited (for the event loop).
  int exit_fd() const { return pidfd_; }
  // Lets CMD exec (call after the probes are attached).
  void start();
  // Waits for CMD (after signalling it with `sig` if nonzero) and returns its exit status
  // in shell convention (128+N when killed by signal N).
  int wait(int sig = 0);

 private:
  Target target_;
  pid_t pid_ = -1;
  int pidfd_ = -1;
  bool started_ = false;
  int exit_status_ = -1;
};

}  // namespace ctrace::target
