// ctrace stat on the real kernel: exact counts of workloads in cgroups made here.
#include <signal.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "support.hpp"

using namespace ctrace::test;
using nlohmann::json;

namespace {

const json* find_syscall(const json& doc, const std::string& name) {
  for (const auto& s : doc.at("syscalls"))
    if (s.at("name") == name) return &s;
  return nullptr;
}

uint64_t count_of(const json& doc, const std::string& name) {
  const json* s = find_syscall(doc, name);
  return s ? s->at("count").get<uint64_t>() : 0;
}

// Runs the workload in `cg` while `ctrace stat ARGS -o json` runs, stops ctrace with `sig`.
json stat_around(const std::vector<std::string>& args, const TestCgroup& cg,
                 const std::vector<std::string>& actions, int sig = SIGINT) {
  Workload w(actions);
  cg.add(w.pid());
  std::vector<std::string> a = args;
  a.insert(a.end(), {"-o", "json"});
  auto ct = start_ctrace(a);
  w.go();
  REQUIRE(w.wait() == 0);
  ct->signal(sig);
  REQUIRE(ct->wait() == 0);
  INFO("stderr: " << ct->err());
  return json::parse(ct->out());
}

}  // namespace

TEST_CASE("stat counts exactly the workload's getppid and failed openat calls", "[stat]") {
  TestCgroup cg("ctrace-test-stat");
  auto doc = stat_around({"stat", "-c", cg.path().string()}, cg,
                         {"getppid", "1000", "openat-fail", "37"});
  CHECK(count_of(doc, "getppid") == 1000);
  const json* openat = find_syscall(doc, "openat");
  REQUIRE(openat);
  CHECK(openat->at("errors") == 37);
  CHECK(openat->at("count") == 37);
  CHECK(doc.at("target").at("cgroup_id") == cg.id());
  CHECK(doc.at("lost") == 0);
}

TEST_CASE("stat does not count a sibling cgroup", "[stat]") {
  TestCgroup parent("ctrace-test-sib");
  TestCgroup a(parent, "a"), b(parent, "b");
  Workload other({"getppid", "5000"});
  b.add(other.pid());
  auto doc = [&] {
    Workload w({"getppid", "100"});
    a.add(w.pid());
    auto ct = start_ctrace({"stat", "-c", a.path().string(), "-o", "json"});
    w.go();
    other.go();
    REQUIRE(w.wait() == 0);
    REQUIRE(other.wait() == 0);
    ct->signal(SIGINT);
    REQUIRE(ct->wait() == 0);
    return json::parse(ct->out());
  }();
  CHECK(count_of(doc, "getppid") == 100);
}

// The cgroup filter walks up to a few ancestors with direct loads and asks the helper beyond
// that (common.bpf.h): check the subtree at depths on both sides of that limit, and --exact.
TEST_CASE("stat matches a cgroup's subtree at any depth, and only the cgroup with --exact",
          "[stat][filter]") {
  TestCgroup top("ctrace-test-depth");
  std::vector<std::unique_ptr<TestCgroup>> chain;  // top/d1/d2/.../d6
  for (int d = 1; d <= 6; ++d)
    chain.push_back(std::make_unique<TestCgroup>(d == 1 ? top : *chain.back(), "d" + std::to_string(d)));
  const std::string top_path = top.path().string();
  for (int depth : {0, 1, 4, 5, 6}) {
    const TestCgroup& cg = depth == 0 ? top : *chain[static_cast<size_t>(depth - 1)];
    INFO("workload " << depth << " levels below the target");
    CHECK(count_of(stat_around({"stat", "-c", top_path}, cg, {"getppid", "300"}), "getppid") == 300);
  }
  CHECK(count_of(stat_around({"stat", "--exact", "-c", top_path}, *chain[0], {"getppid", "300"}),
                 "getppid") == 0);
  CHECK(count_of(
            stat_around({"stat", "--exact", "-c", chain[0]->path().string()}, *chain[0], {"getppid", "300"}),
            "getppid") == 300);
  // a deeper target than the task's own cgroup: not in its subtree
  CHECK(count_of(stat_around({"stat", "-c", chain[1]->path().string()}, *chain[0], {"getppid", "300"}),
                 "getppid") == 0);
}
