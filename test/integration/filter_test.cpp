// One filter matrix: every command that takes a target, against the same five targets, each run
// with a workload the target must show (exactly its calls) and one it must not, side by side:
//   no target          the workload's calls are there (among the host's)
//   subtree            -c PARENT: a workload in PARENT/child shows, one in another cgroup does not
//   --exact            -c PARENT --exact: one in PARENT shows, one in PARENT/child does not
//   --uts HOSTNAME     one in that UTS namespace shows, one in the host's (same cgroup) does not
//   non-matching       -c B: one in B shows, one in A does not
// A command counts a workload's calls by its pid; stat sums its target, so there the sum is
// exactly one workload's (the other adds as many when it leaks in).
#include <signal.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>
#include <algorithm>
#include <functional>
#include <sstream>

#include "stream_support.hpp"

using namespace ctrace::test;
using nlohmann::json;

namespace {

constexpr int kCalls = 6;

// What a command is asked and how its output is counted per workload.
struct Probe {
  std::string command;
  std::vector<std::string> args;                      // beyond the target (and -o json)
  std::function<std::vector<std::string>()> actions;  // each workload's calls: kCalls events
  // The events of `pid` in ctrace's stdout; stat: the target's sum (pid unused).
  std::function<size_t(const std::string& out, pid_t pid)> count;
  bool sums = false;  // stat
};

// JSON lines whose `key` is `value` and whose `id` is `id` (the pid or tid).
size_t lines_with(const std::string& out, const std::string& key, const std::string& value, const char* id,
                  pid_t pid) {
  auto lines = json_lines(out);
  return static_cast<size_t>(std::count_if(lines.begin(), lines.end(), [&](const json& j) {
    return j.value(key, "") == value && j.value(id, 0) == pid;
  }));
}

size_t events_of(const std::string& out, const std::string& type, pid_t pid) {
  return lines_with(out, "type", type, "pid", pid);
}

struct Target {
  std::string name;
  std::vector<std::string> args;
  const TestCgroup* shown_in;   // the cgroup of the workload that must show
  const TestCgroup* hidden_in;  // of the one that must not (null: none, the host's tasks are there)
  bool hostname = false;        // the shown workload in a UTS namespace of its own
};

struct Counts {
  size_t shown = 0, hidden = 0;
};

Counts run_probe(const Probe& p, const Target& t, const std::string& hostname) {
  std::vector<std::string> shown_actions = p.actions(), hidden_actions = p.actions();
  if (t.hostname) shown_actions.insert(shown_actions.begin(), {"--hostname", hostname});
  Workload shown(shown_actions);
  t.shown_in->add(shown.pid());
  std::unique_ptr<Workload> hidden;
  if (t.hidden_in) {
    hidden = std::make_unique<Workload>(hidden_actions);
    t.hidden_in->add(hidden->pid());
  }
  std::vector<std::string> args{p.command};
  args.insert(args.end(), p.args.begin(), p.args.end());
  args.insert(args.end(), t.args.begin(), t.args.end());
  args.insert(args.end(), {"-o", "json"});
  auto ct = start_ctrace(args);
  shown.go();
  if (hidden) hidden->go();
  REQUIRE(shown.wait() == 0);
  if (hidden) REQUIRE(hidden->wait() == 0);
  ct->signal(SIGINT);
  INFO("stderr: " << ct->err());
  REQUIRE(ct->wait() == 0);
  Counts c;
  c.shown = p.count(ct->out(), shown.pid());
  if (hidden && !p.sums) c.hidden = p.count(ct->out(), hidden->pid());  // stat: one sum, `shown`
  return c;
}

// The five targets, each run with its two workloads.
void check_matrix(const Probe& p) {
  TestCgroup parent("ctrace-test-filter-" + p.command);
  TestCgroup child(parent, "child"), a(parent, "a"), b(parent, "b");
  TestCgroup other("ctrace-test-filter-other-" + p.command);
  const std::string hostname = "ctrace-filter-" + std::to_string(::getpid());
  const std::vector<Target> targets{
      {"no target", {}, &a, nullptr},
      {"subtree", {"-c", parent.path().string()}, &child, &other},
      {"--exact", {"-c", parent.path().string(), "--exact"}, &parent, &child},
      {"--uts", {"--uts", hostname}, &a, &a, true},
      {"non-matching", {"-c", b.path().string()}, &b, &a},
  };
  for (const auto& t : targets) {
    INFO(p.command << " with " << t.name);
    Counts c = run_probe(p, t, hostname);
    if (!t.hidden_in && p.sums) {
      CHECK(c.shown >= static_cast<size_t>(kCalls));  // the whole host: whatever else called getppid too
    } else {
      CHECK(c.shown == static_cast<size_t>(kCalls));  // stat: not 2 * kCalls, the other is not in it
      CHECK(c.hidden == 0);
    }
  }
}

// How many calls of `name` a record -o json dump holds for `tid`.
size_t recorded(const std::string& out, const std::string& name, pid_t tid) {
  return lines_with(out, "name", name, "tid", tid);
}

std::vector<std::string> times(const std::string& action, const std::string& arg = "") {
  std::vector<std::string> a{action};
  if (!arg.empty()) a.push_back(arg);
  a.push_back(std::to_string(kCalls));
  return a;
}

}  // namespace

TEST_CASE("filter matrix: stat", "[filter][stat]") {
  check_matrix({"stat",
                {},
                [] { return times("getppid"); },
                [](const std::string& out, pid_t) -> size_t {
                  return syscall_counts(json::parse(out))["getppid"];
                },
                true});
}

TEST_CASE("filter matrix: openclose", "[filter][openclose]") {
  check_matrix({"openclose",
                {},
                [] { return times("openat-fail"); },
                [](const std::string& out, pid_t pid) { return events_of(out, "openclose", pid); }});
}

TEST_CASE("filter matrix: tcpconnect", "[filter][tcpconnect]") {
  LoopbackSocket refused(AF_INET, false);  // connects to it are refused at once
  check_matrix({"tcpconnect",
                {},
                [&] { return times("connect", refused.address()); },
                [](const std::string& out, pid_t pid) { return events_of(out, "tcpconnect", pid); }});
}

TEST_CASE("filter matrix: unshare", "[filter][unshare]") {
  check_matrix(
      {"unshare",
       {},
       [] { return times("unshare", "0x00020000"); },  // CLONE_NEWNS: the UTS namespace stays (--uts)
       [](const std::string& out, pid_t pid) { return events_of(out, "unshare", pid); }});
}

TEST_CASE("filter matrix: record", "[filter][record]") {
  check_matrix({"record",
                {"--syscalls", "getppid"},
                [] { return times("getppid"); },
                [](const std::string& out, pid_t pid) { return recorded(out, "getppid", pid); }});
}
