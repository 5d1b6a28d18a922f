// ctrace stat on the real kernel: exact counts of workloads in cgroups made here.
#include <fmt/format.h>
#include <signal.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "stream_support.hpp"

using namespace ctrace::test;
using Catch::Matchers::Contains;
using nlohmann::json;
namespace fs = std::filesystem;

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

// The row of `name` in a text table ("getppid  1000 ..."), split on spaces; empty if absent.
std::vector<std::string> text_row(const std::string& table, const std::string& name) {
  std::istringstream in(table);
  for (std::string line; std::getline(in, line);) {
    std::istringstream ls(line);
    std::vector<std::string> cells;
    for (std::string c; ls >> c;) cells.push_back(c);
    if (!cells.empty() && cells[0] == name) return cells;
  }
  return {};
}

// A random container id, 64 hex characters; unique enough that a 12-character prefix is only ours.
std::string random_container_id() {
  static std::mt19937_64 rng(std::random_device{}());
  std::string id;
  while (id.size() < 64) id += fmt::format("{:016x}", rng());
  return id;
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

TEST_CASE("stat counts a child cgroup by default, not with --exact", "[stat]") {
  TestCgroup parent("ctrace-test-exact");
  TestCgroup child(parent, "child");
  Workload w({"getppid", "300"});
  child.add(w.pid());
  auto subtree = start_ctrace({"stat", "-c", parent.path().string(), "-o", "json"});
  auto exact = start_ctrace({"stat", "-c", parent.path().string(), "--exact", "-o", "json"});
  auto exact_child = start_ctrace({"stat", "-c", child.relative(), "--exact", "-o", "json"});
  w.go();
  REQUIRE(w.wait() == 0);
  for (auto* ct : {subtree.get(), exact.get(), exact_child.get()}) {
    ct->signal(SIGINT);
    INFO("stderr: " << ct->err());
    REQUIRE(ct->wait() == 0);
  }
  json s = json::parse(subtree->out()), e = json::parse(exact->out()), c = json::parse(exact_child->out());
  CHECK(count_of(s, "getppid") == 300);
  CHECK(s.at("target").at("exact") == false);
  CHECK(count_of(e, "getppid") == 0);
  CHECK(e.at("total").at("count") == 0);
  CHECK(e.at("target").at("exact") == true);
  CHECK(count_of(c, "getppid") == 300);
  CHECK(c.at("target").at("cgroup_id") == child.id());
}

TEST_CASE("stat -p PID traces that process's cgroup", "[stat]") {
  TestCgroup cg("ctrace-test-pid");
  Workload w({"getppid", "250", "openat-fail", "5"});
  cg.add(w.pid());
  auto ct = start_ctrace({"stat", "-p", std::to_string(w.pid()), "-o", "json"});
  w.go();
  REQUIRE(w.wait() == 0);
  ct->signal(SIGINT);
  INFO("stderr: " << ct->err());
  REQUIRE(ct->wait() == 0);
  json doc = json::parse(ct->out());
  CHECK(count_of(doc, "getppid") == 250);
  CHECK(find_syscall(doc, "openat")->at("errors") == 5);
  CHECK(doc.at("target").at("cgroup_id") == cg.id());
  CHECK(doc.at("target").at("description") == fmt::format("pid {}", w.pid()));
}

TEST_CASE("stat --container finds runc-style cgroup directories by id prefix", "[stat]") {
  TestCgroup parent("ctrace-test-ctr");
  std::string containerd_id = random_container_id(), docker_id = random_container_id();
  TestCgroup containerd(parent, "cri-containerd-" + containerd_id + ".scope");
  TestCgroup docker(parent, "docker-" + docker_id + ".scope");
  Workload a({"getppid", "111"}), b({"getppid", "222"});
  containerd.add(a.pid());
  docker.add(b.pid());
  auto ct_a = start_ctrace({"stat", "--container", containerd_id.substr(0, 12), "-o", "json"});
  auto ct_b = start_ctrace({"stat", "--container", docker_id.substr(0, 12), "-o", "json"});
  a.go();
  b.go();
  REQUIRE(a.wait() == 0);
  REQUIRE(b.wait() == 0);
  for (auto* ct : {ct_a.get(), ct_b.get()}) {
    ct->signal(SIGINT);
    INFO("stderr: " << ct->err());
    REQUIRE(ct->wait() == 0);
  }
  json da = json::parse(ct_a->out()), db = json::parse(ct_b->out());
  CHECK(count_of(da, "getppid") == 111);
  CHECK(da.at("target").at("cgroup_id") == containerd.id());
  CHECK(da.at("target").at("description") == "container " + containerd_id);
  CHECK(count_of(db, "getppid") == 222);
  CHECK(db.at("target").at("cgroup_id") == docker.id());
}

TEST_CASE("stat -- CMD counts CMD, returns its exit status and removes its cgroup", "[stat]") {
  auto r = run({ctrace_bin(), "stat", "-o", "json", "--", workload_bin(), "--exit", "7", "getppid", "400",
                "openat-fail", "9"});
  INFO("stderr: " << r.err);
  CHECK(r.code == 7);
  json doc = json::parse(r.out);
  // the helper's own start-up (dynamic loader, libc) calls neither getppid nor failing openat
  CHECK(count_of(doc, "getppid") >= 400);
  CHECK(count_of(doc, "getppid") <= 402);
  CHECK(find_syscall(doc, "openat")->at("errors") >= 9);
  CHECK(find_syscall(doc, "openat")->at("errors") <= 12);
  std::string cgroup = doc.at("target").at("cgroup");
  CHECK(cgroup.rfind("/ctrace-", 0) == 0);
  CHECK_FALSE(fs::exists(cgroup2_mount() / cgroup.substr(1)));
}

TEST_CASE("stat -- CMD: CMD's output goes to stderr, stdout stays JSON", "[stat]") {
  auto r = run({ctrace_bin(), "stat", "-o", "json", "--", "sh", "-c", "echo from-cmd; echo more-from-cmd"});
  INFO("stdout: " << r.out << "stderr: " << r.err);
  CHECK(r.code == 0);
  CHECK(json_lines(r.out).size() == 1);
  CHECK_THAT(r.err, Contains("from-cmd\nmore-from-cmd\n"));
}

TEST_CASE("stat -- CMD: a command killed by a signal gives 128+N, a missing one 127", "[stat]") {
  auto killed = run({ctrace_bin(), "stat", "--", "sh", "-c", "kill -TERM $$"});
  INFO("stderr: " << killed.err);
  CHECK(killed.code == 128 + SIGTERM);
  CHECK_THAT(killed.out, Contains("ALL"));
  auto missing = run({ctrace_bin(), "stat", "--", "/nonexistent/ctrace-cmd"});
  INFO("stderr: " << missing.err);
  CHECK(missing.code == 127);
  CHECK_THAT(missing.err, Contains("cannot run /nonexistent/ctrace-cmd"));
}

TEST_CASE("stat -- CMD: Ctrl-C stops CMD, prints the table and removes the cgroup", "[stat]") {
  auto ct = start_ctrace({"stat", "-o", "json", "--", workload_bin(), "sleep-ms", "100000"});
  ct->signal(SIGINT);
  INFO("stderr: " << ct->err());
  int code = ct->wait();
  CHECK(code == 128 + SIGINT);  // the shell convention: CMD died of the SIGINT passed on to it
  json doc = json::parse(ct->out());
  CHECK(doc.at("type") == "stat");
  std::string cgroup = doc.at("target").at("cgroup");
  CHECK_FALSE(fs::exists(cgroup2_mount() / cgroup.substr(1)));
}

TEST_CASE("stat text and json give the same numbers for the same run", "[stat]") {
  TestCgroup cg("ctrace-test-textjson");
  Workload w({"getppid", "777", "openat-fail", "33"});
  cg.add(w.pid());
  auto text = start_ctrace({"stat", "-c", cg.path().string()});
  auto js = start_ctrace({"stat", "-c", cg.path().string(), "-o", "json"});
  w.go();
  REQUIRE(w.wait() == 0);
  for (auto* ct : {text.get(), js.get()}) {
    ct->signal(SIGINT);
    INFO("stderr: " << ct->err());
    REQUIRE(ct->wait() == 0);
  }
  json doc = json::parse(js->out());
  INFO("text:\n" << text->out());
  auto getppid = text_row(text->out(), "getppid");
  auto openat = text_row(text->out(), "openat");
  auto all = text_row(text->out(), "ALL");
  REQUIRE(getppid.size() == 6);
  REQUIRE(openat.size() == 6);
  REQUIRE(all.size() == 6);
  CHECK(getppid[1] == "777");
  CHECK(getppid[1] == std::to_string(count_of(doc, "getppid")));
  CHECK(openat[1] == std::to_string(find_syscall(doc, "openat")->at("count").get<uint64_t>()));
  CHECK(openat[5] == "33");
  CHECK(openat[5] == std::to_string(find_syscall(doc, "openat")->at("errors").get<uint64_t>()));
  CHECK(all[1] == std::to_string(doc.at("total").at("count").get<uint64_t>()));
  CHECK(all[5] == std::to_string(doc.at("total").at("errors").get<uint64_t>()));
}

TEST_CASE("stat prints the table on SIGINT and SIGTERM and unloads its programs", "[stat]") {
  for (int sig : {SIGINT, SIGTERM}) {
    DYNAMIC_SECTION("signal " << sig) {
      TestCgroup cg("ctrace-test-sig");
      Workload w({"getppid", "123"});
      cg.add(w.pid());
      auto ct = start_ctrace({"stat", "-c", cg.path().string()});
      auto progs = prog_ids_of(ct->pid());
      CHECK(progs.size() == 2);  // sys_enter and sys_exit
      w.go();
      REQUIRE(w.wait() == 0);
      ct->signal(sig);
      INFO("stderr: " << ct->err());
      CHECK(ct->wait() == 0);
      CHECK(text_row(ct->out(), "getppid").at(1) == "123");
      CHECK_THAT(ct->out(), Contains("ALL"));
      CHECK(still_loaded(progs).empty());
    }
  }
}

TEST_CASE("stat -o json | head -c 1 ends cleanly", "[stat]") {
  TestCgroup cg("ctrace-test-pipe");
  auto r = run({"sh", "-c",
                fmt::format("({} stat -o json -i 0.2 -c {}; echo \"ctrace-exit=$?\" >&2) | head -c 1",
                            ctrace_bin(), cg.path().string())});
  INFO("stderr: " << r.err);
  CHECK(r.code == 0);
  CHECK(r.out == "{");
  CHECK_THAT(r.err, Contains("ctrace-exit=0"));
  CHECK(r.err.find("error") == std::string::npos);
  CHECK(r.err.find("warning") == std::string::npos);
}

TEST_CASE("stat -i: one JSON document per interval, summing to the workload", "[stat]") {
  TestCgroup cg("ctrace-test-interval");
  Workload w({"getppid", "200", "sleep-ms", "400", "getppid", "300", "sleep-ms", "400", "getppid", "100"});
  cg.add(w.pid());
  auto ct = start_ctrace({"stat", "-c", cg.path().string(), "-o", "json", "-i", "0.2"});
  w.go();
  REQUIRE(w.wait() == 0);
  ct->signal(SIGINT);
  INFO("stderr: " << ct->err());
  REQUIRE(ct->wait() == 0);
  auto docs = json_lines(ct->out());
  CHECK(docs.size() >= 3);
  uint64_t getppid = 0, nanosleep = 0;
  int n = 0;
  for (const auto& d : docs) {
    CHECK(d.at("type") == "stat");
    CHECK(d.at("interval") == ++n);
    getppid += count_of(d, "getppid");
    nanosleep += count_of(d, "nanosleep");
  }
  CHECK(getppid == 600);
  CHECK(nanosleep == 800);
}

TEST_CASE("stat -L adds average and maximum latency", "[stat]") {
  TestCgroup cg("ctrace-test-latency");
  Workload w({"getppid", "100", "sleep-ms", "20"});
  cg.add(w.pid());
  auto ct = start_ctrace({"stat", "-c", cg.path().string(), "-L"});
  w.go();
  REQUIRE(w.wait() == 0);
  ct->signal(SIGINT);
  INFO("stderr: " << ct->err());
  REQUIRE(ct->wait() == 0);
  auto header = text_row(ct->out(), "SYSCALL");
  CHECK(header == std::vector<std::string>{"SYSCALL", "COUNT", "(%)", "ELAPSED(ms)", "(%)", "ERRORS",
                                           "AVG(us)", "MAX(us)"});
  auto sleep = text_row(ct->out(), "nanosleep");
  REQUIRE(sleep.size() == 8);
  CHECK(sleep[1] == "20");
  // a 1 ms sleep takes at least 1000 us
  CHECK(std::stod(sleep[6]) >= 1000.0);
  CHECK(std::stod(sleep[7]) >= std::stod(sleep[6]));
}

TEST_CASE("stat --histogram: buckets sum to the count", "[stat]") {
  TestCgroup cg("ctrace-test-hist");
  auto doc = stat_around({"stat", "-c", cg.path().string(), "--histogram", "getppid"}, cg,
                         {"getppid", "500", "sleep-ms", "3"});
  REQUIRE(doc.at("histograms").size() == 1);
  const json& h = doc.at("histograms")[0];
  CHECK(h.at("name") == "getppid");
  CHECK(h.at("unit") == "usecs");
  uint64_t sum = 0;
  for (const auto& b : h.at("buckets")) sum += b.at("count").get<uint64_t>();
  CHECK(sum == 500);
  CHECK(count_of(doc, "getppid") == 500);
}

TEST_CASE("stat -x counts only failed calls", "[stat]") {
  TestCgroup cg("ctrace-test-fail");
  auto doc =
      stat_around({"stat", "-c", cg.path().string(), "-x"}, cg, {"getppid", "300", "openat-fail", "41"});
  CHECK(count_of(doc, "getppid") == 0);
  CHECK(find_syscall(doc, "openat")->at("count") == 41);
  CHECK(find_syscall(doc, "openat")->at("errors") == 41);
  CHECK(doc.at("total").at("count") == doc.at("total").at("errors"));
}

TEST_CASE("stat does not count itself when it runs inside its target", "[stat]") {
  TestCgroup cg("ctrace-test-self");
  auto r = run({"sh", "-c",
                fmt::format("echo $$ > {}/cgroup.procs && exec {} stat -c {} -i 0.1 -d 0.5 -o json",
                            cg.path().string(), ctrace_bin(), cg.path().string())});
  INFO("stderr: " << r.err);
  REQUIRE(r.code == 0);
  auto docs = json_lines(r.out);
  CHECK(docs.size() >= 2);
  for (const auto& d : docs) CHECK(d.at("total").at("count") == 0);
}
