// Target resolution on a fake cgroup tree: a temp dir with a mounts file that lists a cgroup2
// mount and a cgroup v1 mount, both plain directories.
#include "ctrace/target/target.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "ctrace/core/error.hpp"
#include "ctrace/enrich/container_info.hpp"

namespace fs = std::filesystem;
using namespace ctrace;
using namespace ctrace::target;
using Catch::Matchers::Contains;

namespace {

const std::string kDockerId = "3f2a9c0e" + std::string(56, 'a');
const std::string kContainerdId = "77aa" + std::string(60, 'b');
const std::string kPodmanId = "c0ffee00" + std::string(56, 'c');
const std::string kCrioId = "d1d2d3d4" + std::string(56, 'd');
const std::string kPlainId = "e5e6e7e8" + std::string(56, 'e');
const std::string kPodContainerId = "f0f1f2f3" + std::string(56, 'f');
// two containers whose ids share the prefix "abcd"
const std::string kTwinA = "abcd1111" + std::string(56, '1');
const std::string kTwinB = "abcd2222" + std::string(56, '2');

// mount/
//   system.slice/docker-ID.scope
//   system.slice/crio-ID.scope, crio-conmon-ID.scope
//   machine.slice/libpod-ID.scope, libpod-conmon-ID.scope
//   kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod<uid>.slice/cri-containerd-ID.scope
//   kubepods/besteffort/pod<uid>/ID           (cgroupfs driver)
//   docker/ID                                (docker's cgroupfs driver)
//   twins/docker-A.scope, twins/docker-B.scope
//   plain/cgroup.procs                        (a file)
class FakeCgroupTree {
 public:
  FakeCgroupTree() {
    std::string tmpl = (fs::temp_directory_path() / "ctrace-unit-XXXXXX").string();
    root_ = fs::canonical(::mkdtemp(tmpl.data()));
    fs_.mount = root_ / "unified";
    fs_.mounts_file = root_ / "mounts";
    fs_.proc = root_ / "proc";
    v1_ = root_ / "memory";
    std::ofstream(fs_.mounts_file) << "sysfs /sys sysfs rw 0 0\n"
                                   << "cgroup2 " << fs_.mount.string() << " cgroup2 rw,nosuid 0 0\n"
                                   << "cgroup " << v1_.string() << " cgroup rw,memory 0 0\n";
    for (const auto& d :
         {"system.slice/docker-" + kDockerId + ".scope", "system.slice/crio-" + kCrioId + ".scope",
          "system.slice/crio-conmon-" + kCrioId + ".scope", "machine.slice/libpod-" + kPodmanId + ".scope",
          "machine.slice/libpod-conmon-" + kPodmanId + ".scope",
          "kubepods.slice/kubepods-burstable.slice/"
          "kubepods-burstable-pod0a1b2c3d_4e5f_6789_abcd_ef0123456789.slice/cri-containerd-" +
              kContainerdId + ".scope",
          "kubepods/besteffort/pod9a8b7c6d-1111-2222-3333-444455556666/" + kPodContainerId,
          "docker/" + kPlainId, "twins/docker-" + kTwinA + ".scope", "twins/docker-" + kTwinB + ".scope",
          std::string("plain"), std::string("a/b/c")})
      fs::create_directories(fs_.mount / d);
    std::ofstream(fs_.mount / "plain" / "cgroup.procs") << "";
    fs::create_directories(v1_ / "mygroup");
    fs::create_directories(root_ / "elsewhere");
    fs::create_directories(fs_.proc / "42");
    std::ofstream(fs_.proc / "42" / "cgroup") << "12:memory:/whatever\n0::/a/b\n";
  }
  ~FakeCgroupTree() {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  const CgroupFs& cfs() const { return fs_; }
  const fs::path& root() const { return root_; }
  const fs::path& v1() const { return v1_; }

  Target cgroup(const std::string& arg, bool exact = false) const {
    TargetOptions o;
    o.cgroup = arg;
    o.exact = exact;
    return resolve(o, fs_);
  }
  Target container(const std::string& query) const {
    TargetOptions o;
    o.container = query;
    return resolve(o, fs_);
  }

 private:
  fs::path root_, v1_;
  CgroupFs fs_;
};

// The message of the UsageError that `f` throws ("" if it throws nothing).
template <typename F>
std::string usage_error(F&& f) {
  try {
    f();
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("no target option means every container", "[target]") {
  FakeCgroupTree tree;
  Target t = resolve(TargetOptions{}, tree.cfs());
  CHECK(t.mode == Mode::All);
}

TEST_CASE("target -c takes absolute paths and paths relative to the cgroup2 mount", "[target]") {
  FakeCgroupTree tree;
  Target rel = tree.cgroup("a/b");
  CHECK(rel.mode == Mode::Cgroup);
  CHECK(rel.cgroup_dir == tree.cfs().mount / "a" / "b");
  CHECK(rel.cgroup_path == "/a/b");
  CHECK(rel.level == 2);
  CHECK_FALSE(rel.exact);
  CHECK(rel.description == "cgroup a/b");

  Target abs = tree.cgroup((tree.cfs().mount / "a/b/c").string(), true);
  CHECK(abs.cgroup_path == "/a/b/c");
  CHECK(abs.level == 3);
  CHECK(abs.exact);

  // trailing slashes and dot segments name the same cgroup
  CHECK(tree.cgroup("a/./b/").cgroup_path == "/a/b");
  CHECK(tree.cgroup("a/b/c/..").cgroup_path == "/a/b");

  Target root = tree.cgroup(tree.cfs().mount.string());
  CHECK(root.cgroup_path == "/");
  CHECK(root.level == 0);
}

TEST_CASE("target -c rejects what is not a cgroup v2 directory, with a hint", "[target]") {
  FakeCgroupTree tree;
  const std::string mount = tree.cfs().mount.string();

  auto missing = usage_error([&] { tree.cgroup("no/such/group"); });
  CHECK_THAT(missing, Contains("does not exist") && Contains("ls " + mount));

  auto file = usage_error([&] { tree.cgroup("plain/cgroup.procs"); });
  CHECK_THAT(file, Contains("is not a directory"));

  auto v1 = usage_error([&] { tree.cgroup((tree.v1() / "mygroup").string()); });
  CHECK_THAT(v1, Contains("cgroup v1") && Contains("-c " + (tree.cfs().mount / "mygroup").string()));

  auto outside = usage_error([&] { tree.cgroup((tree.root() / "elsewhere").string()); });
  CHECK_THAT(outside, Contains("not in a cgroup filesystem") && Contains(mount));

  // a relative path cannot climb out of the mount
  auto climb = usage_error([&] { tree.cgroup("../elsewhere"); });
  CHECK_THAT(climb, Contains("not in a cgroup filesystem"));

  for (const auto& msg : {missing, file, v1, outside, climb}) CHECK(msg.find('\n') == std::string::npos);
}

TEST_CASE("target -p resolves the 0:: line of /proc/PID/cgroup", "[target]") {
  FakeCgroupTree tree;
  TargetOptions o;
  o.pid = 42;
  Target t = resolve(o, tree.cfs());
  CHECK(t.cgroup_path == "/a/b");
  CHECK(t.description == "pid 42");
  o.pid = 43;
  CHECK_THAT(usage_error([&] { resolve(o, tree.cfs()); }), Contains("no process with pid 43"));
}

TEST_CASE("container ids in cgroup directory names", "[target]") {
  CHECK(ctrace::enrich::container_id_of("docker-" + kDockerId + ".scope") == kDockerId);
  CHECK(ctrace::enrich::container_id_of("cri-containerd-" + kContainerdId + ".scope") == kContainerdId);
  CHECK(ctrace::enrich::container_id_of("crio-" + kCrioId + ".scope") == kCrioId);
  CHECK(ctrace::enrich::container_id_of("libpod-" + kPodmanId + ".scope") == kPodmanId);
  CHECK(ctrace::enrich::container_id_of("libpod-" + kPodmanId) == kPodmanId);
  CHECK(ctrace::enrich::container_id_of(kPlainId) == kPlainId);
  CHECK(ctrace::enrich::container_id_of("deadbeefcafe") == "deadbeefcafe");  // 12-char short ids too
  CHECK(ctrace::enrich::container_id_of("kubepods-burstable-pod0a1b2c3d_4e5f_6789_abcd_ef0123456789.slice") ==
        "0a1b2c3d-4e5f-6789-abcd-ef0123456789");
  CHECK(ctrace::enrich::container_id_of("kubepods-pod0a1b2c3d_4e5f_6789_abcd_ef0123456789.slice") ==
        "0a1b2c3d-4e5f-6789-abcd-ef0123456789");
  CHECK(ctrace::enrich::container_id_of("pod9a8b7c6d-1111-2222-3333-444455556666") ==
        "9a8b7c6d-1111-2222-3333-444455556666");

  // not containers
  CHECK_FALSE(ctrace::enrich::container_id_of("libpod-conmon-" + kPodmanId + ".scope"));
  CHECK_FALSE(ctrace::enrich::container_id_of("crio-conmon-" + kCrioId + ".scope"));
  CHECK_FALSE(ctrace::enrich::container_id_of("kubepods.slice"));
  CHECK_FALSE(ctrace::enrich::container_id_of("kubepods-besteffort.slice"));
  CHECK_FALSE(ctrace::enrich::container_id_of("kubepods-burstable.slice"));
  CHECK_FALSE(ctrace::enrich::container_id_of("system.slice"));
  CHECK_FALSE(ctrace::enrich::container_id_of("init.scope"));
  CHECK_FALSE(ctrace::enrich::container_id_of("docker-notanid.scope"));
  CHECK_FALSE(ctrace::enrich::container_id_of("docker.service"));
  CHECK_FALSE(ctrace::enrich::container_id_of("abc123"));  // too short for a plain id
  CHECK_FALSE(ctrace::enrich::container_id_of("ctrace-1234"));
}

TEST_CASE("target --container finds every runtime's directory by id prefix", "[target]") {
  FakeCgroupTree tree;
  const fs::path& m = tree.cfs().mount;
  struct Case {
    std::string id;
    fs::path dir;
  };
  for (const auto& c : std::vector<Case>{
           {kDockerId, m / "system.slice" / ("docker-" + kDockerId + ".scope")},
           {kCrioId, m / "system.slice" / ("crio-" + kCrioId + ".scope")},
           {kPodmanId, m / "machine.slice" / ("libpod-" + kPodmanId + ".scope")},
           {kContainerdId, m /
                               "kubepods.slice/kubepods-burstable.slice/"
                               "kubepods-burstable-pod0a1b2c3d_4e5f_6789_abcd_ef0123456789.slice" /
                               ("cri-containerd-" + kContainerdId + ".scope")},
           {kPlainId, m / "docker" / kPlainId},
           {kPodContainerId,
            m / "kubepods/besteffort/pod9a8b7c6d-1111-2222-3333-444455556666" / kPodContainerId},
       }) {
    INFO(c.id);
    for (size_t len : {size_t{4}, size_t{12}, c.id.size()}) {
      Target t = tree.container(c.id.substr(0, len));
      CHECK(t.cgroup_dir == c.dir);
      CHECK(t.description == "container " + c.id);
      fs::path rel = c.dir.lexically_relative(m);
      CHECK(t.level == static_cast<uint32_t>(std::distance(rel.begin(), rel.end())));
    }
  }
  // a pod by its uid prefix covers its containers (subtree)
  Target pod = tree.container("0a1b2c3d");
  CHECK(pod.cgroup_dir.filename() == "kubepods-burstable-pod0a1b2c3d_4e5f_6789_abcd_ef0123456789.slice");
  CHECK_FALSE(pod.exact);
  // the full directory name works too
  CHECK(tree.container("docker-" + kDockerId + ".scope").cgroup_dir ==
        m / "system.slice" / ("docker-" + kDockerId + ".scope"));
}

TEST_CASE("target --container: conmon helpers, short prefixes and ambiguity", "[target]") {
  FakeCgroupTree tree;
  // the conmon scopes beside libpod-/crio- containers are not matched
  auto podman = find_containers(tree.cfs().mount, kPodmanId.substr(0, 8));
  REQUIRE(podman.size() == 1);
  CHECK(podman[0].dir.filename() == "libpod-" + kPodmanId + ".scope");
  CHECK(find_containers(tree.cfs().mount, kCrioId.substr(0, 6)).size() == 1);

  auto short_prefix = usage_error([&] { tree.container(kDockerId.substr(0, 3)); });
  CHECK_THAT(short_prefix, Contains("no container matches '3f2'") && Contains("at least 4 characters"));

  auto unknown = usage_error([&] { tree.container("0123456789"); });
  CHECK_THAT(unknown, Contains("no container matches '0123456789'"));

  auto ambiguous = usage_error([&] { tree.container("abcd"); });
  CHECK_THAT(ambiguous, Contains("ambiguous") && Contains("twins/docker-" + kTwinA + ".scope") &&
                            Contains("twins/docker-" + kTwinB + ".scope") && Contains("give more of the id"));
  CHECK(tree.container("abcd1").cgroup_dir.filename() == "docker-" + kTwinA + ".scope");
  CHECK(tree.container("abcd2").cgroup_dir.filename() == "docker-" + kTwinB + ".scope");

  auto path = usage_error([&] { tree.container("system.slice/foo"); });
  CHECK_THAT(path, Contains("not a path") && Contains("-c system.slice/foo"));

  for (const auto& msg : {short_prefix, unknown, ambiguous, path}) CHECK(msg.find('\n') == std::string::npos);
}

TEST_CASE("Target::to_object names the cgroup for JSON", "[target]") {
  FakeCgroupTree tree;
  Target t = tree.cgroup("a/b", true);
  auto o = t.to_object();
  REQUIRE(o.size() == 5);
  CHECK(o[0].first == "mode");
  CHECK(std::get<std::string>(o[0].second.v) == "cgroup");
  CHECK(o[1].first == "cgroup");
  CHECK(std::get<std::string>(o[1].second.v) == "/a/b");
  CHECK(o[2].first == "cgroup_id");
  CHECK(o[3].first == "exact");
  CHECK(std::get<bool>(o[3].second.v));
  CHECK(o[4].first == "description");
  CHECK(std::get<std::string>(Target{}.to_object()[0].second.v) == "all");
}

TEST_CASE("target -p of a process in the root cgroup is a usage error, not the whole host", "[target]") {
  FakeCgroupTree tree;
  fs::create_directories(tree.cfs().proc / "2");
  std::ofstream(tree.cfs().proc / "2" / "cgroup") << "0::/\n";
  TargetOptions o;
  o.pid = 2;
  auto msg = usage_error([&] { resolve(o, tree.cfs()); });
  CHECK_THAT(msg, Contains("process 2 is in the root cgroup") && Contains("whole host"));
}

TEST_CASE("find_in_path: what execvp would run, searched before the child enters the cgroup", "[target]") {
  FakeCgroupTree tree;
  auto a = tree.root() / "bin-a", b = tree.root() / "bin-b";
  fs::create_directories(a);
  fs::create_directories(b);
  std::ofstream(a / "tool") << "not executable";
  std::ofstream(b / "tool") << "#!/bin/sh\n";
  fs::permissions(b / "tool", fs::perms::owner_all);
  fs::create_directories(a / "dir");  // a directory of that name is skipped too
  std::string path = "/nonexistent:" + a.string() + ":" + b.string();
  CHECK(find_in_path("tool", path.c_str()) == (b / "tool").string());
  CHECK(find_in_path("dir", path.c_str()) == "dir");
  CHECK(find_in_path("missing", path.c_str()) == "missing");
  CHECK(find_in_path("./tool", path.c_str()) == "./tool");  // a path is not searched
  CHECK(find_in_path("sh", nullptr) == "/bin/sh");          // execvp's default PATH
}

TEST_CASE("remove_stale_cgroups empties the ctrace-PID cgroups of dead ctrace processes only", "[target]") {
  FakeCgroupTree tree;
  const auto& cfs = tree.cfs();
  fs::create_directories(cfs.mount / "ctrace-999999");  // no such process
  fs::create_directories(cfs.mount / "ctrace-77");      // a running ctrace
  fs::create_directories(cfs.mount / "ctrace-88");      // pid reused by another program
  fs::create_directories(cfs.mount / "ctrace-test-x");  // not ctrace's naming
  fs::create_directories(cfs.proc / "77");
  std::ofstream(cfs.proc / "77" / "comm") << "ctrace\n";
  fs::create_directories(cfs.proc / "88");
  std::ofstream(cfs.proc / "88" / "comm") << "bash\n";
  remove_stale_cgroups(cfs);
  // a plain directory stands in for a cgroup: rmdir works once cgroup.kill (written) is gone
  CHECK(fs::exists(cfs.mount / "ctrace-77"));
  CHECK(fs::exists(cfs.mount / "ctrace-test-x"));
  CHECK(fs::exists(cfs.mount / "ctrace-999999" / "cgroup.kill"));
  CHECK(fs::exists(cfs.mount / "ctrace-88" / "cgroup.kill"));
  CHECK_FALSE(fs::exists(cfs.mount / "ctrace-77" / "cgroup.kill"));
}
