// Real Docker (Debian's docker.io, started by the tests when none runs: containers.hpp): ps names
// its containers from the engine's API, --container NAME traces exactly one of two, and exec,
// exit and signal name the container of every event, docker kill's SIGKILL from outside too.
#include <signal.h>

#include <catch2/catch.hpp>

#include "containers.hpp"
#include "stream_support.hpp"

using namespace ctrace::test;
using nlohmann::json;

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
  std::map<std::string, uint64_t> count;
  const json stat = json::parse(p.out());  // kept: the loop below walks into it
  for (const auto& s : stat["syscalls"]) count[s["name"].get<std::string>()] = s["count"].get<uint64_t>();
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
