// advise seccomp|caps with a real Docker engine (containers.hpp): the advice made with
// --from-start is replayed (the same workload runs under it), one piece taken out of it breaks
// the workload, and --check names exactly that piece.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <cstring>
#include <fstream>
#include <set>
#include <thread>

#include "containers.hpp"
#include "stream_support.hpp"

using namespace ctrace::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

struct Advised {
  Result ctrace;     // ctrace's exit code, stdout (the advice), stderr
  Result container;  // docker run's
};

// `ctrace advise KIND --from-start --container NAME ARGS...` first, then `docker run --rm --name
// NAME --network none FLAGS... IMAGE CMD...`: ctrace ends by itself when the container's cgroup
// goes.
Advised advise_from_start(const std::string& kind, const std::string& name,
                          const std::vector<std::string>& args, const std::vector<std::string>& flags,
                          const std::vector<std::string>& cmd) {
  const auto& image = docker_image();
  std::vector<std::string> argv{"advise", kind, "--from-start", "--container", name};
  argv.insert(argv.end(), args.begin(), args.end());
  auto p = start_ctrace(argv, "Waiting for container");
  auto docker = docker_cmd({"run", "--rm", "--name", name});
  if (std::find(flags.begin(), flags.end(), "--network") == flags.end())
    docker.insert(docker.end(), {"--network", "none"});
  docker.insert(docker.end(), flags.begin(), flags.end());
  docker.push_back(image);
  docker.insert(docker.end(), cmd.begin(), cmd.end());
  Advised a;
  a.container = run(docker, std::chrono::seconds(120));
  int code = p->wait(std::chrono::seconds(60));
  a.ctrace = {code, p->out(), p->err()};
  return a;
}

// A directory of the test's own, removed with what is in it.
struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& name)
      : path(fs::temp_directory_path() / (name + "-" + std::to_string(::getpid()))) {
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

std::set<std::string> allowed(const json& profile) {
  std::set<std::string> names;
  for (const auto& rule : profile["syscalls"])
    if (rule["action"] == "SCMP_ACT_ALLOW")
      for (const auto& n : rule["names"]) names.insert(n.get<std::string>());
  return names;
}

fs::path write_profile(const fs::path& dir, const std::string& file, const json& profile) {
  fs::path p = dir / file;
  std::ofstream(p) << profile.dump(2);
  return p;
}

std::vector<std::string> column(const json& table, const std::string& rows, const std::string& key) {
  std::vector<std::string> v;
  for (const auto& r : table[rows]) v.push_back(r[key].get<std::string>());
  return v;
}

// Files, a fork and an exec, a pipe: what the profile must let through (in `dir`: runc's default
// bundle has a read-only root, /dev/shm is a tmpfs).
std::vector<std::string> files_in(const std::string& dir) {
  return {"/bin/sh", "-c",
          fmt::format("mkdir {0}/d && echo hello > {0}/d/f && cat {0}/d/f && ls {0}/d | wc -l", dir)};
}
const std::vector<std::string> kFiles = files_in("/tmp");

// kFiles, then a loopback connect to `port` (with --network host)
std::vector<std::string> files_and_connect(int port) {
  auto cmd = kFiles;
  cmd.back() += fmt::format(" && echo ping | nc 127.0.0.1 {} && echo connected", port);
  return cmd;
}

}  // namespace

TEST_CASE(
    "advise seccomp --from-start: files, a fork, a loopback connect run under the profile, without mkdir "
    "they fail and --check names mkdir",
    "[docker][advise]") {
  TempDir tmp("ctrace-advise");
  const fs::path& dir = tmp.path;

  LoopbackListener listener(/*accept_and_close=*/true);
  const auto cmd = files_and_connect(listener.port());
  const std::string expected = "hello\n1\nconnected\n";
  auto made = advise_from_start("seccomp", container_name("adv-sc"), {}, {"--network", "host"}, cmd);
  INFO("ctrace: " << made.ctrace.err << "\ncontainer: " << made.container.err);
  REQUIRE(made.container.code == 0);
  REQUIRE(made.container.out == expected);
  CHECK(listener.accepted() == 1);
  REQUIRE(made.ctrace.code == 0);
  CHECK_THAT(made.ctrace.err, Catch::Contains("started") && Catch::Contains("exited"));
  json profile = json::parse(made.ctrace.out);
  CHECK(profile["defaultAction"] == "SCMP_ACT_ERRNO");
  CHECK(profile["defaultErrnoRet"] == 1);
  CHECK(profile["architectures"] == json({"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}));
  REQUIRE(profile["syscalls"].size() == 1);
  auto names = allowed(profile);
  std::string mkdir = names.count("mkdir") ? "mkdir" : "mkdirat";
  for (const char* call : {"execve", "exit_group", "wait4", "pipe2", "write", "socket", "connect"}) {
    INFO(call);
    CHECK(names.count(call) == 1);
  }
  REQUIRE(names.count(mkdir) == 1);
  // sorted, once each (the rule's list is the set)
  CHECK(profile["syscalls"][0]["names"].size() == names.size());

  // replayed under --check: it runs, and nothing was refused (the positive control of the next run)
  auto full = write_profile(dir, "full.json", profile);
  auto ok = advise_from_start("seccomp", container_name("adv-sc-ok"), {"--check", "-o", "json"},
                              {"--network", "host", "--security-opt", "seccomp=" + full.string()}, cmd);
  INFO("ctrace: " << ok.ctrace.err << "\ncontainer: " << ok.container.err);
  CHECK(ok.container.code == 0);
  CHECK(ok.container.out == expected);
  CHECK(listener.accepted() == 2);
  REQUIRE(ok.ctrace.code == 0);
  auto ok_report = json::parse(ok.ctrace.out);
  INFO("refused: " << ok_report["syscalls"].dump());
  CHECK(ok_report["syscalls"].empty());
  CHECK(ok_report["refused"] == 0);

  // without mkdir: the workload fails there, and --check names that call, only it
  json broken = profile;
  auto& list = broken["syscalls"][0]["names"];
  list.erase(std::find(list.begin(), list.end(), mkdir));
  auto less = write_profile(dir, "less.json", broken);
  auto bad = advise_from_start("seccomp", container_name("adv-sc-bad"), {"--check", "-o", "json"},
                               {"--network", "host", "--security-opt", "seccomp=" + less.string()}, cmd);
  INFO("ctrace: " << bad.ctrace.err << "\ncontainer: " << bad.container.err);
  CHECK(bad.container.code != 0);
  CHECK_THAT(bad.container.err, Catch::Contains("Operation not permitted"));
  REQUIRE(bad.ctrace.code == 0);
  auto report = json::parse(bad.ctrace.out);
  CHECK(column(report, "syscalls", "syscall") == std::vector<std::string>{mkdir});
  REQUIRE(report["syscalls"].size() == 1);
  CHECK(report["syscalls"][0]["refused"] == 1);
  CHECK(report["syscalls"][0]["comm"] == "mkdir");
}

TEST_CASE(
    "advise seccomp: a running container's profile lacks the runtime's calls that only --from-start sees",
    "[docker][advise]") {
  auto from_start = advise_from_start("seccomp", container_name("adv-fs"), {}, {}, kFiles);
  INFO("ctrace: " << from_start.ctrace.err);
  REQUIRE(from_start.container.code == 0);
  REQUIRE(from_start.ctrace.code == 0);
  auto all = allowed(json::parse(from_start.ctrace.out));

  DockerContainer c(container_name("adv-run"), kFiles, {.hold = true});
  auto p = start_ctrace({"advise", "seccomp", "--container", c.name()}, "Counting");
  c.go();
  REQUIRE(c.wait_stopped());
  p->signal(SIGINT);
  int code = p->wait();
  INFO("ctrace: " << p->err());
  REQUIRE(code == 0);
  auto later = allowed(json::parse(p->out()));
  // the workload's own calls are in both (the positive control)...
  for (const char* call : {"exit_group", "wait4", "write"}) {
    INFO(call);
    CHECK(later.count(call) == 1);
  }
  // ...the runtime's (runc's init sets the capabilities, then executes the command) only from the start
  for (const char* call : {"capset", "pivot_root", "mount"}) {
    INFO(call);
    CHECK(all.count(call) == 1);
    CHECK(later.count(call) == 0);
  }
  // (not a subset: the held container's wait loop, `sleep` and `[ -e ]`, has calls of its own)
}

TEST_CASE(
    "advise caps --from-start: CHOWN and NET_BIND_SERVICE, without the second the workload fails and --check "
    "names it",
    "[docker][advise]") {
  // Docker lets a container with a network namespace of its own bind any port (its sysctl
  // ip_unprivileged_port_start=0): the usual 1024 makes port 80 a capability check.
  const std::vector<std::string> sysctl = {"--sysctl", "net.ipv4.ip_unprivileged_port_start=1024"};
  const std::vector<std::string> cmd = {
      "/bin/sh", "-c",
      "touch /tmp/f && chown 1:1 /tmp/f && httpd -p 127.0.0.1:80 -h /tmp && "
      "killall httpd && echo served"};
  auto made = advise_from_start("caps", container_name("adv-cap"), {}, sysctl, cmd);
  INFO("ctrace: " << made.ctrace.err << "\ncontainer: " << made.container.err);
  REQUIRE(made.container.code == 0);
  REQUIRE(made.ctrace.code == 0);
  CHECK(made.ctrace.out == "--cap-drop ALL --cap-add CHOWN --cap-add NET_BIND_SERVICE\n");

  auto drop_all = [&](std::vector<std::string> caps) {
    std::vector<std::string> flags = sysctl;
    flags.insert(flags.end(), {"--cap-drop", "ALL"});
    for (const auto& c : caps) flags.insert(flags.end(), {"--cap-add", c});
    return flags;
  };
  // with both: it runs, nothing of them denied (the positive control)
  auto ok = advise_from_start("caps", container_name("adv-cap-ok"), {"--check", "-o", "json"},
                              drop_all({"CHOWN", "NET_BIND_SERVICE"}), cmd);
  INFO("ctrace: " << ok.ctrace.err << "\ncontainer: " << ok.container.err);
  CHECK(ok.container.code == 0);
  CHECK(ok.container.out == "served\n");
  REQUIRE(ok.ctrace.code == 0);
  auto ok_report = json::parse(ok.ctrace.out);
  auto ok_denied = ok_report["denied"].get<std::vector<std::string>>();
  CHECK(std::count(ok_denied.begin(), ok_denied.end(), "NET_BIND_SERVICE") == 0);
  CHECK(std::count(ok_denied.begin(), ok_denied.end(), "CHOWN") == 0);

  // without NET_BIND_SERVICE: httpd cannot bind, and --check names the capability
  auto bad = advise_from_start("caps", container_name("adv-cap-bad"), {"--check", "-o", "json"},
                               drop_all({"CHOWN"}), cmd);
  INFO("ctrace: " << bad.ctrace.err << "\ncontainer: " << bad.container.err);
  CHECK(bad.container.code != 0);
  REQUIRE(bad.ctrace.code == 0);
  auto report = json::parse(bad.ctrace.out);
  auto denied = report["denied"].get<std::vector<std::string>>();
  CHECK(std::count(denied.begin(), denied.end(), "NET_BIND_SERVICE") == 1);
  CHECK(std::count(denied.begin(), denied.end(), "CHOWN") == 0);
  auto add = report["add"].get<std::vector<std::string>>();
  CHECK(std::count(add.begin(), add.end(), "CHOWN") == 1);
}

TEST_CASE("advise seccomp --from-start of a runc container: runc runs the same bundle under the profile",
          "[advise][runc]") {
  std::string name = container_name("adv-runc");
  json profile;
  {
    auto p =
        start_ctrace({"advise", "seccomp", "--from-start", "--container", name}, "Waiting for container");
    {
      RuncContainer c(name, files_in("/dev/shm"));
      REQUIRE(c.wait_stopped());
      CHECK(c.output() == "hello\n1\n");
    }  // runc delete removes the cgroup: ctrace ends by itself
    REQUIRE(p->wait(std::chrono::seconds(60)) == 0);
    INFO("ctrace: " << p->err());
    CHECK_THAT(p->err(), Catch::Contains("started") && Catch::Contains("exited"));
    profile = json::parse(p->out());
  }
  REQUIRE(allowed(profile).count("execve") == 1);
  // the profile as linux.seccomp of config.json: runc accepts its shape, and the workload runs
  RuncContainer again(container_name("adv-runc-2"), files_in("/dev/shm"), {.seccomp = profile.dump()});
  REQUIRE(again.wait_stopped());
  CHECK(again.output() == "hello\n1\n");
  // the positive control of "runs under it": without mkdir the same bundle fails there
  json broken = profile;
  auto& list = broken["syscalls"][0]["names"];
  auto mkdir = std::find(list.begin(), list.end(), allowed(profile).count("mkdir") ? "mkdir" : "mkdirat");
  REQUIRE(mkdir != list.end());
  list.erase(mkdir);
  RuncContainer refused(container_name("adv-runc-3"), files_in("/dev/shm"), {.seccomp = broken.dump()});
  REQUIRE(refused.wait_stopped());
  CHECK_THAT(refused.output(), Catch::Contains("Operation not permitted") && !Catch::Contains("hello"));
}

TEST_CASE("advise seccomp --merge keeps an earlier profile's calls and rules, -o k8s is a SeccompProfile",
          "[advise]") {
  TempDir tmp("ctrace-merge");
  const fs::path& dir = tmp.path;
  json earlier = {{"defaultAction", "SCMP_ACT_ERRNO"},
                  {"syscalls",
                   {{{"names", {"reboot", "write"}}, {"action", "SCMP_ACT_ALLOW"}},
                    {{"names", {"personality"}},
                     {"action", "SCMP_ACT_ALLOW"},
                     {"args", {{{"index", 0}, {"value", 0}, {"op", "SCMP_CMP_EQ"}}}}}}}};
  auto file = write_profile(dir, "earlier.json", earlier);
  auto r = run({ctrace_bin(), "advise", "seccomp", "--merge", file.string(), "--", "/bin/true"});
  INFO(r.err);
  REQUIRE(r.code == 0);
  auto merged = json::parse(r.out);
  auto names = allowed(merged);
  CHECK(names.count("reboot") == 1);  // only the earlier run made it
  CHECK(names.count("execve") == 1);  // only this one
  REQUIRE(merged["syscalls"].size() == 2);
  CHECK(merged["syscalls"][1] == earlier["syscalls"][1]);  // a rule with args, as it was
  CHECK_THAT(r.err, Catch::Contains("(2 from " + file.string() + ")"));

  auto k = run({ctrace_bin(), "advise", "seccomp", "-o", "k8s", "--name", "Web_App", "--", "/bin/true"});
  INFO(k.err);
  REQUIRE(k.code == 0);
  auto obj = json::parse(k.out);
  CHECK(obj["apiVersion"] == "security-profiles-operator.x-k8s.io/v1beta1");
  CHECK(obj["kind"] == "SeccompProfile");
  CHECK(obj["metadata"]["name"] == "web-app");
  CHECK(obj["spec"]["defaultAction"] == "SCMP_ACT_ERRNO");
  CHECK(allowed(obj["spec"]).count("execve") == 1);
  CHECK(allowed(obj["spec"]).count("reboot") == 0);
}

TEST_CASE("advise caps of a command: what it was granted, as flags, k8s and JSON", "[advise]") {
  TempDir tmp("ctrace-caps");
  const fs::path f = tmp.path / "file";
  std::ofstream(f) << "x";
  // root chowning a file it owns to another user: CAP_CHOWN, nothing else of the command's own
  std::vector<std::string> cmd = {"chown", "1:1", f.string()};
  auto flags = run({ctrace_bin(), "advise", "caps", "--"});
  CHECK(flags.code == 2);  // -- needs a command
  std::vector<std::string> argv = {ctrace_bin(), "advise", "caps", "--"};
  argv.insert(argv.end(), cmd.begin(), cmd.end());
  auto r = run(argv);
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK(r.out == "--cap-drop ALL --cap-add CHOWN\n");
  CHECK(fs::status(f).permissions() != fs::perms::unknown);
  argv[3] = "-o";
  argv.insert(argv.begin() + 4, {"json", "--"});
  std::ofstream(f) << "x";
  REQUIRE(run({"chown", "0:0", f.string()}).code == 0);
  auto j = run(argv);
  REQUIRE(j.code == 0);
  auto doc = json::parse(j.out);
  CHECK(doc["add"] == json({"CHOWN"}));
  bool chown_row = false;
  for (const auto& row : doc["capabilities"])
    if (row["capability"] == "CHOWN") {
      chown_row = true;
      CHECK(row["granted"].get<int>() >= 1);
      CHECK(row["comms"] == json({"chown"}));
    }
  CHECK(chown_row);
}
