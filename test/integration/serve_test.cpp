// ctrace serve / ctl on the real kernel: a daemon on a temp socket, cgroups made here.
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <thread>
#include <tuple>

#include "ctrace/commands/serve_protocol.hpp"
#include "stream_support.hpp"

using namespace ctrace::test;
using ctrace::commands::daemon_request;
using nlohmann::json;

namespace {

std::string temp_socket(const std::string& tag) {
  return "/tmp/ctrace-test-" + tag + "-" + std::to_string(::getpid()) + ".sock";
}

std::unique_ptr<Process> start_daemon(const std::string& sock) {
  auto p = std::make_unique<Process>(std::vector<std::string>{ctrace_bin(), "serve", "--socket", sock});
  if (!p->wait_for_stderr("Listening on"))
    throw std::runtime_error("ctrace serve did not start: " + p->err());
  return p;
}

Result ctl(const std::string& sock, std::vector<std::string> args) {
  std::vector<std::string> argv{ctrace_bin(), "ctl", "--socket", sock};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv);
}

// Sends raw bytes, returns the status code of the answer (0 when there is none).
int raw_status(const std::string& sock, const std::string& bytes) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, sock.c_str(), sizeof addr.sun_path - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return 0;
  }
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may close early on an oversized request
    off += static_cast<size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);
  std::string resp;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) resp.append(buf, static_cast<size_t>(n));
  ::close(fd);
  if (resp.rfind("HTTP/1.1 ", 0) != 0) return 0;
  return std::atoi(resp.c_str() + 9);
}

size_t count_calls(const std::vector<json>& lines, int pid, const std::string& name) {
  return static_cast<size_t>(std::count_if(lines.begin(), lines.end(), [&](const json& j) {
    return j.at("type") == "syscall" && j.at("tid") == pid && j.at("name") == name;
  }));
}

}  // namespace

TEST_CASE("serve records two cgroups and dumps and closes each and metrics are Prometheus text", "[serve]") {
  const auto sock = temp_socket("two");
  auto d = start_daemon(sock);
  struct stat st {};
  REQUIRE(::stat(sock.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  TestCgroup parent("ctrace-test-serve");
  TestCgroup a(parent, "a"), b(parent, "b");
  REQUIRE(ctl(sock, {"add", "ta", a.relative()}).code == 0);
  REQUIRE(ctl(sock, {"add", "tb", a.path().string()}).code == 0);  // absolute works too
  REQUIRE(ctl(sock, {"close", "tb"}).code == 0);
  REQUIRE(ctl(sock, {"add", "tb", b.relative()}).code == 0);
  auto dup = ctl(sock, {"add", "ta", b.relative()});
  CHECK(dup.code == 1);
  CHECK(dup.err.find("409") != std::string::npos);

  Workload wa({"write-hello", "2"}), wb({"openat-fail", "3"});
  a.add(wa.pid());
  b.add(wb.pid());
  wa.go();
  wb.go();
  REQUIRE(wa.wait() == 0);
  REQUIRE(wb.wait() == 0);

  auto da = ctl(sock, {"dump", "ta", "-o", "json"});
  REQUIRE(da.code == 0);
  auto la = json_lines(da.out);
  CHECK(la.at(0).at("type") == "dump");
  CHECK(count_calls(la, wa.pid(), "write") == 2);
  CHECK(count_calls(la, wb.pid(), "openat") == 0);
  auto db = ctl(sock, {"dump", "tb", "-o", "json"});
  REQUIRE(db.code == 0);
  auto lb = json_lines(db.out);
  CHECK(count_calls(lb, wb.pid(), "openat") == 3);
  CHECK(count_calls(lb, wa.pid(), "write") == 0);
  auto text = ctl(sock, {"dump", "ta"});
  CHECK(text.out.find("write(fd=1, buf=\"hello\\n\", count=6) = 6") != std::string::npos);

  auto list = json::parse(ctl(sock, {"list"}).out);
  REQUIRE(list.at("traces").size() == 2);
  CHECK(list["traces"][0]["name"] == "ta");
  CHECK(list["traces"][0]["cgroup_id"] == a.id());

  auto m = daemon_request(sock, "GET", "/metrics");
  REQUIRE(m.status == 200);
  std::regex sample(
      R"(^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"]*")*\})? -?[0-9.eE+]+$)");
  std::istringstream in(m.body);
  std::string line;
  int samples = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) continue;
    INFO(line);
    CHECK(std::regex_match(line, sample));
    ++samples;
  }
  CHECK(samples == 9);  // 3 per trace, the targets gauge, ctrace_up, ctrace_lost_events_total
  CHECK(m.body.find("ctrace_record_targets 2") != std::string::npos);
  CHECK(m.body.find("ctrace_record_events_total{trace=\"ta\"}") != std::string::npos);

  REQUIRE(ctl(sock, {"close", "ta"}).code == 0);
  REQUIRE(ctl(sock, {"close", "tb"}).code == 0);
  CHECK(json::parse(ctl(sock, {"list"}).out).at("traces").empty());
  CHECK(ctl(sock, {"dump", "ta"}).code == 1);
  d->signal(SIGTERM);
  CHECK(d->wait() == 0);
}

TEST_CASE("serve answers malformed and oversized requests with 4xx and keeps serving", "[serve]") {
  const auto sock = temp_socket("bad");
  auto d = start_daemon(sock);
  TestCgroup cg("ctrace-test-serve-bad");
  CHECK(raw_status(sock, "GARBAGE\r\n\r\n") / 100 == 4);
  CHECK(raw_status(sock, "GET /" + std::string(20000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n") / 100 == 4);
  CHECK(raw_status(sock, "POST /add?name=x&cgroup=" + cg.relative() +
                             " HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" +
                             std::string(100000, 'x')) == 413);
  CHECK(raw_status(sock, "GET /list HTTP/1.1\r\nHost: x\r\nX: " + std::string(20000, 'h') + "\r\n\r\n") /
            100 ==
        4);
  CHECK(daemon_request(sock, "POST", "/add?name=../etc&cgroup=" + cg.relative()).status == 400);
  CHECK(daemon_request(sock, "POST", "/add?name=a%2Fb&cgroup=" + cg.relative()).status == 400);
  CHECK(daemon_request(sock, "POST", "/add?name=ok").status == 400);
  CHECK(daemon_request(sock, "POST", "/add?name=ok&cgroup_id=12x").status == 400);
  CHECK(daemon_request(sock, "POST", "/add?name=ok&cgroup=no-such-cgroup-here").status == 400);
  CHECK(daemon_request(sock, "GET", "/dump?name=nothere").status == 404);
  CHECK(daemon_request(sock, "GET", "/nowhere").status == 404);
  CHECK(daemon_request(sock, "POST", "/list").status == 404);  // GET only
  // at most 16 targets
  for (int i = 0; i < 16; ++i)
    REQUIRE(
        daemon_request(sock, "POST", "/add?size=1K&name=t" + std::to_string(i) + "&cgroup=" + cg.relative())
            .status == 201);
  auto full = daemon_request(sock, "POST", "/add?size=1K&name=t16&cgroup=" + cg.relative());
  CHECK(full.status == 429);
  CHECK(full.body.find("at most 16") != std::string::npos);
  auto list = daemon_request(sock, "GET", "/list?format=json");
  CHECK(list.status == 200);
  CHECK(json::parse(list.body).at("traces").size() == 16);
  d->signal(SIGTERM);
  CHECK(d->wait() == 0);
}

TEST_CASE("serve handles 16 concurrent clients x 100 requests adding, dumping and closing",
          "[serve][concurrent]") {
  const auto sock = temp_socket("load");
  auto d = start_daemon(sock);
  TestCgroup cg("ctrace-test-serve-load");
  Workload w({"write-hello", "100"});  // something to dump
  cg.add(w.pid());
  REQUIRE(ctl(sock, {"add", "load", cg.relative()}).code == 0);
  w.go();
  REQUIRE(w.wait() == 0);
  std::atomic<int> ok{0}, failed{0};
  std::mutex m;
  std::string first_failure;
  std::vector<std::thread> clients;
  // 15 clients add, dump and close their own trace (16 with "load": the limit), all of them
  // list, dump "load" and read metrics; every request must succeed.
  for (int c = 0; c < 16; ++c)
    clients.emplace_back([&, c] {
      const std::string own = "c" + std::to_string(c);
      for (int i = 0; i < 100; ++i) {
        std::string method = "GET", target;
        int expect = 200;
        if (c < 15 && i % 10 == 0) {
          method = "POST", target = "/add?size=64K&name=" + own + "&cgroup=" + cg.relative(), expect = 201;
        } else if (c < 15 && i % 10 == 9) {
          method = "POST", target = "/close?name=" + own;
        } else if (c < 15 && i % 10 < 5) {
          target = "/dump?format=json&name=" + own;
        } else {
          target = i % 3 == 0 ? "/list" : i % 3 == 1 ? "/metrics" : "/dump?name=load";
        }
        try {
          auto r = daemon_request(sock, method, target);
          if (r.status == expect) {
            ok++;
            continue;
          }
          std::lock_guard g(m);
          if (first_failure.empty()) first_failure = method + " " + target + ": " + r.body;
        } catch (const std::exception& e) {
          std::lock_guard g(m);
          if (first_failure.empty()) first_failure = method + " " + target + ": " + e.what();
        }
        failed++;
      }
    });
  for (auto& t : clients) t.join();
  INFO(first_failure);
  CHECK(failed == 0);
  CHECK(ok == 1600);
  auto list = json::parse(ctl(sock, {"list"}).out).at("traces");
  REQUIRE(list.size() == 1);  // every client closed its own
  CHECK(list[0].at("name") == "load");
  d->signal(SIGTERM);
  CHECK(d->wait() == 0);
}

TEST_CASE("serve refuses a non-root client", "[serve]") {
  const auto sock = temp_socket("nonroot");
  auto d = start_daemon(sock);
  auto r = run({"setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups", ctrace_bin(), "ctl",
                "--socket", sock, "list"});
  CHECK(r.code == 1);
  CHECK(r.out.empty());
  CHECK(ctl(sock, {"list"}).code == 0);  // root still served
  d->signal(SIGTERM);
  CHECK(d->wait() == 0);
}

TEST_CASE("serve replaces a stale socket and refuses a live one", "[serve]") {
  const auto sock = temp_socket("stale");
  {
    // a socket file nobody listens on, as a crashed daemon leaves it
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, sock.c_str(), sizeof addr.sun_path - 1);
    ::unlink(sock.c_str());
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    ::close(fd);
  }
  auto d = start_daemon(sock);
  CHECK(ctl(sock, {"list"}).code == 0);
  auto second = run({ctrace_bin(), "serve", "--socket", sock}, std::chrono::seconds(20));
  CHECK(second.code == 1);
  CHECK(second.err.find("another ctrace serve is listening") != std::string::npos);
  CHECK(ctl(sock, {"list"}).code == 0);  // the live daemon was left alone
  d->signal(SIGTERM);
  CHECK(d->wait() == 0);
}

TEST_CASE("SIGTERM stops serve leaving no socket and no program", "[serve]") {
  const auto sock = temp_socket("term");
  auto d = start_daemon(sock);
  TestCgroup cg("ctrace-test-serve-term");
  REQUIRE(ctl(sock, {"add", "t", cg.relative()}).code == 0);
  auto mine = prog_ids_of(d->pid());
  REQUIRE(mine.size() >= 2);
  d->signal(SIGTERM);
  CHECK(d->wait() == 0);
  CHECK_FALSE(std::filesystem::exists(sock));
  CHECK(still_loaded(mine, std::chrono::seconds(10)).empty());
}

namespace {

struct Curl {
  int status = 0;
  std::string body;
};

// curl as traceloop's README and traceloopctl run it (plus the status code on the last line).
Curl curl(const std::string& sock, const std::string& url, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> argv{"curl", "-sS", "--unix-socket", sock, "-w", "\n%{http_code}"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back(url);
  auto r = run(argv);
  if (r.code != 0) throw std::runtime_error("curl " + url + " failed: " + r.err);
  auto nl = r.out.rfind('\n');
  return {std::atoi(r.out.c_str() + nl + 1), r.out.substr(0, nl)};
}

size_t occurrences(const std::string& s, const std::string& needle) {
  size_t n = 0;
  for (auto p = s.find(needle); p != std::string::npos; p = s.find(needle, p + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("serve answers traceloop's README session and requests with numeric ids", "[serve][traceloop]") {
  const auto sock = temp_socket("traceloop");
  auto d = start_daemon(sock);
  TestCgroup cg("ctrace-test-traceloop");
  const std::string abs = cg.path().string();
  const std::string hello = "write(fd=1, buf=\"hello\\n\", count=6) = 6";

  // The README's session, verbatim but for the socket and the cgroup path.
  auto added = curl(sock, "http://localhost/add?name=sshd&cgrouppath=" + abs);
  CHECK(added.status == 201);
  CHECK(json::parse(added.body).at("id") == 0);
  auto list = curl(sock, "http://localhost/list");  // traceloop's text, the path as given
  REQUIRE(list.status == 200);
  CHECK(list.body == "0: [sshd] " + abs + "\n");
  auto traces = json::parse(curl(sock, "http://localhost/list?format=json").body).at("traces");
  REQUIRE(traces.size() == 1);
  CHECK(traces[0].at("id") == 0);
  CHECK(traces[0].at("name") == "sshd");
  Workload w({"write-hello", "3"});
  cg.add(w.pid());
  w.go();
  REQUIRE(w.wait() == 0);
  auto by_cgroup = curl(sock, "http://localhost/dump-by-cgroup?cgroup=" + abs);
  CHECK(by_cgroup.status == 200);
  CHECK(occurrences(by_cgroup.body, hello) == 3);

  // POST without a body (curl -X POST sends no Content-Length), and the other requests.
  auto posted = curl(sock, "http://localhost/add?name=second&cgrouppath=" + abs, {"-X", "POST"});
  CHECK(posted.status == 201);
  CHECK(json::parse(posted.body).at("id") == 1);
  CHECK(curl(sock, "http://localhost/list?format=text").body ==
        "0: [sshd] " + abs + "\n1: [second] " + abs + "\n");
  Workload w2({"write-hello", "2"});
  cg.add(w2.pid());
  w2.go();
  REQUIRE(w2.wait() == 0);
  auto by_id = curl(sock, "http://localhost/dump?id=1");
  CHECK(by_id.status == 200);
  CHECK(occurrences(by_id.body, hello) == 2);
  auto by_name = curl(sock, "http://localhost/dump-by-name?name=sshd");
  CHECK(by_name.status == 200);
  CHECK(occurrences(by_name.body, hello) == 5);
  CHECK(occurrences(curl(sock, "http://localhost/dump?name=second").body, hello) == 2);  // ctrace's own

  // Every error says what was wrong.
  auto no_name = curl(sock, "http://localhost/add?cgrouppath=" + abs);
  CHECK(no_name.status == 400);
  CHECK(no_name.body == R"({"error":"missing parameter 'name'"})");
  auto no_cgroup = curl(sock, "http://localhost/add?name=x", {"-X", "POST"});
  CHECK(no_cgroup.status == 400);
  CHECK(no_cgroup.body.find("give exactly one of cgroup=, cgrouppath= and cgroup_id=") != std::string::npos);
  auto bad_id = curl(sock, "http://localhost/dump?id=abc");
  CHECK(bad_id.status == 400);
  CHECK(bad_id.body.find("id must be") != std::string::npos);
  auto no_id = curl(sock, "http://localhost/close?id=7");
  CHECK(no_id.status == 404);
  CHECK(no_id.body == R"({"error":"no trace with id 7"})");
  auto nowhere = curl(sock, "http://localhost/nowhere");
  CHECK(nowhere.status == 404);
  CHECK(nowhere.body.find("no route GET /nowhere") != std::string::npos);
  auto other_cgroup = curl(sock, "http://localhost/dump-by-cgroup?cgroup=" + cgroup2_mount().string());
  CHECK(other_cgroup.status == 404);
  CHECK(other_cgroup.body.find("no trace records the cgroup") != std::string::npos);

  // close by id (GET, as traceloopctl sends it) and by name; ids are not reused.
  auto closed = curl(sock, "http://localhost/close?id=1");
  CHECK(closed.status == 200);
  CHECK(json::parse(closed.body).at("closed") == "second");
  CHECK(curl(sock, "http://localhost/close-by-name?name=sshd").status == 200);
  CHECK(curl(sock, "http://localhost/list?format=text").body.empty());
  CHECK(json::parse(curl(sock, "http://localhost/add?name=third&cgrouppath=" + abs).body).at("id") == 2);
  d->signal(SIGTERM);
  CHECK(d->wait() == 0);
}

TEST_CASE("ctl takes traceloopctl's verbs and add --container/-p", "[serve][traceloop]") {
  const auto sock = temp_socket("ctlverbs");
  auto d = start_daemon(sock);
  TestCgroup parent("ctrace-test-ctlverbs");
  TestCgroup cg(parent, "docker-c7ace11a0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b.scope");
  const std::string hello = "write(fd=1, buf=\"hello\\n\", count=6) = 6";

  // add NAME --container PREFIX / -p PID: resolved by the shared target code
  REQUIRE(ctl(sock, {"add", "web", "--container", "c7ace11a"}).code == 0);
  Workload w({"write-hello", "2"});
  cg.add(w.pid());
  REQUIRE(ctl(sock, {"add", "bypid", "-p", std::to_string(w.pid())}).code == 0);
  auto wrong = ctl(sock, {"list", "--container", "c7ace11a"});
  CHECK(wrong.code == 2);
  CHECK(wrong.err.find("only go with 'add NAME'") != std::string::npos);
  w.go();
  REQUIRE(w.wait() == 0);
  // the systemd-style names the -sd verbs work on
  for (const char* inv : {"aaaa1111", "bbbb2222", "cccc3333"})
    REQUIRE(ctl(sock, {"add", std::string("systemd_app.service_") + inv, cg.path().string()}).code == 0);

  auto list = json::parse(ctl(sock, {"list-all"}).out).at("traces");
  REQUIRE(list.size() == 5);
  CHECK(list[0].at("name") == "web");
  CHECK(list[0].at("cgroup_id") == cg.id());
  CHECK(list[1].at("cgroup_id") == cg.id());
  CHECK(occurrences(ctl(sock, {"dump-id", "0"}).out, hello) == 2);
  CHECK(occurrences(ctl(sock, {"dump-name", "bypid"}).out, hello) == 2);
  CHECK(ctl(sock, {"list-sd-traces", "app.service"}).out == "aaaa1111\nbbbb2222\ncccc3333\n");
  auto newest = ctl(sock, {"dump-sd", "app.service", "-1"});
  CHECK(newest.code == 0);
  CHECK(newest.out.rfind("# dump 1:", 0) == 0);
  CHECK(ctl(sock, {"dump-sd", "app.service", "aaaa1111"}).code == 0);
  CHECK(ctl(sock, {"close-sd", "app.service", "-1"}).code == 0);
  CHECK(ctl(sock, {"list-sd-traces", "app.service"}).out == "aaaa1111\nbbbb2222\n");
  CHECK(ctl(sock, {"close-sd", "app.service", "all"}).code == 0);
  CHECK(ctl(sock, {"list-sd-traces", "app.service"}).out.empty());
  CHECK(ctl(sock, {"close-id", "1"}).code == 0);
  CHECK(ctl(sock, {"close-name", "web"}).code == 0);
  auto gone = ctl(sock, {"dump-id", "0"});
  CHECK(gone.code == 1);
  CHECK(gone.err.find("no trace with id 0") != std::string::npos);
  CHECK(json::parse(ctl(sock, {"list-all"}).out).at("traces").empty());
  d->signal(SIGTERM);
  CHECK(d->wait() == 0);
}

TEST_CASE("ctl dump | head -1 ends cleanly and the daemon keeps serving", "[serve][pipe]") {
  const auto sock = temp_socket("pipe");
  auto d = start_daemon(sock);
  TestCgroup cg("ctrace-test-ctl-pipe");
  // 16M: 12,600 slots per CPU hold the 10,000 events of one CPU's loop
  REQUIRE(daemon_request(sock, "POST", "/add?name=big&size=16M&cgroup=" + cg.relative()).status == 201);
  // 5000 calls: a dump of ~350 KiB of text, larger than a pipe's 64 KiB, so that ctl still
  // writes after head has gone
  Workload w({"getppid", "5000"});
  cg.add(w.pid());
  w.go();
  REQUIRE(w.wait() == 0);

  for (const char* format : {"text", "json"}) {
    INFO(format);
    // pipefail: the status is ctl's, 141 if SIGPIPE killed it
    auto r = run({"bash", "-c",
                  "set -o pipefail; '" + ctrace_bin() + "' ctl --socket '" + sock + "' -o " + format +
                      " dump big | head -1"});
    CHECK(r.code == 0);
    CHECK(r.err.empty());
    CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 1);
    CHECK((r.out.rfind("# dump 1:", 0) == 0 || r.out.rfind("{\"type\":\"dump\"", 0) == 0));
  }
  // the daemon is unhurt: the whole ring is still there, exactly the workload's calls
  auto all = ctl(sock, {"-o", "json", "dump", "big"});
  REQUIRE(all.code == 0);
  auto lines = json_lines(all.out);
  CHECK(count_calls(lines, w.pid(), "getppid") == 5000);
  CHECK(all.out.size() > (256u << 10));
  CHECK(json::parse(ctl(sock, {"list"}).out).at("traces").size() == 1);
  d->signal(SIGTERM);
  CHECK(d->wait() == 0);
  CHECK(d->err().find("rror") == std::string::npos);
}

TEST_CASE("dumps in a loop while 2 tasks per CPU hammer syscalls: every slot valid or counted",
          "[serve][ring]") {
  const auto sock = temp_socket("race");
  auto d = start_daemon(sock);
  TestCgroup cg("ctrace-test-ring-race");
  // 64M holds every event of the workloads below, so the final dump must have them all.
  REQUIRE(daemon_request(sock, "POST", "/add?name=race&size=64M&cgroup=" + cg.relative()).status == 201);
  const unsigned tasks = 2 * std::max(1u, std::thread::hardware_concurrency());
  constexpr int kCalls = 5000;
  std::vector<std::unique_ptr<Workload>> ws;
  for (unsigned i = 0; i < tasks; ++i) {
    ws.push_back(std::make_unique<Workload>(std::vector<std::string>{"getppid", std::to_string(kCalls)}));
    cg.add(ws.back()->pid());
  }
  std::atomic<bool> done{false};
  std::atomic<int> dumps{0}, bad{0};
  std::string first_bad;
  std::thread dumper([&] {
    while (!done) {
      auto r = daemon_request(sock, "GET", "/dump?name=race&format=json");
      auto lines = json_lines(r.body);
      const auto& s = lines.at(0);
      uint64_t events = s.at("events"), torn = s.at("torn"), recorded = s.at("recorded"),
               overwritten = s.at("overwritten");
      // each slot of the ring is either in the dump or counted
      std::set<std::tuple<uint64_t, int, std::string>> seen;
      bool dup = false;
      for (size_t i = 1; i < lines.size(); ++i)
        dup |= !seen.insert({lines[i].at("ts_ns").get<uint64_t>(), lines[i].at("tid").get<int>(),
                             lines[i].at("state").get<std::string>()})
                    .second;
      if (r.status != 200 || events + torn + overwritten != recorded || dup) {
        if (bad++ == 0) first_bad = lines.at(0).dump();
      }
      ++dumps;
    }
  });
  for (auto& w : ws) w->go();
  for (auto& w : ws) CHECK(w->wait() == 0);
  done = true;
  dumper.join();
  INFO(first_bad);
  CHECK(bad == 0);
  CHECK(dumps >= 1);

  auto r = daemon_request(sock, "GET", "/dump?name=race&format=json");
  auto lines = json_lines(r.body);
  CHECK(lines.at(0).at("torn") == 0);
  CHECK(lines.at(0).at("lost") == 0);
  CHECK(lines.at(0).at("overwritten") == 0);
  for (auto& w : ws) {
    int enters = 0, exits = 0;
    for (const auto& j : lines) {
      if (j.at("type") != "syscall" || j.at("tid") != w->pid() || j.at("name") != "getppid") continue;
      enters += j.at("state") != "enter_missing";
      exits += j.at("state") != "exit_missing";
    }
    CHECK(enters == kCalls);
    CHECK(exits == kCalls);
  }
  d->signal(SIGTERM);
  CHECK(d->wait() == 0);
}

namespace {

// traceloopctl (contrib/traceloopctl in traceloop's repository) sends every request as
// `curl -fsS --unix-socket SOCKET URL`: a GET, and any status >= 400 fails the verb.
Result traceloopctl_curl(const std::string& sock, const std::string& url) {
  return run({"curl", "-fsS", "--unix-socket", sock, "http://localhost" + url});
}

// What its `current-cgroup` helper prints for a process: the cgroup2 mount point, then the
// path of the process's "0::" line in /proc/PID/cgroup.
std::string current_cgroup_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cgroup");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("0::", 0) == 0) return cgroup2_mount().string() + line.substr(3);
  throw std::runtime_error("no 0:: line in /proc/" + std::to_string(pid) + "/cgroup");
}

// `grep -o PATTERN`: every match of each line, one per output line.
std::vector<std::string> grep_o(const std::string& text, const std::string& pattern) {
  std::regex re(pattern);
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    for (std::sregex_iterator it(line.begin(), line.end(), re), end; it != end; ++it)
      if (it->length() > 0) out.push_back(it->str());
  return out;
}

// `cut -d D -f N` (to_end: `-f N-`): fields are 1-based; a line without D is printed whole,
// as cut does without -s.
std::string cut(const std::string& line, char d, size_t n, bool to_end) {
  if (line.find(d) == std::string::npos) return line;
  std::vector<std::string> f(1);
  for (char c : line)
    if (c == d)
      f.emplace_back();
    else
      f.back() += c;
  std::string out;
  for (size_t i = n; i <= (to_end ? f.size() : std::min(n, f.size())); ++i)
    out += (i > n ? std::string(1, d) : "") + f[i - 1];
  return out;
}

// list-sd-units: `grep -o '\[systemd_.*\]' | cut -d _ -f 2 | sort | uniq -c`, as unit -> count.
std::map<std::string, int> sd_units(const std::string& list) {
  std::map<std::string, int> units;
  for (const auto& m : grep_o(list, R"(\[systemd_.*\])")) ++units[cut(m, '_', 2, false)];
  return units;
}

// list-sd-traces SERVICE (and the -1/all of dump-sd, close-sd):
// `grep -o "\[systemd_${SERVICE}.*\] " | cut -d _ -f 3- | cut -d ] -f 1`.
std::vector<std::string> sd_traces(const std::string& list, const std::string& service) {
  std::vector<std::string> ids;
  for (const auto& m : grep_o(list, R"(\[systemd_)" + service + R"(.*\] )"))
    ids.push_back(cut(cut(m, '_', 3, true), ']', 1, false));
  return ids;
}

}  // namespace

TEST_CASE("traceloopctl's 11 verbs replayed as the script sends them parse as the script parses them",
          "[serve][traceloop]") {
  const auto sock = temp_socket("traceloopctl");
  auto d = start_daemon(sock);
  TestCgroup parent("ctrace-test-traceloopctl");
  TestCgroup cg(parent, "app");
  const std::string hello = "write(fd=1, buf=\"hello\\n\", count=6) = 6";
  Workload w({"write-hello", "2"});
  cg.add(w.pid());
  // the script's CURRENT_CGROUP, as its current-cgroup helper prints it inside the unit
  const std::string current = current_cgroup_of(w.pid());
  CHECK(current == cg.path().string());

  // add-current-cgroup NAME: /add?name=${NAME}&cgrouppath=${CURRENT_CGROUP}
  auto added = traceloopctl_curl(sock, "/add?name=plain&cgrouppath=" + current);
  REQUIRE(added.code == 0);
  CHECK(json::parse(added.out).at("id") == 0);
  // add-current-cgroup-sd SERVICE INVOCATION: /add?name=systemd_${SERVICE}_${INVOCATION}&cgrouppath=...
  for (const char* inv : {"aaaa1111", "bbbb2222", "cccc3333"})
    REQUIRE(traceloopctl_curl(sock,
                              std::string("/add?name=systemd_app.service_") + inv + "&cgrouppath=" + current)
                .code == 0);
  REQUIRE(traceloopctl_curl(sock, "/add?name=systemd_db.service_dddd4444&cgrouppath=" + current).code == 0);
  w.go();
  REQUIRE(w.wait() == 0);

  // list-all: /list, printed as it comes: traceloop's lines, the cgroup path as it was added
  auto list = traceloopctl_curl(sock, "/list");
  REQUIRE(list.code == 0);
  CHECK(list.out == "0: [plain] " + current + "\n1: [systemd_app.service_aaaa1111] " + current +
                        "\n2: [systemd_app.service_bbbb2222] " + current +
                        "\n3: [systemd_app.service_cccc3333] " + current +
                        "\n4: [systemd_db.service_dddd4444] " + current + "\n");
  // list-sd-units: a count per unit
  CHECK(sd_units(list.out) == std::map<std::string, int>{{"app.service", 3}, {"db.service", 1}});
  // list-sd-traces SERVICE: the invocation ids, in /list order
  CHECK(sd_traces(list.out, "app.service") == std::vector<std::string>{"aaaa1111", "bbbb2222", "cccc3333"});
  CHECK(sd_traces(list.out, "db.service") == std::vector<std::string>{"dddd4444"});

  // dump-id ID: /dump?id=${ID}; dump-name NAME: /dump-by-name?name=${NAME}; printed as they come
  auto by_id = traceloopctl_curl(sock, "/dump?id=0");
  REQUIRE(by_id.code == 0);
  CHECK(by_id.out.rfind("# dump 1:", 0) == 0);
  CHECK(occurrences(by_id.out, hello) == 2);
  auto by_name = traceloopctl_curl(sock, "/dump-by-name?name=plain");
  REQUIRE(by_name.code == 0);
  CHECK(occurrences(by_name.out, hello) == 2);
  // dump-sd SERVICE -1: the last id of list-sd-traces, then
  // /dump-by-name?name=systemd_${SERVICE}_${INVOCATION}
  auto newest = sd_traces(traceloopctl_curl(sock, "/list").out, "app.service");
  REQUIRE(!newest.empty());
  CHECK(newest.back() == "cccc3333");
  auto sd_dump = traceloopctl_curl(sock, "/dump-by-name?name=systemd_app.service_" + newest.back());
  REQUIRE(sd_dump.code == 0);
  CHECK(occurrences(sd_dump.out, hello) == 2);
  // dump-sd SERVICE INVOCATION
  CHECK(occurrences(traceloopctl_curl(sock, "/dump-by-name?name=systemd_app.service_aaaa1111").out, hello) ==
        2);

  // close-sd SERVICE -1: /close-by-name?name=systemd_${SERVICE}_${ID} of the newest
  auto last = sd_traces(traceloopctl_curl(sock, "/list").out, "app.service");
  REQUIRE(!last.empty());
  auto closed = traceloopctl_curl(sock, "/close-by-name?name=systemd_app.service_" + last.back());
  REQUIRE(closed.code == 0);
  CHECK(json::parse(closed.out).at("closed") == "systemd_app.service_cccc3333");
  CHECK(sd_traces(traceloopctl_curl(sock, "/list").out, "app.service") ==
        std::vector<std::string>{"aaaa1111", "bbbb2222"});
  // close-sd SERVICE all: each of them, in the loop's order
  for (const auto& id : sd_traces(traceloopctl_curl(sock, "/list").out, "app.service"))
    CHECK(traceloopctl_curl(sock, "/close-by-name?name=systemd_app.service_" + id).code == 0);
  CHECK(sd_traces(traceloopctl_curl(sock, "/list").out, "app.service").empty());
  // close-sd SERVICE INVOCATION
  CHECK(traceloopctl_curl(sock, "/close-by-name?name=systemd_db.service_dddd4444").code == 0);
  CHECK(sd_units(traceloopctl_curl(sock, "/list").out).empty());

  // close-id ID: /close?id=${ID}; close-name NAME: /close-by-name?name=${NAME}
  REQUIRE(traceloopctl_curl(sock, "/add?name=second&cgrouppath=" + current).code == 0);
  auto close_id = traceloopctl_curl(sock, "/close?id=0");
  REQUIRE(close_id.code == 0);
  CHECK(json::parse(close_id.out).at("closed") == "plain");
  CHECK(traceloopctl_curl(sock, "/close-by-name?name=second").code == 0);
  CHECK(traceloopctl_curl(sock, "/list").out.empty());
  // an unknown trace fails the verb (curl -f on the 404), as a script can tell
  CHECK(traceloopctl_curl(sock, "/dump?id=0").code != 0);
  d->signal(SIGTERM);
  CHECK(d->wait() == 0);
}
