// ctrace tcpconnect on the real kernel: connects of a workload in a cgroup to loopback servers
// started here (127.0.0.1 and ::1) and to a refused port. Only loopback traffic.
#include <signal.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>
#include <map>

#include "stream_support.hpp"

using namespace ctrace::test;
using nlohmann::json;

namespace {

constexpr int kConnects4 = 3;
constexpr int kConnects6 = 2;

struct Servers {
  LoopbackSocket v4{AF_INET, true};
  LoopbackSocket v6{AF_INET6, true};
  LoopbackSocket refused{AF_INET, false};  // bound, not listening: connects get RST

  std::vector<std::string> workload() const {
    return {"connect", v4.address(),      std::to_string(kConnects4),
            "connect", v6.address(),      std::to_string(kConnects6),
            "connect", refused.address(), "1"};
  }
};

// Exactly the workload's attempts, in order, with addresses, ports and results.
void check_connects(const std::vector<json>& ev, const Servers& s) {
  REQUIRE(ev.size() == kConnects4 + kConnects6 + 1);
  for (size_t i = 0; i < ev.size(); ++i) {
    const auto& e = ev[i];
    bool v6 = i >= kConnects4 && i < kConnects4 + kConnects6;
    bool refused = i == ev.size() - 1;
    INFO(e.dump());
    CHECK(e["ip"] == (v6 ? 6 : 4));
    CHECK(e["saddr"] == (v6 ? "::1" : "127.0.0.1"));
    CHECK(e["daddr"] == (v6 ? "::1" : "127.0.0.1"));
    CHECK(e["dport"] == (refused ? s.refused.port() : v6 ? s.v6.port() : s.v4.port()));
    CHECK(e["sport"].get<int>() > 0);
    CHECK(e["ret"] == (refused ? -ECONNREFUSED : 0));
    CHECK(e["result"] == (refused ? "-ECONNREFUSED" : "0"));
    CHECK(e["outcome"] == (refused ? "refused" : "ok"));
    CHECK(e["latency_ms"].get<double>() >= 0);
    CHECK(e["comm"] == "ctrace_workload");
  }
}

}  // namespace

TEST_CASE("tcpconnect without a filter sees the workload's connects", "[tcpconnect]") {
  TestCgroup cg("ctrace-test-tc-all");
  Servers s;
  Workload w(s.workload());
  cg.add(w.pid());
  auto run = stream_around({"tcpconnect"}, {&w}, "tcpconnect");
  INFO("stderr: " << run.err);
  REQUIRE(run.code == 0);
  check_connects(of_pid(run.events, w.pid()), s);
}

TEST_CASE("tcpconnect with a non-matching cgroup shows nothing of the workload", "[tcpconnect]") {
  TestCgroup parent("ctrace-test-tc-none");
  TestCgroup a(parent, "a"), b(parent, "b");
  Servers s;
  Workload w(s.workload());
  a.add(w.pid());
  auto run = stream_around({"tcpconnect", "-c", b.path().string()}, {&w}, "tcpconnect");
  INFO("stderr: " << run.err);
  REQUIRE(run.code == 0);
  CHECK(run.events.empty());
}

TEST_CASE("tcpconnect with a matching cgroup shows exactly the workload's connects", "[tcpconnect]") {
  TestCgroup cg("ctrace-test-tc-match");
  Servers s;
  auto actions = s.workload();
  actions.insert(actions.begin(), {"--hostname", "ctrace-tc-test"});
  Workload w2(actions);
  cg.add(w2.pid());
  auto run = stream_around({"tcpconnect", "-c", cg.path().string()}, {&w2}, "tcpconnect");
  INFO("stderr: " << run.err);
  REQUIRE(run.code == 0);
  CHECK(run.lost == 0);
  check_connects(run.events, s);
  for (const auto& e : run.events) {
    CHECK(e["pid"] == w2.pid());
    CHECK(e["hostname"] == "ctrace-tc-test");
    CHECK(e["cgroup_id"] == cg.id());
  }
}

TEST_CASE("tcpconnect --count prints one row per container and destination", "[tcpconnect]") {
  TestCgroup cg("ctrace-test-tc-count");
  Servers s;
  Workload w(s.workload());
  cg.add(w.pid());
  auto ct = start_ctrace({"tcpconnect", "--count", "-C", "-c", cg.path().string(), "-o", "json"});
  w.go();
  REQUIRE(w.wait() == 0);
  ct->signal(SIGINT);
  REQUIRE(ct->wait() == 0);
  INFO("stdout: " << ct->out() << "\nstderr: " << ct->err());
  auto doc = json::parse(ct->out());
  CHECK(doc["type"] == "tcpconnect");
  CHECK(doc["lost"] == 0);
  const auto& rows = doc.at("connects");
  REQUIRE(rows.size() == 3);
  auto row = [&](const std::string& daddr, int port) -> json {
    for (const auto& r : rows)
      if (r["daddr"] == daddr && r["dport"] == port) return r;
    return json();
  };
  auto r4 = row("127.0.0.1", s.v4.port()), r6 = row("::1", s.v6.port()),
       rr = row("127.0.0.1", s.refused.port());
  REQUIRE(!r4.is_null());
  REQUIRE(!r6.is_null());
  REQUIRE(!rr.is_null());
  CHECK(r4["connects"] == kConnects4);
  CHECK(r4["failed"] == 0);
  CHECK(r4["cgroup_id"] == cg.id());
  CHECK(r6["connects"] == kConnects6);
  CHECK(r6["ip"] == 6);
  CHECK(rr["connects"] == 1);
  CHECK(rr["failed"] == 1);
}

TEST_CASE("tcpconnect: the outcome of non-blocking connects, refused, ok, closed first and still pending",
          "[tcpconnect]") {
  REQUIRE(run({"sh", "-c", "command -v python3"}).code == 0);
  TestCgroup cg("ctrace-test-tc-nonblocking");
  LoopbackSocket refused{AF_INET, false};
  // A listener with a full accept queue (backlog 0, one connection in it) drops later SYNs:
  // those connects stay in SYN_SENT.
  const std::string script = R"(
import socket, sys, time
sys.stdin.readline()
def nb(port):
    s = socket.socket()
    s.setblocking(False)
    s.connect_ex(("127.0.0.1", port))
    return s
def pause():
    time.sleep(0.3)
r = nb(int(sys.argv[1])); pause()
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(5)
ok = nb(l.getsockname()[1]); pause()
f = socket.socket(); f.bind(("127.0.0.1", 0)); f.listen(0)
full = f.getsockname()[1]
queued = nb(full); pause()
closed = nb(full); pause(); closed.close(); pause()
pending = nb(full); pause()
print(l.getsockname()[1], full, flush=True)
time.sleep(60)
)";
  Process py({"python3", "-c", script, std::to_string(refused.port())});
  cg.add(py.pid());
  auto p = start_ctrace({"tcpconnect", "-o", "json", "-c", cg.path().string()});
  py.write_stdin("go\n");  // its connects start now
  REQUIRE(py.wait_for_stdout("\n", std::chrono::seconds(30)));
  p->signal(SIGINT);
  REQUIRE(p->wait() == 0);
  py.signal(SIGKILL);
  py.wait();
  INFO("ctrace: " << p->err() << "\npython: " << py.out());
  std::istringstream ports(py.out());
  int ok_port = 0, full_port = 0;
  ports >> ok_port >> full_port;
  std::map<std::pair<int, std::string>, int> outcomes;  // (dport, outcome) -> connects
  std::istringstream in(p->out());
  for (std::string line; std::getline(in, line);) {
    auto e = json::parse(line);
    INFO(e.dump());
    CHECK((e["ret"] == -EINPROGRESS || e["outcome"] != "unknown"));
    if (e["outcome"] == "unknown")
      CHECK(e["latency_ms"].is_null());
    else
      CHECK(e["latency_ms"].get<double>() >= 0);
    ++outcomes[{e["dport"].get<int>(), e["outcome"].get<std::string>()}];
  }
  CHECK(outcomes[{refused.port(), "refused"}] == 1);
  CHECK(outcomes[{ok_port, "ok"}] == 1);
  CHECK(outcomes[{full_port, "ok"}] == 1);       // the one the queue took
  CHECK(outcomes[{full_port, "closed"}] == 1);   // closed by its program while in SYN_SENT
  CHECK(outcomes[{full_port, "unknown"}] == 1);  // still in SYN_SENT when ctrace stopped
  CHECK(outcomes.size() == 5);
}
