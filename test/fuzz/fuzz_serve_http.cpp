// serve's HTTP request handling: cpp-httplib's parser, the daemon's connection stream
// (SocketHttpServer::serve_connection over a socketpair), its router and every handler
// (/list /add /dump /dump-by-name /dump-by-cgroup /close /close-by-name /metrics, traceloop's
// spellings) over fake recorders: make_serve_api with a RecorderFactory that loads nothing.
// Targets resolve in the fixture cgroup tree (test/fixtures/containers).
// Input: up to 8 raw requests separated by NUL bytes, served one after the other to the
// same daemon (so that /add, then /dump and /close, can happen), which is emptied afterwards.
// Every answer must be HTTP with a JSON body where it says so, and no exception may escape
// the handlers (httplib would answer 500 with an EXCEPTION_WHAT header).
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "ctrace/commands/http_server.hpp"
#include "ctrace/commands/serve_api.hpp"
#include "ctrace/enrich/names.hpp"
#include "ctrace/probe/recorder.hpp"

namespace fs = std::filesystem;
using namespace ctrace;

namespace {

const fs::path kMount = fs::path(CTRACE_TEST_FIXTURES) / "containers/sys/fs/cgroup";

// A recording of a few calls, among them bytes that are not UTF-8, an unfinished call and
// an exit whose enter is gone.
class FakeRecorder final : public probe::TraceRecorder {
 public:
  explicit FakeRecorder(const probe::RecorderOptions& o) : opts_(o) {}
  probe::RecorderDump dump() override {
    probe::RecorderDump d;
    d.number = ++dumps_;
    int openat = enrich::SyscallNames::lookup("openat").value_or(257);
    int write = enrich::SyscallNames::lookup("write").value_or(1);
    enrich::TraceEvent e;
    e.ts_ns = 1'000'500;
    e.pid = e.tid = 42;
    e.comm = "sh\xff\xfe";
    e.nr = openat;
    e.args = {static_cast<uint64_t>(-100), 0x7ffd0000, 0x80000, 0, 0, 0};
    e.strings.push_back({1, "/etc/\xc3\x28passwd", false, false, false, {}});
    d.events.push_back(e);
    e.enter = false;
    e.ret = -2;
    e.ts_ns += 1000;
    d.events.push_back(e);
    enrich::TraceEvent w;
    w.ts_ns = 1'003'000;
    w.pid = w.tid = 43;
    w.comm = "bc";
    w.nr = write;
    w.args = {1, 0x1000, 300, 0, 0, 0};
    w.strings.push_back({1, std::string("42\n\0\x80", 5), true, false, false, {}});
    d.events.push_back(w);
    enrich::TraceEvent x = w;
    x.enter = false;
    x.tid = 44;
    x.ret = 300;
    x.ts_ns += 10;
    d.events.push_back(x);
    d.stats = stats();
    return d;
  }
  probe::RecorderStats stats() const override { return {4, 0, 0}; }
  uint64_t start_ns() const override { return 1'000'000; }
  void retarget(const target::Target&) override {}
  uint64_t capacity() const override { return opts_.size_bytes / 1024; }

 private:
  probe::RecorderOptions opts_;
  int dumps_ = 0;
};

struct Harness {
  fs::path dir_;  // the fake mounts file, removed at the end (the run leaves nothing in /tmp)
  std::unique_ptr<commands::ServeApi> daemon;
  commands::SocketHttpServer server{8};
  Harness() {
    char tmpl[] = "/tmp/ctrace-fuzz-XXXXXX";
    if (!::mkdtemp(tmpl)) std::abort();
    fs::path dir = dir_ = tmpl;
    std::ofstream(dir / "mounts") << "cgroup2 " << kMount.string() << " cgroup2 rw 0 0\n";
    target::CgroupFs cfs{kMount, dir / "mounts", dir / "proc"};
    enrich::SyscallFormats formats =
        enrich::SyscallFormats::load_dir(fs::path(CTRACE_TEST_FIXTURES) / "syscalls");
    daemon = commands::make_serve_api(cfs, formats, {},
                                      [](const target::Target&, const probe::RecorderOptions& o) {
                                        return std::make_unique<FakeRecorder>(o);
                                      });
    daemon->routes(server);
  }
  ~Harness() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
};

void check_answer(const std::string& request, const std::string& resp) {
  auto fail = [&](const char* why) {
    std::fprintf(stderr, "fuzz check failed: %s\nrequest:\n%s\nanswer:\n%s\n", why, request.c_str(),
                 resp.c_str());
    std::abort();
  };
  if (resp.empty()) return;  // the peer closed before a request line: nothing to answer
  auto head_end = resp.find("\r\n\r\n");
  if (resp.rfind("HTTP/1.1 ", 0) != 0 || head_end == std::string::npos) fail("not an HTTP answer");
  std::string head = resp.substr(0, head_end);
  if (head.find("EXCEPTION_WHAT") != std::string::npos) fail("an exception escaped the handlers");
  // answered with the headers of a GET only; httplib takes the method up to the first space or
  // line end ("HEAD\r\n…" is a HEAD too: its 400 has no body)
  bool head_request = request.rfind("HEAD", 0) == 0 &&
                      (request.size() == 4 || request[4] == ' ' || request[4] == '\r' || request[4] == '\n');
  if (!head_request && head.find("Content-Type: application/json") != std::string::npos &&
      !nlohmann::json::accept(resp.substr(head_end + 4)))
    fail("a JSON answer does not parse");
}

void serve_one(commands::SocketHttpServer& server, const std::string& request) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) std::abort();
  std::string resp;
  std::thread client([&] {
    size_t off = 0;
    while (off < request.size()) {
      ssize_t n = ::send(sv[0], request.data() + off, request.size() - off, MSG_NOSIGNAL);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
    ::shutdown(sv[0], SHUT_WR);
    char buf[65536];
    for (ssize_t n; (n = ::recv(sv[0], buf, sizeof buf, 0)) > 0;) resp.append(buf, static_cast<size_t>(n));
    ::close(sv[0]);
  });
  server.serve_connection(sv[1]);  // closes sv[1]
  client.join();
  check_answer(request, resp);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Harness h;
  std::string input(reinterpret_cast<const char*>(data), size);
  size_t start = 0;
  for (int i = 0; i < 8 && start <= input.size(); ++i) {
    size_t end = input.find('\0', start);
    if (end == std::string::npos) end = input.size();
    serve_one(h.server, input.substr(start, end - start));
    start = end + 1;
  }
  h.daemon->close_all();
  return 0;
}
