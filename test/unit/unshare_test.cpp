// ctrace unshare: raw event -> Record -> text/json, without a kernel.
#include "commands/unshare.hpp"

#include <stdio.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <nlohmann/json.hpp>

#include "ctrace/output/formatter.hpp"

using namespace ctrace;
using namespace ctrace::commands;

namespace {

// 2026-04-21T10:42:32.123456789Z is 5 s of kernel time after boot + this offset.
constexpr int64_t kWallNs = 1776768152123456789LL;
constexpr uint64_t kMonoNs = 5000000000ULL;

UnshareDecodeContext context(TimePrecision p = TimePrecision::Seconds) {
  return {WallClock(kWallNs - static_cast<int64_t>(kMonoNs)), p,
          [](uint64_t id) { return id == 4242 ? std::string("/ctr/c1") : std::string("/"); }};
}

unshare_event event(uint32_t call, uint64_t flags, int64_t ret) {
  unshare_event e{};
  e.ts_ns = kMonoNs;
  e.cgroup_id = 4242;
  e.flags = flags;
  e.ret = ret;
  e.pid = 406020;
  e.tid = 406023;
  e.call = call;
  std::strcpy(e.comm, "runc:[1:CHILD]");
  std::strcpy(e.hostname, "c1");
  return e;
}

Schema schema() {
  Schema s;
  s.type = "unshare";
  s.columns = {{"time", "TIME", Align::Left, -1, "", 20},
               {"tid", "TID", Align::Right, -1, "", 7},
               {"comm", "COMM", Align::Left, -1, "", 16},
               {"ret", "RET", Align::Right, -1, "", 4},
               {"flags", "FLAGS", Align::Left, -1, "", 10, true},
               {"flags_names", "FLAGS(human)", Align::Left, -1, "", 44},
               {"cgroup", "CONTAINER", Align::Left}};
  return s;
}

// Renders records with a real formatter into a string.
std::string render(output::Format f, const std::vector<Record>& records) {
  char* buf = nullptr;
  size_t len = 0;
  FILE* out = ::open_memstream(&buf, &len);
  {
    auto fmt = output::make_formatter(f, out);
    fmt->begin(schema());
    for (const auto& r : records) fmt->record(r);
    fmt->end();
  }
  std::fclose(out);
  std::string s(buf, len);
  std::free(buf);
  return s;
}

}  // namespace

TEST_CASE("a successful unshare decodes to the documented JSON line", "[unshare][decode]") {
  auto r = decode_unshare(event(UNSHARE_CALL_UNSHARE, 0x6c020000, 0), context());
  CHECK(render(output::Format::Json, {r}) ==
        R"({"type":"unshare","time":"2026-04-21T10:42:32Z","ts_ns":1776768152123456789,"tid":406023,)"
        R"("pid":406020,"comm":"runc:[1:CHILD]","call":"unshare","ret":0,"errno":null,"flags":1812070400,)"
        R"("flags_names":["CLONE_NEWNS","CLONE_NEWUTS","CLONE_NEWIPC","CLONE_NEWPID","CLONE_NEWNET"],)"
        R"("cgroup_id":4242,"cgroup":"/ctr/c1","hostname":"c1"})"
        "\n");
}

TEST_CASE("a failed call shows RET -1 and the errno name", "[unshare][decode]") {
  auto r = decode_unshare(event(UNSHARE_CALL_UNSHARE, 0x02020000, -1 /* -EPERM */), context());
  CHECK(
      render(output::Format::Json, {r}) ==
      R"({"type":"unshare","time":"2026-04-21T10:42:32Z","ts_ns":1776768152123456789,"tid":406023,)"
      R"("pid":406020,"comm":"runc:[1:CHILD]","call":"unshare","ret":-1,"errno":"EPERM","flags":33685504,)"
      R"("flags_names":["CLONE_NEWNS","CLONE_NEWCGROUP"],"cgroup_id":4242,"cgroup":"/ctr/c1","hostname":"c1"})"
      "\n");
  CHECK(std::get<std::string>(
            decode_unshare(event(UNSHARE_CALL_UNSHARE, 1, -22), context()).get("errno")->v) == "EINVAL");
}

TEST_CASE("text lines are aligned on the column widths", "[unshare][decode]") {
  auto ok = decode_unshare(event(UNSHARE_CALL_UNSHARE, 0x6c020000, 0), context());
  auto e = event(UNSHARE_CALL_UNSHARE, 0x02020000, -1);
  e.cgroup_id = 1;
  std::strcpy(e.comm, "unshare");
  auto failed = decode_unshare(e, context());
  CHECK(render(output::Format::Text, {ok, failed}) ==
        "TIME                     TID COMM              RET FLAGS      FLAGS(human)                          "
        "       CONTAINER\n"
        "2026-04-21T10:42:32Z  406023 runc:[1:CHILD]      0 0x6c020000 CLONE_NEWNS | CLONE_NEWUTS | "
        "CLONE_NEWIPC | CLONE_NEWPID | CLONE_NEWNET /ctr/c1\n"
        "2026-04-21T10:42:32Z  406023 unshare            -1 0x02020000 CLONE_NEWNS | CLONE_NEWCGROUP         "
        "       /\n");
}

TEST_CASE("setns carries nstype and the fd's namespace kind", "[unshare][decode]") {
  auto e = event(UNSHARE_CALL_SETNS, 0x04000000, 0);
  e.fd_ns_type = 0x04000000;
  auto j = nlohmann::json::parse(render(output::Format::Json, {decode_unshare(e, context())}));
  CHECK(j.at("call") == "setns");
  CHECK(j.at("flags_names") == nlohmann::json::array({"CLONE_NEWUTS"}));
  CHECK(j.at("fd_ns") == "uts");
  e.fd_ns_type = 0;  // a pidfd: no single kind
  j = nlohmann::json::parse(render(output::Format::Json, {decode_unshare(e, context())}));
  CHECK(j.at("fd_ns").is_null());
  // only setns has fd_ns
  j = nlohmann::json::parse(
      render(output::Format::Json, {decode_unshare(event(UNSHARE_CALL_UNSHARE, 0x80, 0), context())}));
  CHECK_FALSE(j.contains("fd_ns"));
  CHECK(j.at("flags_names") == nlohmann::json::array({"CLONE_NEWTIME"}));
}

TEST_CASE("clone shows the child's pid and its exit signal", "[unshare][decode]") {
  auto r = decode_unshare(event(UNSHARE_CALL_CLONE, 0x20000011, 406100), context());
  CHECK(std::get<int64_t>(r.get("ret")->v) == 406100);
  CHECK(r.get("errno")->is_null());
  CHECK(std::get<Strings>(r.get("flags_names")->v) == Strings{"CLONE_NEWPID", "SIGCHLD"});
  auto r3 = decode_unshare(event(UNSHARE_CALL_CLONE3, 0x20000080, 406101), context());
  CHECK(std::get<std::string>(r3.get("call")->v) == "clone3");
  CHECK(std::get<Strings>(r3.get("flags_names")->v) == Strings{"CLONE_NEWTIME", "CLONE_NEWPID"});
}

TEST_CASE("kernel timestamps become wall-clock UTC at the asked precision", "[unshare][decode][time]") {
  auto time_at = [](TimePrecision p, uint64_t mono) {
    auto e = event(UNSHARE_CALL_UNSHARE, 0x04000000, 0);
    e.ts_ns = mono;
    return std::get<std::string>(decode_unshare(e, context(p)).get("time")->v);
  };
  CHECK(time_at(TimePrecision::Seconds, kMonoNs) == "2026-04-21T10:42:32Z");
  CHECK(time_at(TimePrecision::Millis, kMonoNs) == "2026-04-21T10:42:32.123Z");
  CHECK(time_at(TimePrecision::Micros, kMonoNs) == "2026-04-21T10:42:32.123456Z");
  CHECK(time_at(TimePrecision::Nanos, kMonoNs) == "2026-04-21T10:42:32.123456789Z");
  // 1.9 s later crosses a second; truncation, not rounding
  CHECK(time_at(TimePrecision::Seconds, kMonoNs + 1900000000ULL) == "2026-04-21T10:42:34Z");
  CHECK(time_at(TimePrecision::Millis, kMonoNs + 876543211ULL) == "2026-04-21T10:42:33.000Z");
  auto e = event(UNSHARE_CALL_UNSHARE, 0, 0);
  CHECK(std::get<int64_t>(decode_unshare(e, context()).get("ts_ns")->v) == kWallNs);
}

TEST_CASE("comm and hostname stop at their bounds even without a NUL", "[unshare][decode]") {
  auto e = event(UNSHARE_CALL_UNSHARE, 0x04000000, 0);
  std::memset(e.comm, 'c', sizeof e.comm);
  std::memset(e.hostname, 'h', sizeof e.hostname);
  auto r = decode_unshare(e, context());
  CHECK(std::get<std::string>(r.get("comm")->v) == std::string(16, 'c'));
  CHECK(std::get<std::string>(r.get("hostname")->v) == std::string(65, 'h'));
}
