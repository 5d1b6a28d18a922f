// Real Docker (Debian's docker.io, started by the tests when none runs: containers.hpp): ps names
// its containers from the engine's API, --container NAME traces exactly one of two, and exec,
// exit and signal name the container of every event, docker kill's SIGKILL from outside too.
#include <signal.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>

#include "containers.hpp"
#include "stream_support.hpp"

using namespace ctrace::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

bool runs(const json& e, const std::string& program) {
  return e.contains("args") && !e["args"].empty() && e["args"][0] == program;
}

}  // namespace

TEST_CASE("docker: ps lists a docker container by its name, runtime docker, cgroup /docker/ID",
          "[docker][ps]") {
  DockerContainer web(container_name("dk-ps"), {"sleep", "60"});
  auto r = run({ctrace_bin(), "ps", "-o", "json"});
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  size_t found = 0;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) {
    auto c = json::parse(line);
    if (c.value("id", "") != web.id()) continue;
    ++found;
    CHECK(c["name"] == web.name());
    CHECK(c["runtime"] == "docker");
    CHECK(c["cgroup"] == "/docker/" + web.id());
    CHECK(c["cgroup_id"] == web.cgroup_id());
  }
  CHECK(found == 1);
  CHECK(web.cgroup() == "/docker/" + web.id());
}

TEST_CASE("docker: exec --container NAME, exactly its execs, none of its sibling's", "[docker][exec]") {
  DockerContainer a(container_name("dk-exec-a"),
                    {"/bin/sh", "-c", "/bin/true one; /bin/echo two >/dev/null; exit 0"}, {.hold = true});
  DockerContainer b(container_name("dk-exec-b"), {"/bin/sh", "-c", "/bin/true other; exit 0"},
                    {.hold = true});
  auto run = stream_during(
      {"exec", "--container", a.name(), "--show", "container"},
      [&] {
        a.go();
        b.go();
        REQUIRE(a.wait_stopped());
        REQUIRE(b.wait_stopped());
      },
      "exec");
  INFO("stderr: " << run.err);
  REQUIRE(run.code == 0);
  CHECK(run.lost == 0);
  for (const auto& e : run.events) {
    CHECK(e["container"] == a.name());
    CHECK(e["cgroup_id"] == a.cgroup_id());
  }
  // the held shell's exec of the command (pid 1), then its two children
  auto cmd = where(run.events, [](const json& e) {
    return e["args"] == json({"/bin/sh", "-c", "/bin/true one; /bin/echo two >/dev/null; exit 0"});
  });
  REQUIRE(cmd.size() == 1);
  CHECK(cmd[0]["ns_pid"] == 1);
  auto t = where(run.events, [](const json& e) { return runs(e, "/bin/true"); });
  REQUIRE(t.size() == 1);
  CHECK(t[0]["args"] == json({"/bin/true", "one"}));
  CHECK(t[0]["ns_pid"] != 1);
  CHECK(where(run.events, [](const json& e) { return runs(e, "/bin/echo"); }).size() == 1);
  // b ran its /bin/true (it exited 0 after it) and is not here
  CHECK(b.exit_code() == 0);
  CHECK(a.exit_code() == 0);
}

TEST_CASE("docker: exit names the container whose init exits 3: container init", "[docker][exit]") {
  DockerContainer c(container_name("dk-exit"), {"/bin/sh", "-c", "/bin/true; exit 3"}, {.hold = true});
  auto run = stream_during(
      {"exit", "--container", c.name(), "--show", "container"},
      [&] {
        c.go();
        REQUIRE(c.wait_stopped());
      },
      "exit");
  INFO("stderr: " << run.err);
  REQUIRE(run.code == 0);
  CHECK(c.exit_code() == 3);
  auto init = where(run.events, [](const json& e) { return e["init"] == true; });
  REQUIRE(init.size() == 1);
  CHECK(init[0]["status"] == 3);
  CHECK(init[0]["ns_pid"] == 1);
  CHECK(init[0]["pid"] == c.pid());
  CHECK(init[0]["container"] == c.name());
  // the positive control of "init": its child /bin/true ended first, not as init
  auto t = where(run.events, [](const json& e) { return e["comm"] == "true"; });
  REQUIRE(t.size() == 1);
  CHECK(t[0]["init"] == false);
  CHECK(t[0]["container"] == c.name());
}

TEST_CASE("docker: docker kill is a SIGKILL into the container from outside it", "[docker][signal]") {
  DockerContainer c(container_name("dk-kill"), {"sleep", "60"});
  auto run = stream_during(
      {"signal", "--container", c.name(), "--show", "container", "--signal", "KILL"},
      [&] {
        auto r = ::ctrace::test::run(docker_cmd({"kill", c.name()}));
        REQUIRE(r.code == 0);
        REQUIRE(c.wait_stopped());
      },
      "signal");
  INFO("stderr: " << run.err);
  REQUIRE(run.code == 0);
  REQUIRE(run.events.size() == 1);
  const auto& e = run.events[0];
  CHECK(e["target_pid"] == c.pid());
  CHECK(e["target_ns_pid"] == 1);
  CHECK(e["target_container"] == c.name());
  CHECK(e["target_matched"] == true);
  CHECK(e["sender_matched"] == false);
  CHECK(e["sender_container"].is_null());  // runc, on the host
  CHECK(e["from_kernel"] == false);
  CHECK(c.exit_code() == 128 + SIGKILL);
}

TEST_CASE("docker: top lists an idle container, with zeros and its name", "[docker][top]") {
  // sleeps since before top started: no syscall of it is ever counted
  DockerContainer idle(container_name("dk-idle"), {"sleep", "60"});
  auto r = run({ctrace_bin(), "top", "-o", "json", "-i", "0.5", "-d", "1.2", "-c", "docker"});
  INFO(r.err);
  REQUIRE(r.code == 0);
  size_t rows = 0;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) {
    auto row = json::parse(line);
    if (row.value("id", "") != idle.id()) continue;
    ++rows;
    CHECK(row["container"] == idle.name());
    CHECK(row["runtime"] == "docker");
    CHECK(row["syscalls"] == 0);
    CHECK(row["exited"] == false);
  }
  CHECK(rows >= 2);  // a row in every interval
}

TEST_CASE("docker: stat --container follows docker restart from the runtime's first calls in it",
          "[docker][follow]") {
  DockerContainer c(container_name("dk-restart"), {"sleep", "60"});
  Process p({ctrace_bin(), "stat", "--container", c.name(), "-o", "json"});
  REQUIRE(p.wait_for_stderr("Collecting events"));
  auto r = run(docker_cmd({"restart", "-t", "0", c.name()}), std::chrono::seconds(120));
  INFO("docker restart: " << r.err);
  REQUIRE(r.code == 0);
  REQUIRE(p.wait_for_stderr("restarted: following cgroup"));
  p.signal(SIGINT);
  REQUIRE(p.wait() == 0);
  INFO("ctrace: " << p.err());
  auto count = syscall_counts(json::parse(p.out()));
  // runc's init in the new cgroup: its groups and capabilities, then the exec of `sleep 60`; the
  // old `sleep` made none of these (it slept until SIGKILL)
  CHECK(count["setgroups"] >= 1);
  CHECK(count["capset"] >= 1);
  CHECK(count["execve"] >= 1);
  CHECK(count["nanosleep"] + count["clock_nanosleep"] >= 1);  // the new sleep runs
}

TEST_CASE("docker: exec --container NAME follows rm -f and a new run under the same name",
          "[docker][follow]") {
  const std::string name = container_name("dk-rerun");
  auto first = std::make_unique<DockerContainer>(name, std::vector<std::string>{"sleep", "60"});
  const std::string first_id = first->id();
  Process p({ctrace_bin(), "exec", "--container", name, "-o", "json", "--show", "container"});
  REQUIRE(p.wait_for_stderr("Collecting events"));
  first.reset();  // docker rm -f
  REQUIRE(p.wait_for_stderr("waiting for container"));
  // the same name, a new id: found by its name once the engine answers, then its execs come
  DockerContainer second(name, {"/bin/sh", "-c", "/bin/true again"}, {.hold = true});
  CHECK(second.id() != first_id);
  REQUIRE(p.wait_for_stderr("restarted: following cgroup"));
  second.go();
  REQUIRE(second.wait_stopped());
  p.signal(SIGINT);
  REQUIRE(p.wait() == 0);
  INFO("ctrace: " << p.err());
  std::vector<json> events;
  std::istringstream in(p.out());
  for (std::string line; std::getline(in, line);) events.push_back(json::parse(line));
  CHECK(std::count_if(events.begin(), events.end(), [](const json& e) {
          return e["args"] == json({"/bin/true", "again"});
        }) == 1);
  // named once the resolver has the new cgroup (in the background: the first events may say null)
  for (const auto& e : events)
    if (!e["container"].is_null()) CHECK(e["container"] == name);
}

TEST_CASE("docker: names from config.v2.json under the default data root, the API out of reach",
          "[docker][names]") {
  DockerContainer c(container_name("dk-files"), {"sleep", "60"});
  const std::string root = docker_root_dir().string();
  // In a mount namespace of its own: /run/docker.sock is /dev/null (no API), and the engine's
  // data root is at /var/lib/docker (where a stock engine keeps it), or, for the control, nothing is.
  auto ps = [&](bool files) {
    return run({"unshare", "-m", "--propagation", "private", "sh", "-c",
                "set -e; mount --bind /dev/null /run/docker.sock\n"
                "if [ \"$1\" != /var/lib/docker ]; then\n"
                "  mount -t tmpfs ctrace-test /var/lib\n"
                "  if [ \"$2\" = yes ]; then mkdir /var/lib/docker; mount --bind \"$1\" /var/lib/docker; fi\n"
                "elif [ \"$2\" != yes ]; then mount -t tmpfs ctrace-test /var/lib/docker/containers; fi\n"
                "exec \"$3\" ps -o json",
                "sh", root, files ? "yes" : "no", ctrace_bin()});
  };
  auto row_of = [&](const Result& r) {
    INFO(r.out << r.err);
    REQUIRE(r.code == 0);
    for (const auto& row : json_lines(r.out))
      if (row.value("id", "") == c.id()) return row;
    FAIL("no row for " << c.id());
    return json();
  };
  json named = row_of(ps(true));
  CHECK(named["name"] == c.name());
  CHECK(named["runtime"] == "docker");
  CHECK(named["image"] == docker_image());
  // the control: neither the files nor the API, only the cgroup path's id
  json unnamed = row_of(ps(false));
  CHECK(unnamed["name"] == c.id().substr(0, 12));
  CHECK(unnamed["runtime"] == "docker");
}

TEST_CASE("docker: a running top shows docker rename's new name", "[docker][top][names]") {
  DockerContainer c(container_name("dk-old"), {"sleep", "60"});
  const std::string before = c.name(), after = container_name("dk-new");
  Process p({ctrace_bin(), "top", "-o", "json", "-i", "0.25", "-c", "docker"});
  REQUIRE(p.wait_for_stdout("\"" + before + "\""));
  c.rename(after);
  // looked at again within 10 s (and the API's answer): the next rows carry the new name
  REQUIRE(p.wait_for_stdout("\"" + after + "\"", std::chrono::seconds(40)));
  p.signal(SIGINT);
  REQUIRE(p.wait() == 0);
  std::vector<std::string> names;
  for (const auto& row : json_lines(p.out()))
    if (row.value("id", "") == c.id()) names.push_back(row["container"]);
  REQUIRE(!names.empty());
  CHECK(names.front() == before);
  CHECK(names.back() == after);
  // one change, never back, never the short id between them
  auto first_new = std::find(names.begin(), names.end(), after);
  CHECK(std::all_of(names.begin(), first_new, [&](const std::string& n) { return n == before; }));
  CHECK(std::all_of(first_new, names.end(), [&](const std::string& n) { return n == after; }));
}

TEST_CASE("docker: stat --container NAME counts what perf stat -G docker/ID counts, call by call",
          "[docker][stat][perf]") {
  // The seed's own check. The container blocks opening a fifo (a call begun before either tracer
  // attaches, which neither counts) until both are ready, then forks 30 cats that fail and 30
  // that succeed, and exits.
  DockerContainer c(container_name("dk-perf"), fifo_held("i=0; while [ $i -lt 30 ]; do cat /ctl/nope 2>/dev/null; "
                                                        "cat /ctl/fifo.txt >/dev/null; i=$((i+1)); done"));
  const fs::path ctl = c.ctl();
  std::ofstream(ctl / "fifo.txt") << "ctrace\n";
  REQUIRE(c.wait_fifo_blocked());
  Process stat({ctrace_bin(), "stat", "--container", c.name(), "-o", "json"});
  REQUIRE(stat.wait_for_stderr("Collecting events"));
  // perf counts from before it starts its command until the command ends (-a: every CPU)
  Process perf({"sh", "-c",
                "ulimit -n \"$(ulimit -Hn)\" && exec perf stat -a -x, -o \"$1/perf.csv\" -e 'syscalls:sys_enter_*' "
                "-G \"docker/$2\" -- sh -c 'touch \"$1/ready\"; while [ ! -e \"$1/done\" ]; do sleep 0.05; done' "
                "sh \"$1\"",
                "sh", ctl.string(), c.id()});
  REQUIRE(wait_until([&] { return fs::exists(ctl / "ready"); }, std::chrono::seconds(60)));
  c.release_fifo();
  REQUIRE(c.wait_stopped(std::chrono::seconds(60)));
  CHECK(c.exit_code() == 0);
  std::ofstream(ctl / "done") << "done\n";
  INFO("perf: " << perf.err());
  REQUIRE(perf.wait() == 0);
  stat.signal(SIGINT);
  REQUIRE(stat.wait() == 0);
  INFO("ctrace: " << stat.err());

  auto ours = syscall_counts(json::parse(stat.out()));
  std::map<std::string, uint64_t> theirs;
  std::ifstream csv(ctl / "perf.csv");
  const std::string prefix = "syscalls:sys_enter_";
  for (std::string line; std::getline(csv, line);) {
    auto at = line.find(prefix);
    if (at == std::string::npos || line[0] < '0' || line[0] > '9') continue;  // "<not counted>", comments
    std::string name = line.substr(at + prefix.size(), line.find(',', at) - at - prefix.size());
    if (name == "sendfile64") name = "sendfile";  // the kernel's SYSCALL_DEFINE name; x86_64's table says sendfile
    if (uint64_t n = std::stoull(line); n) theirs[name] = n;
  }
  INFO("perf.csv has " << theirs.size() << " syscalls, ctrace " << ours.size());
  CHECK(theirs["execve"] == 60);  // the workload ran inside perf's window
  CHECK(ours["execve"] == 60);
  // exit_group never returns: ctrace counts calls at their exit (docs/commands/stat.md)
  CHECK(theirs["exit_group"] == 61);
  CHECK(ours.count("exit_group") == 0);
  theirs.erase("exit_group");
  for (const auto& [name, n] : theirs) {
    INFO(name);
    CHECK(ours[name] == n);
  }
  for (const auto& [name, n] : ours) {
    INFO(name);
    CHECK(theirs[name] == n);
  }
}
