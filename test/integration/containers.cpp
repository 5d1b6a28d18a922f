#include "containers.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "ctrace/core/cgroup.hpp"
#include "support.hpp"

namespace fs = std::filesystem;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace ctrace::test {

namespace {

constexpr const char* kBusybox = "/usr/bin/busybox";  // busybox-static: runs in an empty rootfs
constexpr const char* kImage = "localhost/ctrace-busybox:test";

// A held command polls for /ctl/go; what runs after it is exactly the caller's command.
std::vector<std::string> held(const std::vector<std::string>& args) {
  std::vector<std::string> out{"/bin/sh", "-c", "while [ ! -e /ctl/go ]; do sleep 0.02; done; exec \"$@\"",
                               "sh"};
  out.insert(out.end(), args.begin(), args.end());
  return out;
}

void make_busybox_rootfs(const fs::path& root) {
  if (!fs::exists(kBusybox))
    throw std::runtime_error("busybox-static is missing: run scripts/install-deps.sh");
  for (const char* d : {"bin", "etc", "proc", "sys", "dev", "tmp", "ctl"}) fs::create_directories(root / d);
  fs::copy_file(kBusybox, root / "bin/busybox");
  auto list = run({kBusybox, "--list"});
  std::istringstream applets(list.out);
  for (std::string a; applets >> a;)
    if (a != "busybox") fs::create_symlink("busybox", root / "bin" / a);
  std::ofstream(root / "etc/passwd") << "root:x:0:0:root:/:/bin/sh\n";
  std::ofstream(root / "etc/group") << "root:x:0:\n";
}

std::string cgroup_of(pid_t pid) {
  auto rel = cgroup::cgroup_of_pid(pid, "/proc");
  if (!rel) throw std::runtime_error("no cgroup v2 entry for pid " + std::to_string(pid));
  return *rel;
}

uint32_t uts_of(pid_t pid) {
  struct stat st {};
  std::string p = "/proc/" + std::to_string(pid) + "/ns/uts";
  if (::stat(p.c_str(), &st) != 0) throw std::runtime_error("stat " + p);
  return static_cast<uint32_t>(st.st_ino);
}

// podman's cgroupfs manager makes a --cgroup-parent in every hierarchy (the v1 ones with a
// `conmon` child) and removes none of them.
void remove_cgroup_everywhere(const std::string& rel) {
  std::ifstream mounts("/proc/self/mounts");
  for (std::string dev, dir, type, rest; mounts >> dev >> dir >> type && std::getline(mounts, rest);) {
    if (type != "cgroup" && type != "cgroup2") continue;
    fs::path top = fs::path(dir) / fs::path(rel).relative_path();
    std::error_code ec;
    if (!fs::is_directory(top, ec)) continue;
    std::vector<fs::path> dirs{top};
    for (fs::recursive_directory_iterator it(top, ec), end; !ec && it != end; it.increment(ec))
      if (it->is_directory(ec)) dirs.push_back(it->path());
    // Children first; a v1 cgroup stays busy while conmon is still exiting.
    for (auto d = dirs.rbegin(); d != dirs.rend(); ++d)
      wait_until([&] { return ::rmdir(d->c_str()) == 0 || errno != EBUSY; }, std::chrono::seconds(5));
  }
}

// runc makes linux.cgroupsPath in every v1 hierarchy too (hybrid mode), parents and all, and
// deletes only the container's own directory: the parents it leaves empty there go. Only v1's:
// the v2 parents are the tests' (TestCgroup) or go below.
void remove_v1_parents(const std::string& rel) {
  std::ifstream mounts("/proc/self/mounts");
  for (std::string dev, dir, type, rest; mounts >> dev >> dir >> type && std::getline(mounts, rest);) {
    if (type != "cgroup") continue;
    const fs::path top(dir);
    for (fs::path d = (top / fs::path(rel).relative_path()).parent_path();
         d.string().size() > top.string().size() && d.string().rfind(top.string(), 0) == 0; d = d.parent_path())
      if (::rmdir(d.c_str()) != 0) break;  // not empty (a sibling), or not there
  }
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

fs::path make_temp_dir(const std::string& what) {
  std::string tmpl = (fs::temp_directory_path() / ("ctrace-" + what + "-XXXXXX")).string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp " + tmpl);
  return tmpl;
}

std::string container_name(const std::string& base) {
  return base + "-" + std::to_string(::getpid());
}

// ---- runc ----

RuncContainer::RuncContainer(std::string name, std::vector<std::string> args, ContainerOptions opts)
    : id_(std::move(name)), hostname_(opts.hostname.empty() ? id_ : opts.hostname) {
  bundle_ = make_temp_dir("runc");
  make_busybox_rootfs(bundle_ / "rootfs");
  auto spec = run({"runc", "spec", "--bundle", bundle_.string()});
  if (spec.code != 0) throw std::runtime_error("runc spec: " + spec.err);
  json config;
  std::ifstream(bundle_ / "config.json") >> config;
  config["process"]["terminal"] = false;
  // The default RLIMIT_NOFILE (1024) exceeds what this VM lets a child raise to.
  config["process"].erase("rlimits");
  config["process"]["args"] = opts.hold ? held(args) : args;
  config["hostname"] = hostname_;
  cgroup_ = opts.cgroup.empty() ? "/ctrace-test-" + std::to_string(::getpid()) + "/" + id_ : opts.cgroup;
  config["linux"]["cgroupsPath"] = cgroup_;
  for (const auto& [k, v] : opts.annotations) config["annotations"][k] = v;
  if (!opts.seccomp.empty()) config["linux"]["seccomp"] = json::parse(opts.seccomp);
  std::ofstream(bundle_ / "config.json") << config.dump(2);

  // runc -d hands its stdio to the container: a file, so that nothing waits on a pipe.
  auto r = run({"sh", "-c", "exec runc run -d --bundle \"$1\" \"$2\" >\"$1/output.log\" 2>&1 </dev/null",
                "sh", bundle_.string(), id_});
  if (r.code != 0) {
    std::string log = output();
    fs::remove_all(bundle_);
    throw std::runtime_error("runc run " + id_ + " failed: " + r.err + log);
  }
  auto st = run({"runc", "state", id_});
  pid_ = json::parse(st.out).at("pid").get<pid_t>();
}

RuncContainer::~RuncContainer() {
  run({"runc", "delete", "-f", id_});
  std::error_code ec;
  fs::remove_all(bundle_, ec);
  // runc removes the container's cgroup; the per-test parent it created is ours to remove.
  remove_v1_parents(cgroup_);
  fs::path dir = cgroup::find_cgroup2_mount() / fs::path(cgroup_).relative_path();
  for (fs::path d = dir.parent_path(); d.filename().string().rfind("ctrace-test-", 0) == 0;
       d = d.parent_path())
    if (::rmdir(d.c_str()) != 0) break;
}

std::string RuncContainer::cgroup() const {
  return cgroup_;
}

uint64_t RuncContainer::cgroup_id() const {
  return cgroup::cgroup_id(cgroup::find_cgroup2_mount() / fs::path(cgroup_).relative_path());
}

uint32_t RuncContainer::uts_inum() const {
  return uts_of(pid_);
}

void RuncContainer::go() {
  std::ofstream(bundle_ / "rootfs/ctl/go") << "go\n";
}

bool RuncContainer::wait_stopped(std::chrono::milliseconds timeout) {
  return wait_until(
      [&] {
        auto st = run({"runc", "state", id_});
        return st.code != 0 || json::parse(st.out, nullptr, false).value("status", "") == "stopped";
      },
      timeout);
}

std::string RuncContainer::output() const {
  std::ifstream f(bundle_ / "output.log");
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// ---- podman ----

std::vector<std::string> podman_cmd(std::vector<std::string> args) {
  std::vector<std::string> argv{"podman", "--runtime", "runc", "--cgroup-manager=cgroupfs"};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

const std::string& podman_image() {
  static std::once_flag once;
  static std::string image = kImage;
  std::call_once(once, [] {
    if (run(podman_cmd({"image", "exists", kImage})).code == 0) return;
    fs::path dir = make_temp_dir("image");
    make_busybox_rootfs(dir / "rootfs");
    auto r =
        run({"sh", "-c", "tar -C \"$1/rootfs\" -c . | podman import - \"$2\"", "sh", dir.string(), kImage},
            std::chrono::seconds(120));
    fs::remove_all(dir);
    if (r.code != 0) throw std::runtime_error("podman import: " + r.err);
  });
  return image;
}

PodmanContainer::PodmanContainer(std::string name, std::vector<std::string> args, ContainerOptions opts)
    : name_(std::move(name)),
      hostname_(opts.hostname.empty() ? name_ : opts.hostname),
      cgroup_parent_(opts.cgroup_parent) {
  const auto& image = podman_image();
  ctl_ = make_temp_dir("podman-ctl");
  // A leftover of a crashed run with the same name would make `run` fail.
  run(podman_cmd({"rm", "-f", "-t", "0", name_}));
  std::vector<std::string> argv =
      podman_cmd({"run", "-d", "--name", name_, "--hostname", hostname_, "--ulimit", "nofile=1024:20000",
                  "--ulimit", "nproc=4096:4096", "--network", "none", "-v", ctl_.string() + ":/ctl"});
  if (!cgroup_parent_.empty()) argv.insert(argv.end(), {"--cgroup-parent", cgroup_parent_});
  for (const auto& [k, v] : opts.annotations) argv.insert(argv.end(), {"--annotation", k + "=" + v});
  argv.push_back(image);
  for (const auto& a : opts.hold ? held(args) : args) argv.push_back(a);
  auto r = run(argv, std::chrono::seconds(120));
  if (r.code != 0) {
    fs::remove_all(ctl_);
    throw std::runtime_error("podman run " + name_ + " failed: " + r.err);
  }
  id_ = trim(r.out);
  if (auto nl = id_.rfind('\n'); nl != std::string::npos) id_ = id_.substr(nl + 1);
  find_process();
}

void PodmanContainer::find_process() {
  auto pid = run(podman_cmd({"inspect", "-f", "{{.State.Pid}}", name_}));
  pid_ = std::stoi(pid.out);
  cgroup_ = cgroup_of(pid_);
}

PodmanContainer::~PodmanContainer() {
  run(podman_cmd({"rm", "-f", "-t", "0", name_}), std::chrono::seconds(120));
  std::error_code ec;
  fs::remove_all(ctl_, ec);
  if (fs::path(cgroup_parent_).filename().string().rfind("ctrace-test-", 0) == 0)
    remove_cgroup_everywhere(cgroup_parent_);
}

void PodmanContainer::restart() {
  std::error_code ec;
  fs::remove(ctl_ / "go", ec);
  // -t 0: the held shell is pid 1 and ignores SIGTERM, podman would wait 10 s for it
  auto r = run(podman_cmd({"restart", "-t", "0", name_}), std::chrono::seconds(120));
  if (r.code != 0) throw std::runtime_error("podman restart " + name_ + " failed: " + r.err);
  find_process();
}

uint64_t PodmanContainer::cgroup_id() const {
  return cgroup::cgroup_id(cgroup::find_cgroup2_mount() / fs::path(cgroup_).relative_path());
}

uint32_t PodmanContainer::uts_inum() const {
  return uts_of(pid_);
}

void PodmanContainer::go() {
  std::ofstream(ctl_ / "go") << "go\n";
}

bool PodmanContainer::wait_stopped(std::chrono::milliseconds timeout) {
  return wait_until(
      [&] {
        auto r = run(podman_cmd({"inspect", "-f", "{{.State.Status}}", name_}));
        return r.code != 0 || trim(r.out) == "exited" || trim(r.out) == "stopped";
      },
      timeout);
}

std::string PodmanContainer::output() const {
  return run(podman_cmd({"logs", name_})).out;
}

// ---- docker ----

namespace {

constexpr const char* kDockerImage = "ctrace-busybox:test";
constexpr const char* kDockerSocket = "/run/docker.sock";

// The dockerd this process started (if any): stopped at exit, with what it leaves behind.
struct OwnDockerd {
  pid_t pid = -1;
  fs::path root;
};
OwnDockerd own_dockerd;

void stop_own_dockerd() {
  if (own_dockerd.pid <= 0) return;
  ::kill(own_dockerd.pid, SIGTERM);
  int status = 0;
  bool gone = wait_until([&] { return ::waitpid(own_dockerd.pid, &status, WNOHANG) == own_dockerd.pid; },
                         std::chrono::seconds(30));
  if (!gone) {
    ::kill(own_dockerd.pid, SIGKILL);
    ::waitpid(own_dockerd.pid, &status, 0);
  }
  own_dockerd.pid = -1;
  // overlay and netns mounts of containers not removed (a test that crashed)
  std::vector<std::string> mounts;
  std::ifstream in("/proc/self/mounts");
  for (std::string dev, dir, rest; in >> dev >> dir && std::getline(in, rest);)
    if (dir.rfind(own_dockerd.root.string(), 0) == 0) mounts.push_back(dir);
  for (auto m = mounts.rbegin(); m != mounts.rend(); ++m) ::umount2(m->c_str(), MNT_DETACH);
  std::error_code ec;
  fs::remove_all(own_dockerd.root, ec);
  remove_cgroup_everywhere("/docker");
}

bool docker_answers() {
  return run(docker_cmd({"version", "--format", "{{.Server.Version}}"}), std::chrono::seconds(10)).code == 0;
}

void start_dockerd() {
  if (fs::exists(kDockerSocket) && docker_answers()) return;
  own_dockerd.root = make_temp_dir("dockerd");
  fs::create_directories(own_dockerd.root / "data");
  fs::create_directories(own_dockerd.root / "exec");
  // everything the child needs is made before fork: it only opens, dups and execs
  std::string log = (own_dockerd.root / "dockerd.log").string();
  std::string data = "--data-root=" + (own_dockerd.root / "data").string();
  std::string exec = "--exec-root=" + (own_dockerd.root / "exec").string();
  std::string pidfile = "--pidfile=" + (own_dockerd.root / "dockerd.pid").string();
  std::string host = std::string("unix://") + kDockerSocket;
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork");
  if (pid == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    ::execlp("dockerd", "dockerd", "--bridge=none", "--iptables=false", "--ip6tables=false", data.c_str(),
             exec.c_str(), pidfile.c_str(), "-H", host.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  own_dockerd.pid = pid;
  std::atexit(stop_own_dockerd);
  if (!wait_until([] { return fs::exists(kDockerSocket) && docker_answers(); }, std::chrono::seconds(60))) {
    std::ifstream in(log);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    throw std::runtime_error(
        "dockerd did not answer on /run/docker.sock (docker.io installed? "
        "scripts/install-deps.sh): " +
        text.substr(text.size() > 2000 ? text.size() - 2000 : 0));
  }
}

}  // namespace

std::vector<std::string> docker_cmd(std::vector<std::string> args) {
  std::vector<std::string> argv{fs::exists("/usr/bin/docker") ? "/usr/bin/docker" : "docker"};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

const std::string& docker_image() {
  static std::once_flag once;
  static std::string image = kDockerImage;
  std::call_once(once, [] {
    start_dockerd();
    if (run(docker_cmd({"image", "inspect", kDockerImage})).code == 0) return;
    fs::path dir = make_temp_dir("image");
    make_busybox_rootfs(dir / "rootfs");
    auto r = run({"sh", "-c", "tar -C \"$1/rootfs\" -c . | \"$3\" import - \"$2\"", "sh", dir.string(),
                  kDockerImage, docker_cmd({})[0]},
                 std::chrono::seconds(120));
    fs::remove_all(dir);
    if (r.code != 0) throw std::runtime_error("docker import: " + r.err);
  });
  return image;
}

DockerContainer::DockerContainer(std::string name, std::vector<std::string> args, ContainerOptions opts)
    : name_(std::move(name)) {
  const auto& image = docker_image();
  ctl_ = make_temp_dir("docker-ctl");
  run(docker_cmd({"rm", "-f", name_}));  // a leftover of a crashed run
  std::vector<std::string> argv =
      docker_cmd({"run", "-d", "--name", name_, "--network", "none", "-v", ctl_.string() + ":/ctl"});
  if (!opts.hostname.empty()) argv.insert(argv.end(), {"--hostname", opts.hostname});
  argv.insert(argv.end(), opts.run_args.begin(), opts.run_args.end());
  argv.push_back(image);
  for (const auto& a : opts.hold ? held(args) : args) argv.push_back(a);
  auto r = run(argv, std::chrono::seconds(120));
  if (r.code != 0) {
    fs::remove_all(ctl_);
    throw std::runtime_error("docker run " + name_ + " failed: " + r.err);
  }
  id_ = trim(r.out);
  if (auto nl = id_.rfind('\n'); nl != std::string::npos) id_ = id_.substr(nl + 1);
  pid_ = std::stoi(run(docker_cmd({"inspect", "-f", "{{.State.Pid}}", name_})).out);
  cgroup_ = cgroup_of(pid_);
  cgroup_id_ = cgroup::cgroup_id(cgroup::find_cgroup2_mount() / fs::path(cgroup_).relative_path());
}

DockerContainer::~DockerContainer() {
  run(docker_cmd({"rm", "-f", name_}), std::chrono::seconds(120));
  std::error_code ec;
  fs::remove_all(ctl_, ec);
}

void DockerContainer::go() {
  std::ofstream(ctl_ / "go") << "go\n";
}

bool DockerContainer::wait_stopped(std::chrono::milliseconds timeout) {
  return wait_until(
      [&] {
        auto r = run(docker_cmd({"inspect", "-f", "{{.State.Status}}", name_}));
        return r.code != 0 || trim(r.out) == "exited";
      },
      timeout);
}

std::vector<std::string> fifo_held(const std::string& script) {
  return {"/bin/sh", "-c", "mkfifo /ctl/fifo && read x </ctl/fifo && " + script};
}

bool DockerContainer::wait_fifo_blocked(std::chrono::milliseconds timeout) const {
  return wait_until(
      [&] {
        std::ifstream f("/proc/" + std::to_string(pid_) + "/syscall");
        std::string nr;
        return fs::exists(ctl_ / "fifo") && f >> nr && nr == std::to_string(SYS_openat);
      },
      timeout);
}

void DockerContainer::release_fifo() const {
  std::ofstream(ctl_ / "fifo") << "go\n";
}

void DockerContainer::rename(const std::string& to) {
  auto r = run(docker_cmd({"rename", name_, to}));
  if (r.code != 0) throw std::runtime_error("docker rename " + name_ + " " + to + " failed: " + r.err);
  name_ = to;
}

std::filesystem::path docker_root_dir() {
  docker_image();  // the engine runs
  return trim(run(docker_cmd({"info", "-f", "{{.DockerRootDir}}"})).out);
}

int DockerContainer::exit_code() const {
  return std::stoi(run(docker_cmd({"inspect", "-f", "{{.State.ExitCode}}", name_})).out);
}

}  // namespace ctrace::test
