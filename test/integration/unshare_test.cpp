// ctrace unshare on the real kernel: namespace calls of processes in cgroups made here.
// Other tests may run BPF programs and create namespaces at the same time, so every
// assertion is on our own cgroup or pid.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "support.hpp"

using namespace ctrace::test;
using nlohmann::json;

namespace {

constexpr uint64_t kNewNs = 0x00020000, kNewUts = 0x04000000, kNewIpc = 0x08000000, kNewPid = 0x20000000,
                   kNewNet = 0x40000000;

// Every stdout line must be one JSON object; returns the "unshare" ones.
std::vector<json> parse_events(const std::string& out) {
  std::vector<json> events;
  size_t pos = 0;
  while (pos < out.size()) {
    size_t nl = out.find('\n', pos);
    std::string line = out.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? out.size() : nl + 1;
    INFO("line: " << line);
    json j;
    REQUIRE_NOTHROW(j = json::parse(line));
    REQUIRE(j.is_object());
    if (j.at("type") == "unshare") events.push_back(std::move(j));
  }
  return events;
}

std::vector<json> where(const std::vector<json>& events, const std::string& key, const json& value) {
  std::vector<json> out;
  for (const auto& e : events)
    if (e.at(key) == value) out.push_back(e);
  return out;
}

// A shell command held until go() so that it can be moved into a cgroup before it runs:
// `prefix sh -c 'SETUP; echo ready; read x; exec CMD'`; the pid stays CMD's after exec.
class Held {
 public:
  Held(const std::string& cmd, const std::vector<std::string>& prefix = {}, const std::string& setup = "true")
      : proc_([&] {
          std::vector<std::string> argv = prefix;
          argv.insert(argv.end(), {"sh", "-c", setup + " && echo ready && read x && exec " + cmd});
          return argv;
        }()) {
    if (!proc_.wait_for_stdout("ready"))
      throw std::runtime_error("held command did not start: " + proc_.err());
  }
  pid_t pid() const { return proc_.pid(); }
  void go() { proc_.write_stdin("go\n"); }
  int wait() { return proc_.wait(); }
  const std::string& err() const { return proc_.err(); }

 private:
  Process proc_;
};

// Runs `ctrace ARGS -o json` around `go` (which runs and reaps the workload), then stops it.
template <typename Go>
std::vector<json> trace_around(std::vector<std::string> args, Go go) {
  args.insert(args.end(), {"-o", "json"});
  auto ct = start_ctrace(args);
  go();
  ct->signal(SIGINT);
  int code = ct->wait();
  INFO("stderr: " << ct->err());
  REQUIRE(code == 0);
  return parse_events(ct->out());
}

std::vector<json> trace_held(const std::vector<std::string>& args, const TestCgroup& cg,
                             const std::string& cmd) {
  Held h(cmd);
  cg.add(h.pid());
  auto events = trace_around(args, [&] {
    h.go();
    INFO("command stderr: " << h.err());
    REQUIRE(h.wait() == 0);
  });
  return where(events, "pid", h.pid());
}

std::vector<json> trace_workload(const std::vector<std::string>& args, const TestCgroup& cg,
                                 const std::vector<std::string>& actions) {
  Workload w(actions);
  cg.add(w.pid());
  return trace_around(args, [&] {
    w.go();
    REQUIRE(w.wait() == 0);
  });
}

}  // namespace

TEST_CASE("unshare --uts --net true: one event with its flags, seen only through its cgroup", "[unshare]") {
  TestCgroup parent("ctrace-test-unshare");
  TestCgroup cg(parent, "mine"), other(parent, "other");
  const std::string cmd = "unshare --uts --net true";

  SECTION("no filter: seen") {
    auto mine = trace_held({"unshare"}, cg, cmd);
    REQUIRE(mine.size() == 1);
    const json& e = mine[0];
    CHECK(e.at("flags") == (kNewUts | kNewNet));
    CHECK(e.at("flags_names") == json::array({"CLONE_NEWUTS", "CLONE_NEWNET"}));
    CHECK(e.at("ret") == 0);
    CHECK(e.at("errno").is_null());
    CHECK(e.at("call") == "unshare");
    CHECK(e.at("comm") == "unshare");
    CHECK(e.at("tid") == e.at("pid"));
    CHECK(e.at("cgroup_id") == cg.id());
    CHECK(e.at("cgroup") == "/" + cg.relative());
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    CHECK(e.at("hostname") == host);
    CHECK(e.at("time").get<std::string>().size() == 20);
    CHECK(e.at("ts_ns").get<int64_t>() > 1700000000LL * 1000000000LL);
  }
  SECTION("a filter on another cgroup: nothing") {
    auto all = trace_around({"unshare", "-c", other.path().string()}, [&] {
      Held h(cmd);
      cg.add(h.pid());
      h.go();
      REQUIRE(h.wait() == 0);
    });
    CHECK(all.empty());
  }
  SECTION("a filter on its cgroup: exactly it, not the same call from outside") {
    Held outside(cmd);
    other.add(outside.pid());
    Held h(cmd);
    cg.add(h.pid());
    auto all = trace_around({"unshare", "-c", cg.path().string()}, [&] {
      outside.go();
      h.go();
      REQUIRE(outside.wait() == 0);
      REQUIRE(h.wait() == 0);
    });
    REQUIRE(all.size() == 1);
    CHECK(all[0].at("pid") == h.pid());
    CHECK(all[0].at("flags") == (kNewUts | kNewNet));
  }
}

TEST_CASE("failed unshare calls appear only with --all, with RET -1 and the errno name", "[unshare]") {
  TestCgroup cg("ctrace-test-unshare-fail");
  // 2 successful unshare(CLONE_NEWUTS), 3 with an invalid bit -> EINVAL
  const std::vector<std::string> actions{"unshare", "0x04000000", "2", "unshare", "0x1", "3"};
  const std::vector<std::string> args{"unshare", "-c", cg.path().string()};

  SECTION("default: successful calls only") {
    auto events = trace_workload(args, cg, actions);
    REQUIRE(events.size() == 2);
    for (const auto& e : events) {
      CHECK(e.at("ret") == 0);
      CHECK(e.at("flags") == kNewUts);
    }
  }
  SECTION("--all: the failures too") {
    auto a = args;
    a.push_back("--all");
    auto events = trace_workload(a, cg, actions);
    REQUIRE(events.size() == 5);
    auto failed = where(events, "ret", -1);
    REQUIRE(failed.size() == 3);
    for (const auto& e : failed) {
      CHECK(e.at("errno") == "EINVAL");
      CHECK(e.at("flags") == 1);
      CHECK(e.at("flags_names") == json::array({"0x1"}));
      CHECK(e.at("comm") == "ctrace_workload");
    }
    CHECK(where(events, "ret", 0).size() == 2);
  }
}

TEST_CASE("unshare(CLONE_NEWTIME) is decoded", "[unshare]") {
  TestCgroup cg("ctrace-test-unshare-time");
  auto events = trace_workload({"unshare", "-c", cg.path().string()}, cg, {"unshare", "0x80", "1"});
  REQUIRE(events.size() == 1);
  CHECK(events[0].at("flags_names") == json::array({"CLONE_NEWTIME"}));
}

TEST_CASE("setns: --setns sees nsenter -t PID -u true", "[unshare]") {
  TestCgroup cg("ctrace-test-unshare-setns");
  // its own namespace: $$ is the shell, whose pid nsenter keeps after exec
  const std::string cmd = "nsenter -t $$ -u true";

  SECTION("without --setns: nothing") {
    CHECK(trace_held({"unshare", "-c", cg.path().string()}, cg, cmd).empty());
  }
  SECTION("with --setns: exactly the one setns") {
    auto events = trace_held({"unshare", "--setns", "-c", cg.path().string()}, cg, cmd);
    REQUIRE(events.size() == 1);
    const json& e = events[0];
    CHECK(e.at("call") == "setns");
    CHECK(e.at("flags") == kNewUts);
    CHECK(e.at("flags_names") == json::array({"CLONE_NEWUTS"}));
    CHECK(e.at("fd_ns") == "uts");
    CHECK(e.at("ret") == 0);
    CHECK(e.at("comm") == "nsenter");
  }
}

TEST_CASE("clone: --clone sees clone and clone3 with CLONE_NEW* flags, and only those", "[unshare]") {
  TestCgroup cg("ctrace-test-unshare-clone");
  // 2 clone(CLONE_NEWPID), 1 clone3(CLONE_NEWNET|CLONE_NEWIPC), 4 plain forks
  const std::vector<std::string> actions{"clone", "0x20000000", "2", "clone3", "0x48000000",
                                         "1",     "clone",      "0", "4"};

  SECTION("without --clone: nothing") {
    CHECK(trace_workload({"unshare", "-c", cg.path().string()}, cg, actions).empty());
  }
  SECTION("with --clone: exactly the three") {
    auto events = trace_workload({"unshare", "--clone", "-c", cg.path().string()}, cg, actions);
    REQUIRE(events.size() == 3);
    auto clones = where(events, "call", "clone");
    REQUIRE(clones.size() == 2);
    for (const auto& e : clones) {
      CHECK(e.at("flags_names") == json::array({"CLONE_NEWPID", "SIGCHLD"}));
      CHECK(e.at("ret").get<int64_t>() > 0);  // the child's pid, reported by the parent only
      CHECK(e.at("tid") == e.at("pid"));
    }
    auto clone3 = where(events, "call", "clone3");
    REQUIRE(clone3.size() == 1);
    CHECK(clone3[0].at("flags") == (kNewIpc | kNewNet));
    CHECK(clone3[0].at("flags_names") == json::array({"CLONE_NEWIPC", "CLONE_NEWNET"}));
  }
  SECTION("unshare --fork --pid true: its unshare, and no clone (the fork has no CLONE_NEW*)") {
    auto events =
        trace_held({"unshare", "--clone", "-c", cg.path().string()}, cg, "unshare --fork --pid true");
    REQUIRE(events.size() == 1);
    CHECK(events[0].at("call") == "unshare");
    CHECK(events[0].at("flags") == kNewPid);
  }
}

TEST_CASE("unshare --any with -- CMD traces exactly the command's namespace calls", "[unshare]") {
  auto r = run({ctrace_bin(), "unshare", "--any", "--all", "-o", "json", "--", "unshare", "--mount", "--fork",
                "--pid", "true"});
  INFO("stderr: " << r.err);
  REQUIRE(r.code == 0);
  auto events = parse_events(r.out);
  REQUIRE(events.size() == 1);
  CHECK(events[0].at("flags") == (kNewNs | kNewPid));
  CHECK(events[0].at("comm") == "unshare");
}

TEST_CASE("unshare --show hostname shows the caller's hostname in text output", "[unshare]") {
  TestCgroup cg("ctrace-test-unshare-uts");
  // the first unshare (into a new UTS namespace) happens before tracing starts
  Held h("unshare --ipc true", {"unshare", "--uts"}, "hostname ctrace-uts-test");
  cg.add(h.pid());
  auto ct =
      start_ctrace({"unshare", "--show", "hostname", "--time-precision", "us", "-c", cg.path().string()});
  h.go();
  REQUIRE(h.wait() == 0);
  ct->signal(SIGINT);
  REQUIRE(ct->wait() == 0);
  INFO("stdout: " << ct->out());
  const std::string& out = ct->out();
  REQUIRE(out.rfind("TIME ", 0) == 0);
  CHECK(out.find("HOSTNAME") != std::string::npos);
  CHECK(out.find("CLONE_NEWIPC") != std::string::npos);
  CHECK(out.find("ctrace-uts-test") != std::string::npos);
  CHECK(std::count(out.begin(), out.end(), '\n') == 2);  // header + one event
}

TEST_CASE("ctrace unshare stops after -d", "[unshare]") {
  TestCgroup cg("ctrace-test-unshare-duration");
  auto r = run({ctrace_bin(), "unshare", "-d", "0.5", "-c", cg.path().string(), "-o", "json"});
  INFO("stderr: " << r.err);
  CHECK(r.code == 0);
  CHECK(parse_events(r.out).empty());
}

TEST_CASE("bad ctrace unshare input is a one-line usage error", "[unshare]") {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--time-precision", "xs"},
           {"--bogus"},
           {"-o", "graph"},
           {"-d", "0"},
           {"-c", "/nonexistent/ctrace-test"},
       }) {
    std::vector<std::string> argv{ctrace_bin(), "unshare"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = run(argv);
    INFO("args: " << args[0] << " stderr: " << r.err);
    CHECK(r.code == 2);
    CHECK(r.out.empty());
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  }
}
