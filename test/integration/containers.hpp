#pragma once
// Real containers for integration tests: runc with a busybox-static bundle, and podman with an
// image imported once from the same kind of rootfs (no registry here). Both hold their command
// until go() when asked to, so that ctrace can attach first and count exactly.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace ctrace::test {

struct ContainerOptions {
  std::string hostname;                            // the container's UTS hostname ("" = its name)
  std::string cgroup;                              // runc: linux.cgroupsPath ("" = /ctrace-test/NAME)
  std::string cgroup_parent;                       // podman: --cgroup-parent ("" = podman's own)
  std::map<std::string, std::string> annotations;  // runc: in config.json; podman: --annotation
  bool hold = false;                               // wait for go() before running the command
  std::string seccomp;                             // runc: linux.seccomp, a profile (JSON text)
  std::vector<std::string> run_args;               // docker: more `docker run` options (-m, --restart)
};

// Prefix for the names of test containers: unique per test process.
std::string container_name(const std::string& base);
// A new directory /tmp/ctrace-WHAT-XXXXXX.
std::filesystem::path make_temp_dir(const std::string& what);

// `runc run -d` of a busybox-static bundle in a temp dir; `runc delete -f` and removal of the
// bundle (and of the cgroup runc made) on destruction. The command's stdout/stderr go to a file
// in the bundle (output()).
class RuncContainer {
 public:
  RuncContainer(std::string name, std::vector<std::string> args, ContainerOptions opts = {});
  ~RuncContainer();
  RuncContainer(const RuncContainer&) = delete;
  RuncContainer& operator=(const RuncContainer&) = delete;

  const std::string& id() const { return id_; }
  const std::string& hostname() const { return hostname_; }
  const std::filesystem::path& bundle() const { return bundle_; }
  pid_t pid() const { return pid_; }  // the container's init process, on the host
  std::string cgroup() const;         // "/a/b", relative to the cgroup2 mount
  uint64_t cgroup_id() const;
  uint32_t uts_inum() const;
  void go();  // releases a held command
  // Waits until the command has exited (runc state "stopped"); false on timeout.
  bool wait_stopped(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  std::string output() const;

 private:
  std::string id_, hostname_, cgroup_;
  std::filesystem::path bundle_;
  pid_t pid_ = -1;
};

// `podman --runtime runc --cgroup-manager=cgroupfs run -d` (the only way podman works on this
// machine: crun fails and there is no systemd) of the image podman_image(); `podman rm -f` on
// destruction. A held container waits for a file in a host directory mounted at /ctl. A
// --cgroup-parent named ctrace-test-* is removed with it (podman leaves it, in every hierarchy).
class PodmanContainer {
 public:
  PodmanContainer(std::string name, std::vector<std::string> args, ContainerOptions opts = {});
  ~PodmanContainer();
  PodmanContainer(const PodmanContainer&) = delete;
  PodmanContainer& operator=(const PodmanContainer&) = delete;

  const std::string& id() const { return id_; }  // the full 64-hex id
  const std::string& name() const { return name_; }
  const std::string& hostname() const { return hostname_; }
  pid_t pid() const { return pid_; }
  const std::string& cgroup() const { return cgroup_; }
  uint64_t cgroup_id() const;
  uint32_t uts_inum() const;
  void go();
  // `podman restart`: the same container in a new cgroup, its command held again until go().
  void restart();
  bool wait_stopped(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  std::string output() const;  // podman logs

 private:
  void find_process();
  std::string name_, id_, hostname_, cgroup_, cgroup_parent_;
  std::filesystem::path ctl_;
  pid_t pid_ = -1;
};

// `docker run -d` (Debian's docker.io, cgroupfs driver: the container's cgroup is /docker/ID) of
// the image docker_image(), `--network none`; `docker rm -f` on destruction. A held container
// waits for a file in a host directory mounted at /ctl, as podman's does.
class DockerContainer {
 public:
  DockerContainer(std::string name, std::vector<std::string> args, ContainerOptions opts = {});
  ~DockerContainer();
  DockerContainer(const DockerContainer&) = delete;
  DockerContainer& operator=(const DockerContainer&) = delete;

  const std::string& id() const { return id_; }  // the full 64-hex id
  const std::string& name() const { return name_; }
  pid_t pid() const { return pid_; }
  const std::string& cgroup() const { return cgroup_; }
  uint64_t cgroup_id() const { return cgroup_id_; }  // read at start: the cgroup goes with the container
  const std::filesystem::path& ctl() const { return ctl_; }  // the host side of /ctl
  void go();
  // For a command from fifo_held(): wait until it is blocked opening its fifo, then let it go.
  bool wait_fifo_blocked(std::chrono::milliseconds timeout = std::chrono::seconds(30)) const;
  void release_fifo() const;
  bool wait_stopped(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  int exit_code() const;  // docker inspect's State.ExitCode
  void rename(const std::string& to);  // docker rename (and rm -f by the new name at the end)

 private:
  std::string name_, id_, cgroup_;
  uint64_t cgroup_id_ = 0;
  std::filesystem::path ctl_;
  pid_t pid_ = -1;
};

// A command that makes the fifo /ctl/fifo, blocks opening it, then runs the shell `script`: the
// blocked open began before any tracer attached (counted by none), the polling of a held
// command's `sleep` loop would be counted by whichever attached first.
std::vector<std::string> fifo_held(const std::string& script);

// The docker CLI that goes with Debian's engine (a newer client may come first on PATH).
std::vector<std::string> docker_cmd(std::vector<std::string> args);

// A Docker engine for the tests, on the default socket /run/docker.sock (where ctrace looks for
// container names): the one running there, or, when none answers, a dockerd started here once
// per test process (`--bridge=none --iptables=false`, data and exec roots in a temp directory),
// stopped at the process's exit with its roots and /docker cgroups removed. Then the busybox
// image ("ctrace-busybox:test", docker import). Returns the image.
const std::string& docker_image();
// The engine's data root (docker info's DockerRootDir): /var/lib/docker, or the temp one above.
std::filesystem::path docker_root_dir();

// The busybox image for podman ("localhost/ctrace-busybox:test"), imported on first use.
const std::string& podman_image();

// The podman command line every test uses (runtime and cgroup manager that work here).
std::vector<std::string> podman_cmd(std::vector<std::string> args);

}  // namespace ctrace::test
