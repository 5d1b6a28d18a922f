#pragma once
// Target: which containers a command looks at, resolved from the CLI.
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ctrace/output/record.hpp"

namespace CLI {
class App;
class Option;
}

namespace ctrace::target {

// What the user typed; filled by CLI11.
struct TargetOptions {
  std::string cgroup;                  // -c CGDIR
  std::optional<uint64_t> cgroup_id;   // --cgroup-id N
  std::optional<int> pid;              // -p PID
  std::string container;               // --container ID-or-name
  bool exact = false;                  // --exact
  std::vector<std::string> command;    // -- CMD ARGS...
};

// Adds -c, --cgroup-id, -p, --container, --exact and `-- CMD` to a subcommand.
void add_target_options(CLI::App& app, TargetOptions& opts);
// Only -c, --cgroup-id, -p and --container (mutually exclusive), for commands that name an
// existing cgroup (`ctl add`); returns them.
std::vector<CLI::Option*> add_target_selectors(CLI::App& app, TargetOptions& opts);

enum class Mode { All, Cgroup, Uts };

struct Target {
  Mode mode = Mode::All;
  std::filesystem::path cgroup_dir;   // absolute path of the cgroup directory
  std::string cgroup_path;            // relative to the cgroup2 mount, "/" for the root
  uint64_t cgroup_id = 0;
  uint32_t level = 0;                 // depth below the cgroup2 mount
  bool exact = false;
  uint32_t uts_inum = 0;
  std::string description;            // how the user named it: "container 3f2a…", "pid 42"

  // JSON/record form for formatters: {"mode","cgroup","cgroup_id","exact",...}
  output::Object to_object() const;
};

// Where cgroups live; a temp dir in unit tests.
struct CgroupFs {
  std::filesystem::path mount;         // the cgroup2 mount
  std::filesystem::path mounts_file = "/proc/self/mounts";
  std::filesystem::path proc = "/proc";
  static CgroupFs discover();          // finds the cgroup2 mount in /proc/self/mounts
};

// Resolves everything but `-- CMD` (see CommandRunner). Throws UsageError with a hint.
Target resolve(const TargetOptions& opts, const CgroupFs& fs);

// A container cgroup found by walking the tree.
struct ContainerMatch {
  std::string id;                      // the container id part of the directory name
  std::filesystem::path dir;
};
// Every container-looking directory whose id starts with `query` (>= 4 chars) or whose
// directory name equals `query`.
std::vector<ContainerMatch> find_containers(const std::filesystem::path& mount,
                                            const std::string& query);
// The container id in a cgroup directory name ("docker-ID.scope" -> ID), if it is one.
std::optional<std::string> container_id_of(const std::string& dir_name);

// `-- CMD ARGS…`: a transient cgroup with CMD in it, held until start() so that no
// syscall of CMD is missed; removed on destruction. CMD's stdout is ctrace's stderr.
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
  int go_fd_ = -1;
  int exit_status_ = -1;
};

}  // namespace ctrace::target
