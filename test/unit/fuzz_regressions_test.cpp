// Inputs the fuzz targets (test/fuzz) crashed on, replayed through the same public entry
// points, with what must happen instead. The inputs are kept in test/fuzz/regressions/TARGET/
// (scripts/fuzz.sh also replays them as seeds).
#include <fmt/format.h>
#include <linux/types.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>

#include "ctrace/commands/dump.hpp"
#include "ctrace/commands/serve_api.hpp"
#include "ctrace/commands/serve_protocol.hpp"
#include "ctrace/core/error.hpp"
#include "ctrace/core/time.hpp"
#include "ctrace/enrich/names.hpp"
#include "ctrace/enrich/syscall_formats.hpp"
#include "ctrace/enrich/syscall_trace.hpp"
#include "ctrace/probe/recorder.hpp"
#include "ctrace/target/target.hpp"
extern "C" {
#include "bpf/record.h"
}

using namespace ctrace;
namespace fs = std::filesystem;

namespace {

std::string regression(const std::string& target, const std::string& name) {
  std::ifstream in(std::string(CTRACE_TEST_FIXTURES) + "/../fuzz/regressions/" + target + "/" + name,
                   std::ios::binary);
  REQUIRE(in);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// One request to a daemon's server over a socketpair, as a client would send it; the answer.
std::string serve_request(commands::SocketHttpServer& server, const std::string& request) {
  int sv[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
  std::string answer;
  std::thread client([&] {
    (void)!::send(sv[0], request.data(), request.size(), MSG_NOSIGNAL);
    ::shutdown(sv[0], SHUT_WR);
    char buf[4096];
    for (ssize_t n; (n = ::recv(sv[0], buf, sizeof buf, 0)) > 0;) answer.append(buf, static_cast<size_t>(n));
    ::close(sv[0]);
  });
  server.serve_connection(sv[1]);
  client.join();
  return answer;
}

// serve's daemon over the fixture cgroup tree, routed on a server; it never records.
struct ServedDaemon {
  target::CgroupFs cfs{std::string(CTRACE_TEST_FIXTURES) + "/containers/sys/fs/cgroup", "/nonexistent",
                       "/proc"};
  std::unique_ptr<commands::ServeApi> daemon =
      commands::make_serve_api(cfs, {}, {}, [](const target::Target&, const probe::RecorderOptions&) {
        FAIL("no recording is started");
        return std::unique_ptr<probe::TraceRecorder>();
      });
  commands::SocketHttpServer server;
  ServedDaemon() { daemon->routes(server); }
};

}  // namespace

TEST_CASE("fuzz_syscall_format: a format with more than 6 fields captures no length from a 7th", "[fuzz]") {
  // sys_enter_connect mangled into 7 arguments, `struct sockaddr *` 6th and `int addrlen` 7th:
  // record told the kernel to take the sockaddr's length from args[6] (past the 6 it has), and
  // the decoder read it there.
  auto f = enrich::parse_syscall_format(
      regression("fuzz_syscall_format", "crash-cd5740584e033053b44c0e4a55e716689f34792e"));
  REQUIRE(f);
  REQUIRE(f->args.size() > RECORD_MAX_ARGS);
  enrich::SyscallFormats formats;
  formats.add(42, *f);
  probe::RecordDecoder decoder(formats, 256);
  const record_argspec& spec = decoder.spec(42);
  for (int i = 0; i < RECORD_MAX_STRS; ++i) {
    CHECK(spec.arg[i] < RECORD_MAX_ARGS);
    CHECK(spec.len_arg[i] < RECORD_MAX_ARGS);
  }
}

TEST_CASE("fuzz_serve_http: a request path that is not UTF-8 gets a JSON 404, the daemon lives on",
          "[fuzz]") {
  // "POST /ad\xff...\xffd?name=../x": the 404 message quotes the path, and dumping it as JSON
  // threw in httplib's error handler, where nothing catches it: serve died (std::terminate).
  std::string request = regression("fuzz_serve_http", "crash-d326453a00189768bec0dfa9a687f60f2b789439");
  ServedDaemon d;
  auto& server = d.server;
  for (int i = 0; i < 2; ++i) {  // the same server answers again
    std::string answer = serve_request(server, request);
    REQUIRE(answer.rfind("HTTP/1.1 404", 0) == 0);
    auto body = nlohmann::json::parse(answer.substr(answer.find("\r\n\r\n") + 4));
    std::string error = body.at("error");
    CHECK(error.find("no route POST /ad\xef\xbf\xbd") == 0);  // U+FFFD for each byte that is not UTF-8
  }
  std::string list = serve_request(server, "GET /list HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(list.rfind("HTTP/1.1 200", 0) == 0);
}

TEST_CASE("fuzz_serve_http: a Range header is ignored: answers come whole, errors too", "[fuzz]") {
  // "GET /status" with "Range: bytes=0-3" (input in test/fuzz/regressions/fuzz_serve_http/):
  // httplib cut the JSON 404 to `{"er` and kept the 404, with a Content-Range.
  std::string request = regression("fuzz_serve_http", "crash-a6e9c5ae149eff1727dc33b4aaff37fa58ff6861");
  ServedDaemon d;
  auto& server = d.server;
  auto whole = [](const std::string& answer) {
    auto head_end = answer.find("\r\n\r\n");
    REQUIRE(head_end != std::string::npos);
    CHECK(answer.substr(0, head_end).find("Content-Range") == std::string::npos);
    return nlohmann::json::parse(answer.substr(head_end + 4));  // throws on a cut body
  };
  std::string missing = serve_request(server, request);
  REQUIRE(missing.rfind("HTTP/1.1 404", 0) == 0);
  CHECK(whole(missing).at("error").get<std::string>().find("no route GET /status") == 0);
  std::string list =
      serve_request(server, "GET /list?format=json HTTP/1.1\r\nHost: x\r\nRange: bytes=1-2,4-5\r\n\r\n");
  REQUIRE(list.rfind("HTTP/1.1 200", 0) == 0);  // not 206
  CHECK(whole(list).at("traces").is_array());
}

TEST_CASE("fuzz_decoders: a record slot naming a 7th or later argument is not rendered from it", "[fuzz]") {
  // A slot whose captured string says it belongs to argument 146 (the kernel writes 0-5; the
  // input is in test/fuzz/regressions/fuzz_decoders/): the text of the resumed call indexed
  // the 6 arguments with it.
  enrich::SyscallFormats formats =
      enrich::SyscallFormats::load_dir(std::string(CTRACE_TEST_FIXTURES) + "/syscalls");
  probe::RecordDecoder decoder(formats, 64);
  record_event e{};
  e.ts_ns = 1000;
  e.tgid = e.tid = 42;
  e.nr = static_cast<uint32_t>(enrich::SyscallNames::lookup("read").value_or(0));
  e.kind = RECORD_EXIT;
  e.ret = 3;
  e.str_meta[0] = {3, 146, RECORD_CAPTURE_BUF_OUT, {}};
  e.str_meta[1] = {3, 1, RECORD_CAPTURE_BUF_OUT, {}};
  std::memcpy(e.str[0], "bad", 3);
  std::memcpy(e.str[1], "42\n", 3);
  auto t = decoder.decode(e, 0);
  REQUIRE(t.strings.size() == 1);
  CHECK(t.strings[0].arg == 1);
  enrich::SyscallNames names(512);
  enrich::TraceContext ctx{names, formats, 0};
  std::string text = commands::render_dump(output::Format::Text, {1, 1, 1, 0, 0, 0}, {t}, ctx);
  CHECK(text.find("[] ...read(buf=\"42\\n\") = 3\n") != std::string::npos);
  CHECK(text.find("bad") == std::string::npos);
}

TEST_CASE("fuzz_decoders: a timestamp near 2^63 wraps to the wall clock, no signed overflow", "[fuzz]") {
  // unshare event with ts_ns 0x7fffffffffffffff (input in test/fuzz/regressions/fuzz_decoders/):
  // mono + offset overflowed an int64_t (undefined behaviour; UBSan stops the ASan build).
  WallClock clock(124000000868LL);
  CHECK(clock.to_wall_ns(INT64_MAX) == INT64_MIN + 124000000867LL);
  CHECK(clock.to_wall_ns(1000) == 124000001868LL);
  CHECK(WallClock(-5000).to_wall_ns(1000) == -4000);
}

TEST_CASE("fuzz_decoders: a record dump with wall timestamps near 2^63 wraps, no signed overflow", "[fuzz]") {
  // record slots with ts_ns 9223372036854713356 and a wall offset of 75000000525 (input in
  // test/fuzz/regressions/fuzz_decoders/crash-6dc8…): the dump's wall time added them as int64_t.
  enrich::SyscallNames names(512);
  enrich::SyscallFormats formats;
  enrich::TraceEvent e;
  e.ts_ns = 9223372036854713356ULL;
  e.pid = e.tid = 42;
  e.nr = 39;  // getpid
  e.enter = false;
  enrich::TraceContext ctx{names, formats, 0, enrich::TimestampFormat::Wall, WallClock(75000000525LL)};
  std::string text = commands::render_dump(output::Format::Text, {1, 1, 1, 0, 0, 0}, {e}, ctx);
  std::string wrapped = format_utc(WallClock(75000000525LL).to_wall_ns(e.ts_ns), TimePrecision::Nanos);
  CHECK(text.find(wrapped + " cpu#0 pid 42") != std::string::npos);
}

TEST_CASE("fuzz_cgroup_parse: -p of a process whose cgroup name is too long for a path is a usage error",
          "[fuzz]") {
  // regressions/fuzz_cgroup_parse/crash-fc45…: a /proc/PID/cgroup line with a name of more than
  // 255 bytes made std::filesystem::is_directory throw (ENAMETOOLONG) out of target::resolve
  auto scratch = fs::temp_directory_path() / fmt::format("ctrace-fuzz-regression-{}", ::getpid());
  fs::create_directories(scratch / "proc/1");
  fs::create_directories(scratch / "cgroup");
  std::string line = regression("fuzz_cgroup_parse", "crash-fc4570a80f371c467b2ad1e3e3414efcf6122ffe");
  std::ofstream(scratch / "proc/1/cgroup") << "0::/" << std::string(300, 'a') << "\n";
  target::CgroupFs cfs{scratch / "cgroup", scratch / "mounts", scratch / "proc"};
  target::TargetOptions opts;
  opts.pid = 1;
  CHECK_THROWS_AS(target::resolve(opts, cfs), UsageError);
  // the input the fuzzer found, through the same entry point
  std::ofstream(scratch / "proc/1/cgroup") << line;
  CHECK_THROWS_AS(target::resolve(opts, cfs), UsageError);
  fs::remove_all(scratch);
}
