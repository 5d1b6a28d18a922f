// Regression tests of issue 12 on the real kernel: signals, `-- CMD`'s child and cgroup, the
// target cgroup going away, output that reaches a pipe in time.
#include <fmt/format.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "containers.hpp"
#include "support.hpp"

using namespace ctrace::test;
using Catch::Matchers::Contains;
using nlohmann::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

bool alive(pid_t pid) {
  // a zombie is dead for this purpose: its state is Z
  std::ifstream st(fmt::format("/proc/{}/stat", pid));
  std::string line;
  if (!st || !std::getline(st, line)) return false;
  auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] != 'Z';
}

// The pids in `ctrace-PID`, the cgroup ctrace PID made for its `-- CMD`.
std::vector<pid_t> procs_of_command_cgroup(pid_t ctrace_pid) {
  std::ifstream in(cgroup2_mount() / fmt::format("ctrace-{}", ctrace_pid) / "cgroup.procs");
  std::vector<pid_t> pids;
  for (pid_t p; in >> p;) pids.push_back(p);
  return pids;
}

uint64_t syscall_field(const json& doc, const std::string& name, const char* field) {
  for (const auto& s : doc.at("syscalls"))
    if (s.at("name") == name) return s.at(field).get<uint64_t>();
  return 0;
}

// A container command that fails to open `path` n times (openclose -x counts them).
std::vector<std::string> probe(const char* path, int n) {
  std::string cmd;
  for (int i = 0; i < n; ++i) cmd += fmt::format("cat {} 2>/dev/null; ", path);
  return std::vector<std::string>{"sh", "-c", cmd + "true"};
}

// openclose -x events on `path`: how many, each checked to come from cgroup `id`.
int probe_events(const std::string& out, const char* path, uint64_t id) {
  int n = 0;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    json e = json::parse(line);
    if (e.value("path", "") != path) continue;
    ++n;
    CHECK(e.at("cgroup_id") == id);
  }
  return n;
}

// The steps of one container restart, as its runtime does it.
struct RestartSteps {
  std::function<void(Process& ct)> first_run;  // releases the first run, returns at its end
  std::function<void()> stop;                  // the container's cgroup goes away
  std::function<uint64_t()> start;             // the container is back, held: its new cgroup id
  std::function<void()> second_run;            // releases the second run, returns at its end
};

struct Followed {
  std::unique_ptr<Process> ct;  // ended by SIGINT, exit 0
  uint64_t second_id = 0;
};

// The sequence of every follow test: ctrace `args` on container `name` (in cgroup `first_id`),
// the first run, the container gone ("was removed"), back in another cgroup and followed
// ("restarted: following cgroup ID" with the new id), the second run, Ctrl-C.
Followed follow_restart(const std::vector<std::string>& args, const std::string& name, uint64_t first_id,
                        const RestartSteps& steps) {
  Followed f;
  f.ct = start_ctrace(args);
  Process& ct = *f.ct;
  steps.first_run(ct);
  steps.stop();
  if (!ct.wait_for_stderr("was removed", 10s)) FAIL("no removal noticed; stderr: " << ct.err());
  f.second_id = steps.start();
  REQUIRE(f.second_id != first_id);
  if (!ct.wait_for_stderr(fmt::format("container {} restarted: following cgroup {}", name, f.second_id), 10s))
    FAIL("not followed to cgroup " << f.second_id << "; stderr: " << ct.err());
  steps.second_run();
  ct.signal(SIGINT);
  int code = ct.wait();
  INFO("stderr: " << ct.err());
  REQUIRE(code == 0);
  return f;
}

// A runc container deleted, then run again with the same id (`make_second`, kept in `second`).
RestartSteps runc_restart(std::unique_ptr<RuncContainer>& first, std::unique_ptr<RuncContainer>& second,
                          std::function<std::unique_ptr<RuncContainer>()> make_second) {
  return {.first_run =
              [&first](Process&) {
                first->go();
                REQUIRE(first->wait_stopped());
              },
          .stop = [&first] { first.reset(); },  // runc delete: the cgroup goes
          .start =
              [&second, make_second] {
                second = make_second();
                return second->cgroup_id();
              },
          .second_run =
              [&second] {
                second->go();
                REQUIRE(second->wait_stopped());
              }};
}

// A podman container's command: `sync` N times, N = first + step * (runs before this one), then
// "synced N" in its log. Nothing else in the container calls sync (runc init, sh, sleep do not).
std::vector<std::string> syncs(int first, int step) {
  return {"sh", "-c",
          fmt::format("echo run >>/tmp/runs; n=$(( {} + {} * ($(wc -l </tmp/runs) - 1) )); i=0; "
                      "while [ $i -lt $n ]; do sync; i=$((i + 1)); done; echo synced $n; exec sleep 1000",
                      first, step)};
}

bool wait_for_log(const PodmanContainer& c, const std::string& line) {
  return wait_until([&] { return c.output().find(line + "\n") != std::string::npos; }, 30s);
}

// `sync` calls in each complete `stat -i -o json` document of `out`.
std::vector<uint64_t> syncs_per_interval(const std::string& out) {
  std::vector<uint64_t> counts;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line) && !in.eof();)
    counts.push_back(syscall_field(json::parse(line), "sync", "count"));
  return counts;
}

uint64_t sum(const std::vector<uint64_t>& v, std::size_t from = 0) {
  uint64_t n = 0;
  for (std::size_t i = from; i < v.size(); ++i) n += v[i];
  return n;
}

// Reads ctrace's intervals until they hold `n` sync calls in all; the number of intervals read.
std::size_t wait_for_syncs(Process& ct, uint64_t n) {
  auto end = std::chrono::steady_clock::now() + 10s;
  while (sum(syncs_per_interval(ct.out())) < n && std::chrono::steady_clock::now() < end)
    ct.wait_for_stdout("\n\n", 100ms);  // never printed (one document a line): only reads
  return syncs_per_interval(ct.out()).size();
}

}  // namespace

TEST_CASE("SIGHUP ends a run like SIGTERM: summary, no child left, no cgroup left", "[hardening]") {
  auto ct = start_ctrace({"stat", "-o", "json", "--", "sleep", "1000"});
  fs::path cg = cgroup2_mount() / fmt::format("ctrace-{}", ct->pid());
  std::vector<pid_t> child;
  REQUIRE(wait_until([&] { return !(child = procs_of_command_cgroup(ct->pid())).empty(); }, 5s));
  REQUIRE(child.size() == 1);
  REQUIRE(alive(child[0]));  // positive control: the command runs in ctrace's cgroup
  ct->signal(SIGHUP);
  int code = ct->wait(20s);
  INFO("stderr: " << ct->err());
  CHECK(code == 128 + SIGTERM);  // sleep got the SIGTERM ctrace passes on
  json doc = json::parse(ct->out());
  CHECK(doc.at("type") == "stat");
  CHECK_FALSE(fs::exists(cg));
  CHECK(wait_until([&] { return !alive(child[0]); }, 2s));
}

TEST_CASE("SIGHUP: serve removes its socket and exits 0", "[hardening]") {
  std::string sock = fmt::format("/run/ctrace-hup-{}.sock", ::getpid());
  Process serve({ctrace_bin(), "serve", "--socket", sock});
  REQUIRE(wait_until([&] { return fs::exists(sock); }, 20s));
  serve.signal(SIGHUP);
  INFO("stderr: " << serve.err());
  CHECK(serve.wait(20s) == 0);
  CHECK_FALSE(fs::exists(sock));
}

TEST_CASE("SIGKILL of ctrace kills the -- CMD child, and the next run removes the stale cgroup", "[hardening]") {
  auto ct = start_ctrace({"stat", "--", "sleep", "1000"});
  pid_t ctrace_pid = ct->pid();
  fs::path cg = cgroup2_mount() / fmt::format("ctrace-{}", ctrace_pid);
  std::vector<pid_t> child;
  REQUIRE(wait_until([&] { return !(child = procs_of_command_cgroup(ctrace_pid)).empty(); }, 5s));
  REQUIRE(alive(child[0]));
  ct->signal(SIGKILL);
  ct->wait();
  CHECK(wait_until([&] { return !alive(child[0]); }, 5s));  // PR_SET_PDEATHSIG
  REQUIRE(fs::exists(cg));                                  // nobody was left to remove it
  auto next = run({ctrace_bin(), "-v", "stat", "--", "true"});
  INFO("stderr: " << next.err);
  CHECK(next.code == 0);
  CHECK_THAT(next.err,
             Contains(fmt::format("removed cgroup {} left by ctrace pid {}", cg.string(), ctrace_pid)));
  CHECK_FALSE(fs::exists(cg));
}

TEST_CASE("stat -- CMD resolves CMD along PATH before the child joins the cgroup", "[hardening]") {
  // Two PATH entries that do not hold the program: execvp in the child would try (and fail)
  // an execve in each, counted as the command's own.
  fs::path bin = fs::path(workload_bin()).parent_path();
  std::string path = "/nonexistent/ctrace-a:/nonexistent/ctrace-b:" + bin.string() + ":/usr/bin:/bin";
  auto r = run(
      {"env", "PATH=" + path, ctrace_bin(), "stat", "-o", "json", "--", "ctrace_workload", "getppid", "300"});
  INFO("stderr: " << r.err);
  REQUIRE(r.code == 0);
  json doc = json::parse(r.out);
  CHECK(syscall_field(doc, "execve", "count") == 1);
  CHECK(syscall_field(doc, "execve", "errors") == 0);
  CHECK(syscall_field(doc, "getppid", "count") == 300);  // positive control
}

TEST_CASE("stat -p of a process in the root cgroup is a usage error", "[hardening]") {
  // kthreadd (pid 2) lives in the root cgroup
  auto r = run({ctrace_bin(), "stat", "-p", "2", "-d", "1"});
  INFO("stderr: " << r.err);
  CHECK(r.code == 2);
  CHECK(r.out.empty());
  CHECK_THAT(r.err, Contains("process 2 is in the root cgroup"));
}

TEST_CASE("the target cgroup removed: said at once, summary printed, exit 0", "[hardening]") {
  auto cg = std::make_unique<TestCgroup>("ctrace-test-gone");
  std::string path = cg->path().string();
  Workload w({"getppid", "400"});
  cg->add(w.pid());
  auto ct = start_ctrace({"stat", "-o", "json", "-c", path});
  w.go();
  REQUIRE(w.wait() == 0);
  cg.reset();                // rmdir
  int code = ct->wait(10s);  // no signal: the removal ends the run
  INFO("stderr: " << ct->err());
  CHECK(code == 0);
  CHECK_THAT(ct->err(),
             Contains(fmt::format("target cgroup /{} was removed", fs::path(path).filename().string())));
  json doc = json::parse(ct->out());
  CHECK(syscall_field(doc, "getppid", "count") == 400);
}

TEST_CASE("stat --wait: the target cgroup removed and created again is followed", "[hardening]") {
  auto cg = std::make_unique<TestCgroup>("ctrace-test-wait");
  fs::path path = cg->path();
  uint64_t old_id = cg->id();
  Workload before({"getppid", "500"});
  cg->add(before.pid());
  auto ct = start_ctrace({"stat", "-o", "json", "--wait", "-c", path.string()});
  before.go();
  REQUIRE(before.wait() == 0);
  cg.reset();
  REQUIRE(ct->wait_for_stderr("was removed", 10s));
  cg = TestCgroup::at(path);
  REQUIRE(cg->id() != old_id);
  REQUIRE(ct->wait_for_stderr(fmt::format("following cgroup {}", cg->id()), 10s));
  Workload after({"getppid", "1000"});
  cg->add(after.pid());
  after.go();
  REQUIRE(after.wait() == 0);
  ct->signal(SIGINT);
  INFO("stderr: " << ct->err());
  REQUIRE(ct->wait() == 0);
  json doc = json::parse(ct->out());
  CHECK(syscall_field(doc, "getppid", "count") == 1500);  // both cgroups, nothing else
}

TEST_CASE("biograph piped: the first row reaches the pipe within one interval", "[hardening]") {
  TestCgroup cg("ctrace-test-biopipe");
  for (const char* format : {"text", "json"}) {
    auto ct = start_ctrace({"biograph", "-o", format, "-t", "300", "-c", cg.path().string()});
    auto t0 = std::chrono::steady_clock::now();
    // text: the header and a first row; json: a first object
    bool got = ct->wait_for_stdout(std::string(format) == "text" ? "Z " : "\"type\"", 1500ms);
    auto waited = std::chrono::steady_clock::now() - t0;
    INFO(format << " stdout: " << ct->out()
                << " waited ms: " << std::chrono::duration_cast<std::chrono::milliseconds>(waited).count());
    CHECK(got);
    ct->close_stdout();  // like `| head -1`: the next row ends it quietly
    CHECK(ct->wait(5s) == 0);
  }
}

TEST_CASE("openclose --container follows a restarted container (runc delete + run with the same id)", "[hardening]") {
  // The parent stays (as machine.slice or system.slice do): runc re-creates the container's
  // cgroup under it with a new id.
  TestCgroup parent("ctrace-restart");
  std::string name = container_name("restart");
  ContainerOptions opts{.cgroup = "/" + parent.relative() + "/" + name, .hold = true};
  auto first = std::make_unique<RuncContainer>(name, probe("/ctrace-probe-first", 3), opts);
  uint64_t first_id = first->cgroup_id();
  std::unique_ptr<RuncContainer> second;
  auto f =
      follow_restart({"openclose", "-x", "-o", "json", "--container", name}, name, first_id,
                     runc_restart(first, second, [&] {
                       return std::make_unique<RuncContainer>(name, probe("/ctrace-probe-second", 5), opts);
                     }));
  INFO("stderr: " << f.ct->err());
  CHECK(probe_events(f.ct->out(), "/ctrace-probe-first", first_id) == 3);  // the first container
  // and the same container after its restart, in its new cgroup
  CHECK(probe_events(f.ct->out(), "/ctrace-probe-second", f.second_id) == 5);
}

TEST_CASE("openclose --container follows a container restarted under another cgroup parent", "[hardening]") {
  // As `podman run --cgroup-parent` or a move to another slice: the second run's cgroup is
  // made under a parent that does not exist while the first runs (runc creates it), so no
  // watch on the first parent can see it.
  TestCgroup first_parent("ctrace-move-a");
  std::string name = container_name("moved");
  std::string second_parent = fmt::format("ctrace-test-move-b-{}", ::getpid());
  REQUIRE_FALSE(fs::exists(cgroup2_mount() / second_parent));
  auto first = std::make_unique<RuncContainer>(
      name, probe("/ctrace-probe-first", 3),
      ContainerOptions{.cgroup = "/" + first_parent.relative() + "/" + name, .hold = true});
  uint64_t first_id = first->cgroup_id();
  std::unique_ptr<RuncContainer> second;
  auto f = follow_restart({"openclose", "-x", "-o", "json", "--container", name}, name, first_id,
                          runc_restart(first, second, [&] {
                            return std::make_unique<RuncContainer>(
                                name, probe("/ctrace-probe-second", 5),
                                ContainerOptions{.cgroup = "/" + second_parent + "/" + name, .hold = true});
                          }));
  REQUIRE(fs::path(second->cgroup()).parent_path() == "/" + second_parent);
  INFO("stderr: " << f.ct->err());
  CHECK(probe_events(f.ct->out(), "/ctrace-probe-first", first_id) == 3);
  CHECK(probe_events(f.ct->out(), "/ctrace-probe-second", f.second_id) == 5);
}

TEST_CASE("stat -i 1 --container follows a podman restart: the intervals after it count the new cgroup",
          "[hardening][podman]") {
  // The reported defect: after `podman restart` the container has a new cgroup id and every
  // interval printed 0.
  std::string name = container_name("podrestart");
  PodmanContainer c(name, syncs(3, 2), {.hold = true});  // 3 syncs, then 5 after the restart
  uint64_t first_id = c.cgroup_id();
  std::size_t before = 0;  // intervals printed before the restart
  auto f = follow_restart({"stat", "-i", "1", "-o", "json", "--container", name}, name, first_id,
                          {.first_run =
                               [&](Process& ct) {
                                 c.go();
                                 REQUIRE(wait_for_log(c, "synced 3"));
                                 before = wait_for_syncs(ct, 3);  // printed before the restart begins
                               },
                           .stop = [&] { c.restart(); },  // podman restart: stop and start in one
                           .start = [&] { return c.cgroup_id(); },
                           .second_run =
                               [&] {
                                 c.go();
                                 REQUIRE(wait_for_log(c, "synced 5"));
                               }});
  INFO("stderr: " << f.ct->err() << "\nstdout: " << f.ct->out());
  CHECK(f.second_id == c.cgroup_id());
  CHECK(c.cgroup().find("libpod-" + c.id()) != std::string::npos);  // the same container
  auto counts = syncs_per_interval(f.ct->out());
  REQUIRE(counts.size() > before);
  CHECK(sum(counts) == 8);
  CHECK(sum(counts, before) == 5);  // 0 without the follow: the old cgroup is gone
  // each document names the cgroup it counted
  std::istringstream docs(f.ct->out());
  std::string line;
  REQUIRE(std::getline(docs, line));
  CHECK(json::parse(line).at("target").at("cgroup_id") == first_id);
  for (std::string next; std::getline(docs, next);) line = next;
  CHECK(json::parse(line).at("target").at("cgroup_id") == f.second_id);
}

TEST_CASE("stat -i 1 --container follows a podman container run again under another --cgroup-parent",
          "[hardening][podman]") {
  // podman rm, then run with the same name under a parent made by podman after the first is
  // gone: a new id and a new cgroup directory, found again by name.
  std::string name = container_name("podparent");
  std::string parent_a = fmt::format("/ctrace-test-podparent-a-{}", ::getpid());
  std::string parent_b = fmt::format("/ctrace-test-podparent-b-{}", ::getpid());
  REQUIRE_FALSE(fs::exists(cgroup2_mount() / fs::path(parent_b).relative_path()));
  auto first = std::make_unique<PodmanContainer>(name, syncs(3, 0),
                                                 ContainerOptions{.cgroup_parent = parent_a, .hold = true});
  std::string first_cgroup = first->cgroup();
  REQUIRE(fs::path(first_cgroup).parent_path() == parent_a);
  uint64_t first_id = first->cgroup_id();
  std::unique_ptr<PodmanContainer> second;
  std::size_t before = 0;
  auto f =
      follow_restart({"stat", "-i", "1", "-o", "json", "--container", name}, name, first_id,
                     {.first_run =
                          [&](Process& ct) {
                            first->go();
                            REQUIRE(wait_for_log(*first, "synced 3"));
                            before = wait_for_syncs(ct, 3);
                          },
                      .stop = [&] { first.reset(); },  // podman rm -f
                      .start =
                          [&] {
                            second = std::make_unique<PodmanContainer>(
                                name, syncs(5, 0), ContainerOptions{.cgroup_parent = parent_b, .hold = true});
                            return second->cgroup_id();
                          },
                      .second_run =
                          [&] {
                            second->go();
                            REQUIRE(wait_for_log(*second, "synced 5"));
                          }});
  INFO("stderr: " << f.ct->err() << "\nstdout: " << f.ct->out());
  CHECK(fs::path(second->cgroup()).parent_path() == parent_b);
  auto counts = syncs_per_interval(f.ct->out());
  REQUIRE(counts.size() > before);
  CHECK(sum(counts) == 8);
  CHECK(sum(counts, before) == 5);
}
