// The two ways an event reaches a formatter: a Record (record()) or its fields written straight
// into the output (start_record(), what the stream commands do): the same bytes in every format.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <functional>
#include <nlohmann/json.hpp>

#include "../helpers/stream_render.hpp"
#include "commands/openclose.hpp"
#include "commands/tcpconnect.hpp"
#include "commands/unshare.hpp"
#include "ctrace/output/formatter.hpp"

using namespace ctrace;
using namespace ctrace::commands;

namespace {

constexpr uint64_t kMono = 1000ULL * 1000000000ULL;
const WallClock kClock(1768808110LL * 1000000000LL - static_cast<int64_t>(kMono));

using Write = std::function<void(size_t, FieldSink&)>;

void check_same(const Schema& schema, size_t n, const Write& write) {
  std::string direct = test::render_events(output::Format::Json, schema, n, write, true);
  CHECK(direct == test::render_events(output::Format::Json, schema, n, write, false));
  CHECK(test::render_events(output::Format::Text, schema, n, write, true) ==
        test::render_events(output::Format::Text, schema, n, write, false));
  // every line is one JSON object of the schema's type, with no key twice
  size_t lines = 0;
  for (size_t at = 0; at < direct.size(); ++lines) {
    size_t end = direct.find('\n', at);
    std::string line = direct.substr(at, end - at);
    auto j = nlohmann::ordered_json::parse(line);
    CHECK(j["type"] == (lines < n ? schema.type : "lost"));
    CHECK(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) == line);  // no duplicate key
    at = end + 1;
  }
  CHECK(lines == n + 1);  // and the lost record
}

ctrace_task_info task_info(const char* hostname) {
  ctrace_task_info t{};
  t.ts_ns = kMono + 123456789;
  t.cgroup_id = 4242;
  t.pid = 107148;
  t.tid = 107149;
  t.uid = 100000;
  t.gid = 100001;
  std::strcpy(t.comm, "httpd");
  std::strncpy(t.hostname, hostname, sizeof t.hostname);
  return t;
}

}  // namespace

TEST_CASE("openclose events: the same output as Records and written directly", "[field_sink]") {
  std::vector<openclose_event> events;
  auto add = [&](unsigned kind, int64_t ret, const char* host = "6643ca763e3e") {
    openclose_event e{};
    e.task = task_info(host);
    e.kind = kind;
    e.ret = ret;
    e.fd = AT_FDCWD;
    events.push_back(e);
    return &events.back();
  };
  std::strcpy(add(OC_OPENAT, 5)->data, "/etc/hostname");
  std::strcpy(add(OC_OPEN, -2)->data, "relative/\"quoted\"\\path");
  std::strcpy(add(OC_OPENAT2, -13, "h\xc3\xa9te")->data, "/caf\xc3\xa9/\x01\xff");  // escapes, bad UTF-8
  add(OC_OPENAT, 3)->flags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC;
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_port = htons(8080);
  in.sin_addr.s_addr = htonl(0x7f000001);
  auto* c = add(OC_CONNECT, -111);
  std::memcpy(c->data, &in, sizeof in);
  c->addr_len = sizeof in;
  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  std::strcpy(un.sun_path, "/run/docker.sock");
  auto* a = add(OC_ACCEPT4, 7);
  std::memcpy(a->data, &un, sizeof un);
  a->addr_len = sizeof un;
  add(OC_ACCEPT, -11);
  add(OC_CLOSE, 0)->fd = 7;
  add(99, 0);  // a kind this build does not know
  for (auto precision : {TimePrecision::Seconds, TimePrecision::Nanos})
    for (auto by : {ContainerBy::Hostname, ContainerBy::CgroupId}) {
      TaskFields task(kClock, nullptr, nullptr, precision);
      OpenCloseContext ctx{&task, false, "/nonexistent"};
      check_same(openclose_schema(precision, by), events.size(),
                 [&](size_t i, FieldSink& s) { decode_openclose(events[i], ctx, s); });
    }
}

TEST_CASE("openclose ring events end after their data", "[field_sink]") {
  openclose_event full{};
  full.task = task_info("web");
  full.kind = OC_OPENAT;
  std::strcpy(full.data, "/etc/hosts");
  // what the kernel sends: the header and "/etc/hosts" with its NUL; the bytes after it are
  // another event's
  std::vector<char> ring(sizeof full + 64, 'X');
  size_t size = offsetof(openclose_event, data) + std::strlen("/etc/hosts") + 1;
  std::memcpy(ring.data(), &full, size);
  openclose_event e;
  std::memset(&e, 'Y', sizeof e);
  REQUIRE(openclose_event_from(ring.data(), size, e));
  CHECK(std::string(e.data) == "/etc/hosts");
  CHECK(std::all_of(e.data + 11, e.data + sizeof e.data, [](char c) { return c == 0; }));
  CHECK(e.task.pid == full.task.pid);
  // a close: no data at all
  REQUIRE(openclose_event_from(ring.data(), offsetof(openclose_event, data), e));
  CHECK(e.data[0] == 0);
  // shorter than the header: not an event
  CHECK_FALSE(openclose_event_from(ring.data(), offsetof(openclose_event, data) - 1, e));
  // longer than the struct (a newer kernel side): the struct's part
  std::vector<char> big(sizeof full + 16, 0);
  std::memcpy(big.data(), &full, sizeof full);
  REQUIRE(openclose_event_from(big.data(), big.size(), e));
  CHECK(std::string(e.data) == "/etc/hosts");
}

TEST_CASE("tcpconnect and unshare events: the same output as Records and written directly", "[field_sink]") {
  std::vector<tcpconnect_event> connects(2);
  for (auto& e : connects) e.task = task_info("db");
  connects[0].family = AF_INET;
  connects[0].ret = -115;
  connects[0].dport = 5432;
  inet_pton(AF_INET, "10.0.0.7", connects[0].daddr);
  connects[1].family = AF_INET6;
  connects[1].ret = 0;
  inet_pton(AF_INET6, "::1", connects[1].daddr);
  TaskFields task(kClock, nullptr, nullptr, TimePrecision::Micros);
  Schema tcp;
  tcp.type = "tcpconnect";
  tcp.columns = {time_column(TimePrecision::Micros), {"daddr", "DADDR"}, {"result", "RET"}};
  check_same(tcp, connects.size(), [&](size_t i, FieldSink& s) { decode_tcpconnect(connects[i], &task, s); });

  std::vector<unshare_event> unshares(3);
  for (auto& e : unshares) {
    e.ts_ns = kMono;
    e.cgroup_id = 4242;
    std::strcpy(e.comm, "runc:[1:CHILD]");
    std::strcpy(e.hostname, "c1");
  }
  unshares[0].call = UNSHARE_CALL_UNSHARE;
  unshares[0].flags = 0x6c020000;
  unshares[1].call = UNSHARE_CALL_SETNS;
  unshares[1].ret = -1;
  unshares[2].call = UNSHARE_CALL_CLONE;
  unshares[2].ret = 406100;
  unshares[2].flags = 0x20000011;
  UnshareDecodeContext ctx{kClock, TimePrecision::Millis,
                           [](uint64_t) { return std::string("/machine.slice/c1"); },
                           [](uint64_t) { return Value("c1"); }};
  UnshareColumns columns{TimePrecision::Millis, true, true, true, ContainerBy::Name};
  check_same(unshare_schema(columns), unshares.size(),
             [&](size_t i, FieldSink& s) { decode_unshare(unshares[i], ctx, s); });
}
