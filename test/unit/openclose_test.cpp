// Decoders of openclose and tcpconnect on synthetic events: no kernel needed.
#include "commands/openclose.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "commands/tcpconnect.hpp"
#include "ctrace/enrich/sockaddr.hpp"
#include "ctrace/output/formatter.hpp"

using namespace ctrace;
using namespace ctrace::commands;

namespace {

// 2026-01-19T07:35:10Z is 1768808110 s after the epoch; the kernel clock says 1000 s.
constexpr int64_t kWall = 1768808110LL * 1000000000LL;
constexpr uint64_t kMono = 1000ULL * 1000000000ULL;
const WallClock kClock(kWall - static_cast<int64_t>(kMono));

ctrace_task_info task_info() {
  ctrace_task_info t{};
  t.ts_ns = kMono;
  t.cgroup_id = 4242;
  t.pid = 107148;
  t.tid = 107149;
  t.uid = 100000;
  t.gid = 100001;
  t.uts_inum = 4026532000u;
  std::strcpy(t.comm, "httpd");
  std::strcpy(t.hostname, "6643ca763e3e");
  return t;
}

openclose_event event(unsigned kind, int64_t ret) {
  openclose_event e{};
  e.task = task_info();
  e.kind = kind;
  e.ret = ret;
  e.fd = -1;
  return e;
}

template <typename Sockaddr>
void put_addr(openclose_event& e, const Sockaddr& a, size_t len = sizeof(Sockaddr)) {
  std::memcpy(e.data, &a, len);
  e.addr_len = static_cast<uint32_t>(len);
}

std::string str(const Record& r, const std::string& key) {
  const auto* v = r.get(key);
  REQUIRE(v);
  return output::format_text(*v, {});
}

std::string json_line(const Record& r, const std::string& type) {
  char* buf = nullptr;
  size_t size = 0;
  std::FILE* f = ::open_memstream(&buf, &size);
  {
    auto fmt = output::make_formatter(output::Format::Json, f);
    fmt->begin({type, {}});
    fmt->record(r);
    fmt->end();
  }
  std::fclose(f);
  std::string s(buf, size);
  std::free(buf);
  return s;
}

}  // namespace

TEST_CASE("sockaddr: IPv4, IPv6, unix path, abstract, unnamed, short", "[sockaddr]") {
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_port = htons(51234);
  inet_pton(AF_INET, "172.17.0.1", &in.sin_addr);
  auto a = enrich::decode_sockaddr(&in, sizeof in);
  REQUIRE(a);
  CHECK(a->text() == "172.17.0.1:51234");
  CHECK(a->port == 51234);
  CHECK_FALSE(enrich::decode_sockaddr(&in, 8));

  sockaddr_in6 in6{};
  in6.sin6_family = AF_INET6;
  in6.sin6_port = htons(443);
  inet_pton(AF_INET6, "2001:db8::1", &in6.sin6_addr);
  a = enrich::decode_sockaddr(&in6, sizeof in6);
  REQUIRE(a);
  CHECK(a->text() == "[2001:db8::1]:443");
  CHECK(a->address == "2001:db8::1");

  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  std::strcpy(un.sun_path, "/run/app.sock");
  a = enrich::decode_sockaddr(&un, offsetof(sockaddr_un, sun_path) + std::strlen(un.sun_path) + 1);
  REQUIRE(a);
  CHECK(a->text() == "unix:/run/app.sock");

  sockaddr_un abs{};
  abs.sun_family = AF_UNIX;
  std::memcpy(abs.sun_path, "\0dbus-x", 7);
  a = enrich::decode_sockaddr(&abs, offsetof(sockaddr_un, sun_path) + 7);
  REQUIRE(a);
  CHECK(a->text() == "unix:@dbus-x");

  a = enrich::decode_sockaddr(&un, sizeof(sa_family_t));
  REQUIRE(a);
  CHECK(a->text() == "unix:(unnamed)");
  CHECK_FALSE(enrich::decode_sockaddr(&un, 1));
}

TEST_CASE("openclose decodes opens: path, fd, errno name, flags", "[openclose]") {
  TaskFields task(kClock, nullptr);
  OpenCloseContext ctx{&task};
  auto e = event(OC_OPENAT, 5);
  std::strcpy(e.data, "/usr/local/apache2/htdocs/index.html");
  e.fd = AT_FDCWD;
  e.flags = O_RDONLY | O_CLOEXEC;
  auto r = decode_openclose(e, ctx);
  CHECK(str(r, "time") == "2026-01-19T07:35:10Z");
  CHECK(str(r, "hostname") == "6643ca763e3e");
  CHECK(str(r, "syscall") == "openat");
  CHECK(str(r, "result") == "5");
  CHECK(str(r, "detail") == "/usr/local/apache2/htdocs/index.html");
  CHECK(r.get("full_path") == nullptr);
  // strace's spelling, from the table record shares (enrich/flags)
  REQUIRE(r.get("flags_names"));
  CHECK(std::get<Strings>(r.get("flags_names")->v) == Strings{"O_RDONLY", "O_CLOEXEC"});

  auto fail = event(OC_OPEN, -ENOENT);
  std::strcpy(fail.data, "missing");
  r = decode_openclose(fail, ctx);
  CHECK(str(r, "syscall") == "open");
  CHECK(str(r, "ret") == "-2");
  CHECK(str(r, "result") == "-ENOENT");
  CHECK(str(r, "path") == "missing");
  CHECK(r.get("dirfd") == nullptr);

  auto perm = event(OC_OPENAT2, -EACCES);
  CHECK(str(decode_openclose(perm, ctx), "result") == "-EACCES");

  // the same context, the flags changing from event to event (the last list is kept)
  auto names = [&](uint64_t flags) {
    e.flags = flags;
    return std::get<Strings>(decode_openclose(e, ctx).get("flags_names")->v);
  };
  CHECK(names(O_WRONLY | O_CREAT | O_TRUNC) == Strings{"O_WRONLY", "O_CREAT", "O_TRUNC"});
  CHECK(names(O_WRONLY | O_CREAT | O_TRUNC) == Strings{"O_WRONLY", "O_CREAT", "O_TRUNC"});
  CHECK(names(O_RDONLY) == Strings{"O_RDONLY"});
  CHECK(names(O_RDONLY | O_CLOEXEC) == Strings{"O_RDONLY", "O_CLOEXEC"});
}

TEST_CASE("openclose decodes accept, connect (v4, v6, unix) and close", "[openclose]") {
  TaskFields task(kClock, nullptr);
  OpenCloseContext ctx{&task};

  auto acc = event(OC_ACCEPT4, 6);
  acc.fd = 3;
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_port = htons(51234);
  inet_pton(AF_INET, "172.17.0.1", &in.sin_addr);
  put_addr(acc, in);
  auto r = decode_openclose(acc, ctx);
  CHECK(str(r, "detail") == "172.17.0.1:51234");
  CHECK(str(r, "family") == "inet");
  CHECK(str(r, "port") == "51234");
  CHECK(str(r, "fd") == "3");

  auto con = event(OC_CONNECT, -ECONNREFUSED);
  sockaddr_in6 in6{};
  in6.sin6_family = AF_INET6;
  in6.sin6_port = htons(8080);
  inet_pton(AF_INET6, "::1", &in6.sin6_addr);
  put_addr(con, in6);
  r = decode_openclose(con, ctx);
  CHECK(str(r, "detail") == "[::1]:8080");
  CHECK(str(r, "result") == "-ECONNREFUSED");

  auto unix_con = event(OC_CONNECT, 0);
  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  std::strcpy(un.sun_path, "/run/docker.sock");
  put_addr(unix_con, un);
  CHECK(str(decode_openclose(unix_con, ctx), "detail") == "unix:/run/docker.sock");

  auto no_addr = event(OC_ACCEPT, -EAGAIN);
  no_addr.fd = 7;
  r = decode_openclose(no_addr, ctx);
  CHECK(str(r, "detail") == "fd=7");
  CHECK(str(r, "result") == "-EAGAIN");

  auto cl = event(OC_CLOSE, -EBADF);
  cl.fd = 99;
  r = decode_openclose(cl, ctx);
  CHECK(str(r, "detail") == "fd=99");
  CHECK(str(r, "result") == "-EBADF");
}

TEST_CASE("openclose --full-path resolves through a proc tree", "[openclose]") {
  namespace fs = std::filesystem;
  fs::path proc = fs::temp_directory_path() / ("ctrace-proc-" + std::to_string(::getpid()));
  fs::remove_all(proc);
  fs::create_directories(proc / "42" / "fd");
  fs::create_directory_symlink("/srv/www", proc / "42" / "cwd");
  fs::create_directory_symlink("/etc/nginx", proc / "42" / "fd" / "7");

  CHECK(resolve_full_path(proc, 42, AT_FDCWD, "html/../index.html") == "/srv/www/index.html");
  CHECK(resolve_full_path(proc, 42, 7, "nginx.conf") == "/etc/nginx/nginx.conf");
  CHECK(resolve_full_path(proc, 42, AT_FDCWD, "/abs/path") == "/abs/path");
  CHECK(resolve_full_path(proc, 43, AT_FDCWD, "gone") == "gone");  // the task exited

  TaskFields task(kClock, nullptr);
  OpenCloseContext ctx{&task, true, proc};
  auto e = event(OC_OPENAT, 3);
  e.task.pid = 42;
  e.fd = AT_FDCWD;
  std::strcpy(e.data, "index.html");
  auto r = decode_openclose(e, ctx);
  CHECK(str(r, "path") == "index.html");
  CHECK(str(r, "full_path") == "/srv/www/index.html");
  CHECK(str(r, "detail") == "/srv/www/index.html");
  fs::remove_all(proc);
}

TEST_CASE("openclose JSON golden line", "[openclose][json]") {
  TaskFields task(kClock, nullptr);
  auto e = event(OC_OPENAT, -ENOENT);
  e.fd = AT_FDCWD;
  std::strcpy(e.data, "/nonexistent");
  CHECK(
      json_line(decode_openclose(e, {&task}), "openclose") ==
      R"({"type":"openclose","time":"2026-01-19T07:35:10Z","ts_ns":1768808110000000000,"hostname":"6643ca763e3e",)"
      R"("cgroup_id":4242,"pid":107148,"tid":107149,"uid":100000,"gid":100001,"comm":"httpd","syscall":"openat",)"
      R"("ret":-2,"result":"-ENOENT","path":"/nonexistent","flags":0,"flags_names":["O_RDONLY"],"dirfd":-100,)"
      R"("detail":"/nonexistent"})"
      "\n");
}

TEST_CASE("tcpconnect decodes IPv4 and IPv6 4-tuples and results", "[tcpconnect]") {
  TaskFields task(kClock, nullptr);
  tcpconnect_event e{};
  e.task = task_info();
  e.family = AF_INET;
  e.sport = 40000;
  e.dport = 8080;
  inet_pton(AF_INET, "192.168.160.3", e.saddr);
  inet_pton(AF_INET, "192.168.160.2", e.daddr);
  e.ret = 0;
  e.outcome = TCPCONNECT_OK;
  e.start_ns = 1000000;
  e.outcome_ns = 1250000;  // 0.25 ms after the SYN
  auto r = decode_tcpconnect(e, &task);
  CHECK(str(r, "ip") == "4");
  CHECK(str(r, "saddr") == "192.168.160.3");
  CHECK(str(r, "daddr") == "192.168.160.2");
  CHECK(str(r, "dport") == "8080");
  CHECK(str(r, "result") == "0");
  CHECK(
      json_line(r, "tcpconnect") ==
      R"({"type":"tcpconnect","time":"2026-01-19T07:35:10Z","ts_ns":1768808110000000000,"hostname":"6643ca763e3e",)"
      R"("cgroup_id":4242,"pid":107148,"tid":107149,"uid":100000,"gid":100001,"comm":"httpd","ip":4,)"
      R"("saddr":"192.168.160.3","sport":40000,"daddr":"192.168.160.2","dport":8080,"ret":0,"result":"0",)"
      R"("outcome":"ok","latency_ms":0.25})"
      "\n");

  tcpconnect_event v6{};
  v6.task = task_info();
  v6.family = AF_INET6;
  inet_pton(AF_INET6, "::1", v6.saddr);
  inet_pton(AF_INET6, "::1", v6.daddr);
  v6.dport = 9;
  v6.ret = -ECONNREFUSED;
  r = decode_tcpconnect(v6, &task);
  CHECK(str(r, "ip") == "6");
  CHECK(str(r, "daddr") == "::1");
  CHECK(str(r, "result") == "-ECONNREFUSED");
  v6.ret = -EINPROGRESS;
  CHECK(str(decode_tcpconnect(v6, &task), "result") == "-EINPROGRESS");
  // a non-blocking connect refused later: the socket's error, a latency; one still pending: none
  v6.outcome = TCPCONNECT_REFUSED;
  v6.err = ECONNREFUSED;
  v6.start_ns = 1000;
  v6.outcome_ns = 2000;
  r = decode_tcpconnect(v6, &task);
  CHECK(str(r, "outcome") == "refused");
  CHECK(str(r, "err") == "ECONNREFUSED");
  CHECK(std::get<double>(r.get("latency_ms")->v) == Approx(0.001));
  v6.outcome = TCPCONNECT_UNKNOWN;
  v6.err = 0;
  r = decode_tcpconnect(v6, &task);
  CHECK(str(r, "outcome") == "unknown");
  CHECK(r.get("err") == nullptr);
  CHECK(r.get("latency_ms")->is_null());
}
