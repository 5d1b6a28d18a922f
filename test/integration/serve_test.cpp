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
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include "ctrace/commands/daemon.hpp"
#include "support.hpp"

using namespace ctrace::test;
using ctrace::commands::unix_http_request;
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

std::vector<json> json_lines(const std::string& s) {
  std::vector<json> out;
  std::istringstream in(s);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(json::parse(line));
  return out;
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

  auto m = unix_http_request(sock, "GET", "/metrics");
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
  CHECK(unix_http_request(sock, "POST", "/add?name=../etc&cgroup=" + cg.relative()).status == 400);
  CHECK(unix_http_request(sock, "POST", "/add?name=a%2Fb&cgroup=" + cg.relative()).status == 400);
  CHECK(unix_http_request(sock, "POST", "/add?name=ok").status == 400);
  CHECK(unix_http_request(sock, "POST", "/add?name=ok&cgroup_id=12x").status == 400);
  CHECK(unix_http_request(sock, "POST", "/add?name=ok&cgroup=no-such-cgroup-here").status == 400);
  CHECK(unix_http_request(sock, "GET", "/dump?name=nothere").status == 404);
  CHECK(unix_http_request(sock, "GET", "/nowhere").status == 404);
  CHECK(unix_http_request(sock, "GET", "/add?name=x").status == 404);  // POST only
  // at most 16 targets
  for (int i = 0; i < 16; ++i)
    REQUIRE(unix_http_request(sock, "POST",
                              "/add?size=1K&name=t" + std::to_string(i) + "&cgroup=" + cg.relative())
                .status == 201);
  auto full = unix_http_request(sock, "POST", "/add?size=1K&name=t16&cgroup=" + cg.relative());
  CHECK(full.status == 429);
  CHECK(full.body.find("at most 16") != std::string::npos);
  auto list = unix_http_request(sock, "GET", "/list");
  CHECK(list.status == 200);
  CHECK(json::parse(list.body).at("traces").size() == 16);
  d->signal(SIGTERM);
  CHECK(d->wait() == 0);
}

TEST_CASE("serve handles 16 concurrent clients x 100 requests", "[serve]") {
  const auto sock = temp_socket("load");
  auto d = start_daemon(sock);
  TestCgroup cg("ctrace-test-serve-load");
  REQUIRE(ctl(sock, {"add", "load", cg.relative()}).code == 0);
  std::atomic<int> ok{0}, failed{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 16; ++c)
    clients.emplace_back([&, c] {
      for (int i = 0; i < 100; ++i) {
        const char* target = (i + c) % 3 == 0 ? "/list" : (i + c) % 3 == 1 ? "/metrics" : "/dump?name=load";
        try {
          (unix_http_request(sock, "GET", target).status == 200 ? ok : failed)++;
        } catch (const std::exception&) {
          failed++;
        }
      }
    });
  for (auto& t : clients) t.join();
  CHECK(failed == 0);
  CHECK(ok == 1600);
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
