// serve --record-all --postmortem-dir on real Docker (containers.hpp starts a dockerd when none
// runs): every container recorded from its first call, one post-mortem per failure whose reason
// matches `docker inspect` and whose calls hold the workload's own last calls, none for a
// container that ends well (in the same run), one per death of a restart loop; and 200 cgroups
// of containers through a small budget: all recorded, the budget message once, nothing leaked.
// record --postmortem: the same post-mortem for one target, without the daemon.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "containers.hpp"
#include "ctrace/commands/serve_protocol.hpp"
#include "support.hpp"

using namespace ctrace::test;
using ctrace::commands::daemon_request;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// `ctrace serve --record-all` on a socket and a post-mortem directory of its own.
class RecordAll {
 public:
  explicit RecordAll(const std::string& tag, std::vector<std::string> extra = {})
      : sock_("/tmp/ctrace-test-" + tag + "-" + std::to_string(::getpid()) + ".sock"),
        dir_(fs::temp_directory_path() / ("ctrace-test-" + tag + "-" + std::to_string(::getpid()))) {
    fs::remove_all(dir_);
    std::vector<std::string> argv{ctrace_bin(), "serve",           "--socket", sock_, "--record-all",
                                  "--postmortem-dir", dir_.string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    proc_ = std::make_unique<Process>(argv);
    if (!proc_->wait_for_stderr("Recording every container"))
      throw std::runtime_error("serve --record-all did not start: " + proc_->err());
  }
  ~RecordAll() {
    proc_->signal(SIGTERM);
    proc_->wait();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  Process& process() { return *proc_; }
  const std::string& socket() const { return sock_; }

  // The post-mortems of container `name`, oldest first.
  std::vector<json> of(const std::string& name) const {
    std::vector<std::pair<fs::path, json>> found;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir_, ec)) {
      if (e.path().extension() != ".json") continue;
      std::ifstream in(e.path());
      auto j = json::parse(in, nullptr, false);
      if (!j.is_discarded() && j["container"]["name"] == name) found.emplace_back(e.path(), j);
    }
    std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.second["time"] < b.second["time"]; });
    std::vector<json> out;
    for (auto& f : found) out.push_back(std::move(f.second));
    return out;
  }

  json get(const std::string& target) const {
    auto r = daemon_request(sock_, "GET", target);
    if (r.status != 200) throw std::runtime_error(target + ": HTTP " + std::to_string(r.status) + " " + r.body);
    return json::parse(r.body);
  }

  // The trace serve adopted for container `name` in /list (null when none).
  json trace(const std::string& name) const {
    const json list = get("/list?format=json");  // held: a range-for over a temporary's ["traces"] dangles
    for (const auto& t : list["traces"])
      if (t["name"] == name) return t;
    return nullptr;
  }

 private:
  std::string sock_;
  fs::path dir_;
  std::unique_ptr<Process> proc_;
};

std::string inspect(const DockerContainer& c, const std::string& format) {
  auto r = run(docker_cmd({"inspect", "-f", format, c.name()}));
  std::string s = r.out;
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// Index of the first call in `calls` for which f holds, or -1.
template <typename F>
long find_call(const json& calls, F f) {
  for (size_t i = 0; i < calls.size(); ++i)
    if (f(calls[i])) return static_cast<long>(i);
  return -1;
}

bool has_arg(const json& call, const std::string& name, const json& value) {
  for (const auto& a : call["args"])
    if (a["name"] == name && (a.value("str", json()) == value || a["value"] == value)) return true;
  return false;
}

}  // namespace

TEST_CASE("serve --record-all writes one post-mortem per failed docker container and none for one that exits 0",
          "[docker][postmortem]") {
  docker_image();
  RecordAll daemon("pm");
  DockerContainer failed(container_name("pm-exit"), {"/bin/sh", "-c", "cat /ctrace-missing; exit 3"}, {.hold = true});
  DockerContainer fine(container_name("pm-ok"), {"/bin/sh", "-c", "cat /etc/passwd >/dev/null; exit 0"},
                       {.hold = true});
  DockerContainer segv(container_name("pm-segv"), {"/ctl/ctrace_segv_helper"}, {.hold = true});
  fs::copy_file(CTRACE_SEGV_HELPER_BIN, segv.ctl() / "ctrace_segv_helper");
  DockerContainer killed(container_name("pm-kill"), {"sleep", "600"});
  failed.go();
  fine.go();
  segv.go();
  REQUIRE(failed.wait_stopped());
  REQUIRE(fine.wait_stopped());
  REQUIRE(segv.wait_stopped());
  REQUIRE(run(docker_cmd({"kill", "-s", "KILL", killed.name()})).code == 0);
  REQUIRE(killed.wait_stopped());
  INFO("serve: " << daemon.process().err());
  REQUIRE(wait_until([&] {
    return daemon.of(failed.name()).size() == 1 && daemon.of(segv.name()).size() == 1 &&
           daemon.of(killed.name()).size() == 1;
  }, std::chrono::seconds(30)));

  // exit 3: docker says so; the failing openat with ENOENT comes before the init's exit_group(3)
  auto pm = daemon.of(failed.name()).at(0);
  CHECK(failed.exit_code() == 3);
  CHECK(pm["reason"] == "exit");
  CHECK(pm["cause"]["exit_code"] == 3);
  CHECK(pm["cause"]["task"]["init"] == true);
  CHECK(pm["container"]["id"] == failed.id());
  CHECK(pm["container"]["runtime"] == "docker");
  const json& calls = pm["calls"];
  long open = find_call(calls, [](const json& c) {
    return c["name"] == "openat" && has_arg(c, "filename", "/ctrace-missing") && c["errno"] == "ENOENT";
  });
  long exit = find_call(calls, [&](const json& c) {
    return c["name"] == "exit_group" && c["pid"] == pm["cause"]["task"]["pid"] && has_arg(c, "error_code", 3);
  });
  CHECK(open >= 0);
  CHECK(exit > open);
  // the dying task's own last call is its exit_group(3)
  REQUIRE(!pm["task_calls"].empty());
  CHECK(pm["task_calls"].back()["name"] == "exit_group");
  bool counted = false;
  for (const auto& e : pm["errors_last_10s"])
    counted |= e["syscall"] == "openat" && e["errno"] == "ENOENT" && e["count"] >= 1;
  CHECK(counted);
  bool exec_seen = false;
  for (const auto& e : pm["execs"]) exec_seen |= has_arg(e, "filename", "/bin/sh");
  CHECK(exec_seen);

  // SIGSEGV: a fault, docker's 128 + 11
  pm = daemon.of(segv.name()).at(0);
  CHECK(segv.exit_code() == 128 + SIGSEGV);
  CHECK(pm["reason"] == "signal");
  CHECK(pm["cause"]["signal"] == "SIGSEGV");
  CHECK(pm["cause"]["sender"]["fault"] == true);
  CHECK(pm["summary"].get<std::string>().find("fault") != std::string::npos);

  // docker kill -s KILL: sent by the runtime, named
  pm = daemon.of(killed.name()).at(0);
  CHECK(killed.exit_code() == 128 + SIGKILL);
  CHECK(pm["reason"] == "signal");
  CHECK(pm["cause"]["signal"] == "SIGKILL");
  CHECK(pm["cause"]["sender"]["kernel"] == false);
  CHECK(pm["cause"]["sender"]["pid"] > 0);
  CHECK(!pm["cause"]["sender"]["comm"].get<std::string>().empty());
  CHECK(inspect(killed, "{{.State.OOMKilled}}") == "false");

  // the container that exited 0 was recorded (the positive control) and left nothing
  CHECK(fine.exit_code() == 0);
  json t = daemon.trace(fine.name());
  INFO("list: " << daemon.get("/list?format=json").dump());
  REQUIRE(t.is_object());
  CHECK(t["recorded"] > 0);
  std::this_thread::sleep_for(std::chrono::seconds(1));  // past the settling of any late event
  CHECK(daemon.of(fine.name()).empty());
  CHECK(daemon.of(failed.name()).size() == 1);
  CHECK(daemon.of(killed.name()).size() == 1);

  // the HTTP routes, ctl's text and the metric
  auto list = daemon.get("/postmortems")["postmortems"];
  CHECK(list.size() == 3);
  auto text = run({ctrace_bin(), "ctl", "--socket", daemon.socket(), "postmortem", failed.name()});
  CHECK(text.code == 0);
  CHECK(text.out.find("init exited with 3") != std::string::npos);
  CHECK(text.out.find("\"/ctrace-missing\"") != std::string::npos);
  auto table = run({ctrace_bin(), "ctl", "--socket", daemon.socket(), "postmortems"});
  CHECK(table.code == 0);
  CHECK(table.out.find(segv.name()) != std::string::npos);
  auto metrics = daemon_request(daemon.socket(), "GET", "/metrics").body;
  CHECK(metrics.find("ctrace_postmortems_total{container=\"" + failed.name() + "\",reason=\"exit\"} 1") !=
        std::string::npos);
  CHECK(metrics.find("ctrace_postmortems_total{container=\"" + segv.name() + "\",reason=\"signal\"} 1") !=
        std::string::npos);
  CHECK(metrics.find("container=\"" + fine.name() + "\"") == std::string::npos);
  // one warning line per failure on stderr
  CHECK(daemon.process().wait_for_stderr("died: init exited with 3"));
  CHECK(daemon.process().err().find("container " + failed.name() + " (docker " + failed.id().substr(0, 12) +
                                    ") died: init exited with 3") != std::string::npos);
}

TEST_CASE("serve --record-all: an OOM kill is the reason, and a restart loop leaves one post-mortem per death",
          "[docker][postmortem]") {
  docker_image();
  RecordAll daemon("pm-oom");
  DockerContainer oom(container_name("pm-oom"), {"/ctl/ctrace_oom_helper", "512"},
                      {.hold = true, .run_args = {"-m", "32m", "--memory-swap", "32m"}});
  fs::copy_file(CTRACE_OOM_HELPER_BIN, oom.ctl() / "ctrace_oom_helper");
  DockerContainer loop(container_name("pm-loop"), {"/bin/sh", "-c", "exit 4"},
                       {.hold = true, .run_args = {"--restart", "on-failure:3"}});
  oom.go();
  loop.go();
  REQUIRE(oom.wait_stopped());
  REQUIRE(wait_until([&] {
    return inspect(loop, "{{.RestartCount}} {{.State.Status}}") == "3 exited";
  }, std::chrono::seconds(60)));
  INFO("serve: " << daemon.process().err());
  REQUIRE(wait_until([&] { return daemon.of(oom.name()).size() == 1 && daemon.of(loop.name()).size() == 4; },
                           std::chrono::seconds(30)));
  std::this_thread::sleep_for(std::chrono::seconds(1));

  auto pm = daemon.of(oom.name());
  REQUIRE(pm.size() == 1);
  CHECK(inspect(oom, "{{.State.OOMKilled}}") == "true");
  CHECK(pm[0]["reason"] == "oom");
  CHECK(pm[0]["cause"]["oom"]["memcg_limit_bytes"] == 32ULL << 20);
  CHECK(pm[0]["cause"]["oom"]["cgroup_limit"] == true);
  // the victim's SIGKILL is in the same post-mortem, not one of its own
  bool killed = false;
  for (const auto& e : pm[0]["events"]) killed |= e.value("signal", "") == "SIGKILL";
  CHECK(killed);

  // the first run and its 3 restarts: 4 deaths, 4 files, each exit 4 (docker's ExitCode)
  auto deaths = daemon.of(loop.name());
  CHECK(deaths.size() == 4);
  CHECK(loop.exit_code() == 4);
  for (const auto& d : deaths) {
    CHECK(d["reason"] == "exit");
    CHECK(d["cause"]["exit_code"] == 4);
  }
  // each death is a run of its own: its own cgroup, and its own init
  std::set<uint64_t> cgroups;
  std::set<int> pids;
  for (const auto& d : deaths) {
    cgroups.insert(d["container"]["cgroup_id"].get<uint64_t>());
    pids.insert(d["cause"]["task"]["pid"].get<int>());
  }
  CHECK(cgroups.size() == 4);
  CHECK(pids.size() == 4);
}

TEST_CASE("serve --record-all: 200 cgroups of containers in a budget of 16 regions, the budget message once",
          "[postmortem][budget]") {
  // 64K regions in a 1M budget: 16 at once. Cgroups named as docker's systemd driver names them
  // (docker-ID.scope): containers by their path, each runs one process with exact calls.
  RecordAll daemon("pm-budget", {"--record-budget", "1M", "--record-size", "64K"});
  auto maps = [&] {  // the BPF maps the daemon holds open
    size_t n = 0;
    std::error_code ec;
    for (const auto& fd : fs::directory_iterator("/proc/" + std::to_string(daemon.process().pid()) + "/fd", ec))
      n += fs::read_symlink(fd.path(), ec).string() == "anon_inode:bpf-map";
    return n;
  };
  const size_t maps_before = maps();
  REQUIRE(maps_before > 0);
  TestCgroup parent("ctrace-test-pm-budget");
  auto id = [](int i) {
    char buf[65];
    std::snprintf(buf, sizeof buf, "%08x%056x", 0xc7ace000 + i, 0);
    return std::string(buf);
  };
  // one after another: each recorded while it lives, its region reused after it goes
  for (int i = 0; i < 200; ++i) {
    TestCgroup cg(parent, "docker-" + id(i) + ".scope");
    Workload w({"getppid", "7"});
    cg.add(w.pid());
    w.go();
    REQUIRE(w.wait() == 0);
    if (i % 50 == 49) {
      // the trace of this one holds exactly its 7 getppid calls (enter and exit each)
      std::string name = id(i).substr(0, 12);
      INFO("list: " << daemon.get("/list?format=json").dump());
      REQUIRE(wait_until([&] { return daemon.trace(name).is_object(); }, std::chrono::seconds(30)));
      auto dump = daemon_request(daemon.socket(), "GET", "/dump?name=" + name + "&format=json").body;
      size_t getppid = 0;
      std::istringstream in(dump);
      for (std::string line; std::getline(in, line);) {
        auto j = json::parse(line);
        getppid += j.value("name", "") == "getppid" && j["pid"] == w.pid();
      }
      CHECK(getppid == 7);
    }
  }
  INFO("serve: " << daemon.process().err());
  CHECK(daemon.process().err().find("recording budget full") == std::string::npos);  // not yet
  // 20 alive at once: 4 find no region; the message comes once
  std::vector<std::unique_ptr<TestCgroup>> alive;
  for (int i = 0; i < 20; ++i) alive.push_back(std::make_unique<TestCgroup>(parent, "docker-" + id(1000 + i) + ".scope"));
  REQUIRE(daemon.process().wait_for_stderr("recording budget full"));
  // a second message would come at once: the 4 cgroups without a region were made together
  daemon.process().wait_for_stderr("ctrace-never-printed", std::chrono::seconds(1));
  const auto& err = daemon.process().err();
  size_t first = err.find("recording budget full");
  CHECK(err.find("recording budget full", first + 1) == std::string::npos);
  auto metrics = daemon_request(daemon.socket(), "GET", "/metrics").body;
  CHECK(metrics.find("ctrace_record_budget_full_total ") != std::string::npos);
  CHECK(metrics.find("ctrace_record_budget_full_total 0") == std::string::npos);
  alive.clear();
  // no map made per container: the same maps before and after
  CHECK(maps() == maps_before);
}

TEST_CASE("serve --record-all: a post-mortem is complete while HTTP clients keep the daemon dumping another",
          "[postmortem]") {
  RecordAll daemon("pm-busy", {"--record-budget", "64M", "--record-size", "16M"});
  TestCgroup parent("ctrace-test-pm-busy");
  const std::string busy_id = "b05ee000" + std::string(56, '0'), failing_id = "fa11ed00" + std::string(56, '0');
  TestCgroup busy_cg(parent, "docker-" + busy_id + ".scope");
  TestCgroup failing_cg(parent, "docker-" + failing_id + ".scope");
  // the busy container fills its 16M region (25,000 slots) with 400,000 events
  Workload w({"getppid", "200000"});
  busy_cg.add(w.pid());
  w.go();
  REQUIRE(w.wait() == 0);
  const std::string busy = busy_id.substr(0, 12), failing = failing_id.substr(0, 12);
  REQUIRE(wait_until([&] { return daemon.trace(busy).is_object(); }, std::chrono::seconds(30)));

  // two clients dump it without a pause
  std::atomic<bool> stop{false};
  std::atomic<int> dumps{0}, bad{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < 2; ++i)
    clients.emplace_back([&] {
      while (!stop) {
        auto r = daemon_request(daemon.socket(), "GET", "/dump?name=" + busy + "&format=json");
        (r.status == 200 && r.body.size() > 1000000 ? dumps : bad)++;
      }
    });
  REQUIRE(wait_until([&] { return dumps >= 2; }, std::chrono::seconds(60)));

  // meanwhile the other one fails: a failing openat in a child, then a SIGSEGV of its own
  Process crash({"sh", "-c", "echo $$ > " + (failing_cg.path() / "cgroup.procs").string() +
                                 "; cat /ctrace-missing-busy; exec " CTRACE_SEGV_HELPER_BIN});
  crash.wait();
  INFO("serve: " << daemon.process().err());
  bool written = wait_until([&] { return daemon.of(failing).size() == 1; }, std::chrono::seconds(30));
  const int dumps_meanwhile = dumps;
  stop = true;
  for (auto& t : clients) t.join();
  REQUIRE(written);
  CHECK(bad == 0);
  CHECK(dumps_meanwhile >= 2);

  json pm = daemon.of(failing).at(0);
  CHECK(pm["reason"] == "signal");
  CHECK(pm["cause"]["signal"] == "SIGSEGV");
  CHECK(pm["cause"]["sender"]["fault"] == true);
  long open = find_call(pm["calls"], [](const json& c) {
    return c["name"] == "openat" && has_arg(c, "filename", "/ctrace-missing-busy") && c["errno"] == "ENOENT";
  });
  long exec = find_call(pm["calls"], [](const json& c) {
    return c["name"] == "execve" && has_arg(c, "filename", CTRACE_SEGV_HELPER_BIN);
  });
  CHECK(open >= 0);
  CHECK(exec > open);
  // the dying task's calls (from the write that moved sh into the cgroup) hold its exec
  CHECK(find_call(pm["task_calls"], [](const json& c) { return c["name"] == "execve"; }) >= 0);
  CHECK(pm["recorder"]["torn"] == 0);
}

namespace {

// `ctrace record --postmortem FILE ARGS...`: its result, and the file's text (nullopt: none).
struct RecordRun {
  Result result;
  std::optional<std::string> file;
};

RecordRun record_postmortem(const std::string& tag, std::vector<std::string> args) {
  fs::path file = fs::temp_directory_path() / ("ctrace-test-" + tag + "-" + std::to_string(::getpid()));
  fs::remove(file);
  std::vector<std::string> argv{ctrace_bin(), "record", "--postmortem", file.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  RecordRun r{run(argv), std::nullopt};
  if (std::ifstream in(file); in) r.file = std::string(std::istreambuf_iterator<char>(in), {});
  fs::remove(file);
  return r;
}

}  // namespace

TEST_CASE("record --postmortem -- CMD: a failure is written down with its reason, an exit 0 leaves nothing",
          "[record][postmortem]") {
  // exit 3 after a failing openat: the JSON document
  auto failed = record_postmortem("pm-rec-exit", {"-o", "json", "--", "sh", "-c", "cat /ctrace-missing; exit 3"});
  INFO("stderr: " << failed.result.err);
  CHECK(failed.result.code == 3);
  REQUIRE(failed.file);
  json pm = json::parse(*failed.file);
  CHECK(pm["reason"] == "exit");
  CHECK(pm["cause"]["exit_code"] == 3);
  CHECK(pm["cause"]["task"]["init"] == true);
  long open = find_call(pm["calls"], [](const json& c) {
    return c["name"] == "openat" && has_arg(c, "filename", "/ctrace-missing") && c["errno"] == "ENOENT";
  });
  long exit = find_call(pm["calls"], [&](const json& c) {
    return c["name"] == "exit_group" && c["pid"] == pm["cause"]["task"]["pid"] && has_arg(c, "error_code", 3);
  });
  CHECK(open >= 0);
  CHECK(exit > open);
  REQUIRE(!pm["task_calls"].empty());
  CHECK(pm["task_calls"].back()["name"] == "exit_group");
  CHECK(failed.result.err.find("failed: init exited with 3") != std::string::npos);
  CHECK(failed.result.out.empty());  // the run ended by itself: no dump on stdout

  // a fault, in text (record's default -o)
  auto segv = record_postmortem("pm-rec-segv", {"--", CTRACE_SEGV_HELPER_BIN});
  INFO("stderr: " << segv.result.err);
  CHECK(segv.result.code == 128 + SIGSEGV);
  REQUIRE(segv.file);
  CHECK(segv.file->find("killed by SIGSEGV") != std::string::npos);
  CHECK(segv.file->find(", fault)") != std::string::npos);
  CHECK(segv.file->find("# the last calls of pid ") != std::string::npos);

  // the same run, ending well: nothing written (the two above are the positive control)
  auto fine = record_postmortem("pm-rec-ok", {"--", "sh", "-c", "cat /etc/passwd >/dev/null"});
  INFO("stderr: " << fine.result.err);
  CHECK(fine.result.code == 0);
  CHECK(!fine.file);
  CHECK(fine.result.err.find("ended well: no post-mortem") != std::string::npos);

  // bad input: exit 2, one line
  auto filtered = record_postmortem("pm-rec-usage", {"--syscalls", "read", "--", "true"});
  CHECK(filtered.result.code == 2);
  CHECK(filtered.result.err.find("--postmortem records every syscall") != std::string::npos);
  auto nowhere = run({ctrace_bin(), "record", "--postmortem", "/ctrace-no-such-dir/pm.json", "--", "true"});
  CHECK(nowhere.code == 2);
  CHECK(nowhere.err.find("is not a directory") != std::string::npos);
}

TEST_CASE("record --postmortem -c CGROUP: a SIGKILL from outside names its sender, a SIGTERM honoured leaves nothing",
          "[record][postmortem]") {
  {
    // SIGTERM, the stop someone asked for: no failure (the SIGKILL below is the positive control)
    TestCgroup cg("ctrace-test-pm-term");
    Process sleeper({"sleep", "600"});
    cg.add(sleeper.pid());
    fs::path file = fs::temp_directory_path() / ("ctrace-test-pm-term-" + std::to_string(::getpid()) + ".json");
    fs::remove(file);
    Process ct({ctrace_bin(), "record", "--postmortem", file.string(), "-c", cg.relative()});
    REQUIRE(ct.wait_for_stderr("Collecting events"));
    sleeper.signal(SIGTERM);
    sleeper.wait();
    CHECK(ct.wait() == 0);
    INFO("stderr: " << ct.err());
    CHECK(!fs::exists(file));
    CHECK(ct.err().find("ended well: no post-mortem") != std::string::npos);
    CHECK(ct.out().empty());
  }
  TestCgroup cg("ctrace-test-pm-kill");
  Process sleeper({"sleep", "600"});
  cg.add(sleeper.pid());
  fs::path file = fs::temp_directory_path() / ("ctrace-test-pm-kill-" + std::to_string(::getpid()) + ".json");
  fs::remove(file);
  Process ct({ctrace_bin(), "record", "--postmortem", file.string(), "-o", "json", "-c", cg.relative()});
  REQUIRE(ct.wait_for_stderr("Collecting events"));
  sleeper.signal(SIGKILL);
  sleeper.wait();
  CHECK(ct.wait() == 0);  // the cgroup is empty: the run ends by itself
  INFO("stderr: " << ct.err());
  std::ifstream in(file);
  REQUIRE(in);
  json pm = json::parse(in);
  fs::remove(file);
  CHECK(pm["reason"] == "signal");
  CHECK(pm["cause"]["signal"] == "SIGKILL");
  CHECK(pm["cause"]["task"]["pid"] == sleeper.pid());
  CHECK(pm["cause"]["sender"]["kernel"] == false);
  CHECK(pm["cause"]["sender"]["pid"] == ::getpid());
  CHECK(pm["container"]["cgroup_id"] == cg.id());
}
