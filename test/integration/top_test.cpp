// ctrace top on the real kernel: workloads of known rates and exact counts in cgroups made
// here, ranked and counted per cgroup; a short-lived cgroup; the terminal in a real pty.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "containers.hpp"
#include "support.hpp"

using namespace ctrace::test;
using Catch::Matchers::Contains;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// The "type":"top" records of an NDJSON output.
std::vector<json> top_records(const std::string& out) {
  std::vector<json> rows;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    json j = json::parse(line);
    if (j.value("type", "") == "top") rows.push_back(std::move(j));
  }
  return rows;
}

// Sum of a counter over every interval of one cgroup's rows.
uint64_t total(const std::vector<json>& rows, const std::string& cgroup, const std::string& key) {
  uint64_t n = 0;
  for (const auto& r : rows)
    if (r.at("cgroup") == cgroup) n += r.at(key).get<uint64_t>();
  return n;
}

// A loopback port nobody listens on (bound then closed: connects are refused).
int closed_port() {
  LoopbackListener l;
  return l.port();
}

}  // namespace

TEST_CASE(
    "top ranks three cgroups by syscall rate within 10% of the rates they made, a sibling outside -c absent",
    "[top]") {
  TestCgroup parent("ctrace-test-top");
  TestCgroup fast(parent, "fast"), medium(parent, "medium"), slow(parent, "slow");
  TestCgroup sibling("ctrace-test-top-sibling");
  // ~3.5 s each at a fixed rate: two full 1 s intervals in the middle for every one of them.
  const std::map<std::string, long> rates = {{"fast", 20000}, {"medium", 8000}, {"slow", 2000}};
  auto workload = [](long rate) {
    return std::vector<std::string>{"--rate", std::to_string(rate), "getppid", std::to_string(rate * 7 / 2)};
  };
  Workload wf(workload(20000)), wm(workload(8000)), ws(workload(2000)), wsib(workload(5000));
  fast.add(wf.pid());
  medium.add(wm.pid());
  slow.add(ws.pid());
  sibling.add(wsib.pid());
  auto ct = start_ctrace({"top", "-c", parent.path().string(), "--by", "cgroup", "-o", "json", "-i", "1"});
  wf.go();
  wm.go();
  ws.go();
  wsib.go();
  REQUIRE(wf.wait() == 0);
  REQUIRE(wm.wait() == 0);
  REQUIRE(ws.wait() == 0);
  REQUIRE(wsib.wait() == 0);
  ct->signal(SIGINT);
  REQUIRE(ct->wait() == 0);
  INFO("stderr: " << ct->err() << "\nstdout: " << ct->out());
  auto rows = top_records(ct->out());
  REQUIRE_FALSE(rows.empty());

  // Every row is below the target; the sibling (positive control: it ran at the same time) is not.
  const std::string base = "/" + parent.relative();
  for (const auto& r : rows) CHECK(r.at("cgroup").get<std::string>().rfind(base, 0) == 0);
  CHECK(total(rows, "/" + sibling.relative(), "syscalls") == 0);
  // Every getppid is counted, once (the rest: a nanosleep per 100 calls, the "go" reads).
  for (const auto& [name, rate] : rates) {
    uint64_t n = total(rows, base + "/" + name, "syscalls");
    CHECK(n >= static_cast<uint64_t>(rate * 7 / 2));
    CHECK(n <= static_cast<uint64_t>(rate * 7 / 2 * 1.02 + 10));
  }

  // Intervals in which all three ran for the whole interval: order and rates.
  std::map<int, std::map<std::string, json>> by_interval;
  for (const auto& r : rows) {
    std::string cg = r.at("cgroup");
    by_interval[r.at("interval").get<int>()][cg.substr(cg.rfind('/') + 1)] = r;
  }
  int checked = 0;
  for (const auto& [interval, row] : by_interval) {
    if (interval == 1 || row.size() != 3) continue;
    // the first interval saw the start, the last one the end: keep the full ones
    if (interval >= static_cast<int>(by_interval.size()) - 1) continue;
    int rank = 0;
    for (const auto& r : rows) {
      if (r.at("interval") != interval) continue;
      // rows come sorted by syscalls: fast, medium, slow
      std::string cg = r.at("cgroup");
      std::string name = cg.substr(cg.rfind('/') + 1);
      CHECK(name == std::vector<std::string>{"fast", "medium", "slow"}[static_cast<size_t>(rank++)]);
      double rate = r.at("syscalls_per_s").get<double>();
      INFO(name << " in interval " << interval << ": " << rate << "/s");
      CHECK(rate == Approx(static_cast<double>(rates.at(name))).epsilon(0.10));
      CHECK(r.at("top_syscall") == "getppid");
    }
    ++checked;
  }
  CHECK(checked >= 1);
}

TEST_CASE("top counts opens, TCP connects by result and namespace changes exactly", "[top]") {
  TestCgroup cg("ctrace-test-top-exact");
  LoopbackListener listener;
  int refused_port = closed_port();
  Workload w({"open-close", "/dev/null", "123", "connect", fmt::format("127.0.0.1:{}", listener.port()), "17",
              "connect", fmt::format("127.0.0.1:{}", refused_port), "5", "unshare", "0x04000000", "3",
              "clone", "0x04000000", "2", "openat-fail", "11"});
  cg.add(w.pid());
  auto ct = start_ctrace({"top", "-c", cg.path().string(), "--by", "cgroup", "-o", "json", "-i", "1"});
  w.go();
  REQUIRE(w.wait() == 0);
  ct->signal(SIGINT);
  REQUIRE(ct->wait() == 0);
  INFO("stderr: " << ct->err() << "\nstdout: " << ct->out());
  auto rows = top_records(ct->out());
  const std::string me = "/" + cg.relative();
  CHECK(total(rows, me, "opens") == 123);
  CHECK(total(rows, me, "connects") == 22);
  uint64_t ok = 0, refused = 0, unshares = 0, clones = 0, setns = 0;
  for (const auto& r : rows) {
    if (r.at("cgroup") != me) continue;
    ok += r.at("connect_results").at("ok").get<uint64_t>();
    refused += r.at("connect_results").at("refused").get<uint64_t>();
    unshares += r.at("ns_changes").at("unshare").get<uint64_t>();
    clones += r.at("ns_changes").at("clone").get<uint64_t>();
    setns += r.at("ns_changes").at("setns").get<uint64_t>();
  }
  CHECK(ok == 17);
  CHECK(refused == 5);
  CHECK(unshares == 3);
  CHECK(clones == 2);
  CHECK(setns == 0);
  // the 11 failed openat calls and the 5 refused connects, nothing else fails
  CHECK(total(rows, me, "errors") == 16);
}

TEST_CASE("a cgroup made and removed within one interval gets its row, named and marked exited", "[top]") {
  TestCgroup parent("ctrace-test-top-brief");
  auto ct = start_ctrace({"top", "-c", parent.path().string(), "--by", "cgroup", "-o", "json", "-i", "3"});
  TestCgroup control(parent, "control");  // positive control that stays
  Workload wc({"getppid", "300"});
  control.add(wc.pid());
  wc.go();
  REQUIRE(wc.wait() == 0);
  std::string brief_path;
  {
    TestCgroup brief(parent, "brief");
    brief_path = "/" + brief.relative();
    Workload w({"getppid", "500"});
    brief.add(w.pid());
    w.go();
    REQUIRE(w.wait() == 0);
  }  // removed here, long before the first 3 s tick
  REQUIRE_FALSE(fs::exists(parent.path() / "brief"));
  std::this_thread::sleep_for(std::chrono::milliseconds(3500));
  ct->signal(SIGINT);
  REQUIRE(ct->wait() == 0);
  INFO("stderr: " << ct->err() << "\nstdout: " << ct->out());
  auto rows = top_records(ct->out());
  bool seen = false;
  for (const auto& r : rows) {
    if (r.at("cgroup") != brief_path || r.at("interval") != 1) continue;
    seen = true;
    CHECK(r.at("syscalls").get<uint64_t>() >= 500);
    CHECK(r.at("top_syscall") == "getppid");
    CHECK(r.at("exited") == true);
  }
  CHECK(seen);
  CHECK(total(rows, "/" + control.relative(), "syscalls") >= 300);
}

TEST_CASE("a podman container started and removed within one interval gets its row with its name", "[top]") {
  std::string name = container_name("top-brief");
  auto ct = start_ctrace({"top", "-o", "json", "-i", "8"});
  auto started = std::chrono::steady_clock::now();
  std::string id;
  {
    PodmanContainer c(name, {"sh", "-c", "cat /proc/self/status >/dev/null"}, {.hold = true});
    id = c.id();
    c.go();
    REQUIRE(c.wait_stopped());
  }  // podman rm: the container and its cgroup are gone before the first tick
  REQUIRE(std::chrono::steady_clock::now() - started < std::chrono::seconds(7));
  std::this_thread::sleep_until(started + std::chrono::milliseconds(8500));
  ct->signal(SIGINT);
  REQUIRE(ct->wait() == 0);
  INFO("stderr: " << ct->err());
  auto rows = top_records(ct->out());
  const json* row = nullptr;
  for (const auto& r : rows)
    if (r.at("interval") == 1 && r.at("id") == id) row = &r;
  REQUIRE(row != nullptr);
  CHECK(row->at("container") == name);
  CHECK(row->at("runtime") == "podman");
  CHECK(row->at("syscalls").get<uint64_t>() > 0);
  CHECK(row->at("exited") == true);
  // positive control: the host's own activity in the same interval is listed too
  CHECK(rows.size() > 1);
}

TEST_CASE("top in a terminal: alternate screen entered and left, terminal restored on SIGTERM and on q",
          "[top]") {
  TestCgroup cg("ctrace-test-top-tty");
  // `script` gives ctrace a real pty; stdin from /dev/tty so that it reads keys from it.
  std::string cmd = fmt::format(
      "stty -a; {} top -c {} -i 0.2 </dev/tty & pid=$!; "
      "n=0; until ls -l /proc/$pid/fd 2>/dev/null | grep -q bpf_link || [ $n -ge 600 ]; do sleep 0.05; "
      "n=$((n+1)); done; sleep 1; "
      "kill -TERM $pid; wait $pid; echo EXIT=$?; "
      "stty -a",
      ctrace_bin(), cg.path().string());
  auto r = run({"script", "-qfec", cmd, "/dev/null"}, std::chrono::seconds(30));
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  const std::string& out = r.out;
  auto enter = out.find("\033[?1049h");
  auto leave = out.find("\033[?1049l");
  REQUIRE(enter != std::string::npos);
  REQUIRE(leave != std::string::npos);
  CHECK(enter < leave);
  CHECK(out.find("\033[?25h", enter) != std::string::npos);  // cursor shown again
  CHECK_THAT(out.substr(enter, leave - enter), Contains("SYSCALLS/s"));
  CHECK_THAT(out, Contains("EXIT=0"));
  // The settings after the run equal those before it (echo and canonical mode back).
  auto first = out.find("speed");
  auto last = out.rfind("speed");
  REQUIRE(first != last);
  CHECK_THAT(out.substr(last), Contains(" icanon"));
  CHECK_THAT(out.substr(last), Contains(" echo "));

  // SIGHUP (the terminal went away) restores it as well.
  std::string cmd_hup = fmt::format(
      "{} top -c {} -i 0.2 </dev/tty & pid=$!; "
      "n=0; until ls -l /proc/$pid/fd 2>/dev/null | grep -q bpf_link || [ $n -ge 600 ]; do sleep 0.05; "
      "n=$((n+1)); done; sleep 1; "
      "kill -HUP $pid; wait $pid; echo EXIT=$?; stty -a",
      ctrace_bin(), cg.path().string());
  auto h = run({"script", "-qfec", cmd_hup, "/dev/null"}, std::chrono::seconds(30));
  INFO(h.out);
  CHECK_THAT(h.out, Contains("EXIT=0"));
  CHECK(h.out.find("\033[?1049l") != std::string::npos);
  CHECK_THAT(h.out.substr(h.out.rfind("speed")), Contains(" icanon"));

  // q quits with 0 and restores as well.
  std::string cmd_q =
      fmt::format("{} top -c {} -i 0.2; echo EXIT=$?; stty -a", ctrace_bin(), cg.path().string());
  Process p({"script", "-qfec", cmd_q, "/dev/null"});
  REQUIRE(p.wait_for_stdout("SYSCALLS/s"));
  p.write_stdin("q");
  REQUIRE(p.wait() == 0);
  CHECK_THAT(p.out(), Contains("EXIT=0"));
  CHECK(p.out().find("\033[?1049l") != std::string::npos);
  CHECK_THAT(p.out().substr(p.out().rfind("speed")), Contains(" icanon"));
}

TEST_CASE("stat --by-container: one table per container from the host view, exact counts", "[top][stat]") {
  TestCgroup parent("ctrace-test-stat-by");
  TestCgroup a(parent, "a"), b(parent, "b");
  TestCgroup outside("ctrace-test-stat-by-outside");
  Workload wa({"getppid", "1000"}), wb({"openat-fail", "37", "getppid", "5"}), wo({"getppid", "700"});
  a.add(wa.pid());
  b.add(wb.pid());
  outside.add(wo.pid());
  auto ct = start_ctrace({"stat", "--by-container", "-c", parent.path().string(), "-o", "json"});
  wa.go();
  wb.go();
  wo.go();
  REQUIRE(wa.wait() == 0);
  REQUIRE(wb.wait() == 0);
  REQUIRE(wo.wait() == 0);
  ct->signal(SIGINT);
  REQUIRE(ct->wait() == 0);
  INFO("stderr: " << ct->err() << "\nstdout: " << ct->out());
  std::map<std::string, json> docs;
  std::istringstream in(ct->out());
  for (std::string line; std::getline(in, line);) {
    json d = json::parse(line);
    docs[d.at("container").at("name")] = d;
  }
  auto count = [&](const std::string& cg, const std::string& name, const char* key) -> uint64_t {
    for (const auto& s : docs.at(cg).at("syscalls"))
      if (s.at("name") == name) return s.at(key).get<uint64_t>();
    return 0;
  };
  const std::string pa = "/" + a.relative(), pb = "/" + b.relative();
  REQUIRE(docs.count(pa) == 1);
  REQUIRE(docs.count(pb) == 1);
  CHECK(docs.count("/" + outside.relative()) == 0);  // ran at the same time, outside -c
  CHECK(docs.size() == 2);
  CHECK(count(pa, "getppid", "count") == 1000);
  CHECK(count(pb, "getppid", "count") == 5);
  CHECK(count(pb, "openat", "count") == 37);
  CHECK(count(pb, "openat", "errors") == 37);
  CHECK(count(pa, "openat", "count") == 0);
}

TEST_CASE("top: block I/O bytes by the cgroup that submitted them (direct I/O)", "[top]") {
  // The build dir is on a real block device (see biograph_test.cpp); tmpfs does no block I/O.
  const std::string file = std::string(CTRACE_BUILD_DIR) + "/top-bio-" + std::to_string(::getpid()) + ".dat";
  TestCgroup parent("ctrace-test-top-bio");
  TestCgroup writer(parent, "writer"), reader(parent, "reader");
  auto dd_in = [](const TestCgroup& cg, const std::string& args) {
    auto r = run({"sh", "-c", "echo $$ > " + (cg.path() / "cgroup.procs").string() + " && exec dd " + args});
    INFO("dd: " << r.err);
    REQUIRE(r.code == 0);
  };
  auto ct = start_ctrace({"top", "-c", parent.path().string(), "--by", "cgroup", "-o", "json", "-i", "1"});
  dd_in(writer, "if=/dev/zero of=" + file + " bs=1M count=16 oflag=direct");
  dd_in(reader, "if=" + file + " of=/dev/null bs=1M iflag=direct");
  ct->signal(SIGINT);
  REQUIRE(ct->wait() == 0);
  fs::remove(file);
  INFO("stderr: " << ct->err());
  auto rows = top_records(ct->out());
  constexpr double kMiB16 = 16.0 * 1024 * 1024;
  const std::string w = "/" + writer.relative(), r = "/" + reader.relative();
  // within 10%: the filesystem adds its metadata and journal to the data
  CHECK(static_cast<double>(total(rows, w, "write_bytes")) == Approx(kMiB16).epsilon(0.10));
  CHECK(static_cast<double>(total(rows, r, "read_bytes")) == Approx(kMiB16).epsilon(0.10));
  CHECK(total(rows, w, "read_bytes") < kMiB16 / 10);
  CHECK(total(rows, r, "write_bytes") < kMiB16 / 10);
}
