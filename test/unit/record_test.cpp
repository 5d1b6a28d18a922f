// ctrace record without a kernel: format files, argument rendering, escaping, pairing.
#include <fcntl.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "ctrace/commands/command.hpp"
#include "ctrace/commands/dump.hpp"
#include "ctrace/core/error.hpp"
#include "ctrace/enrich/names.hpp"
#include "ctrace/enrich/syscall_formats.hpp"
#include "ctrace/enrich/syscall_trace.hpp"
#include "ctrace/output/formatter.hpp"
#include "ctrace/probe/recorder.hpp"

using namespace ctrace;
using enrich::ArgCapture;
using enrich::TraceEvent;
using enrich::TraceString;

namespace {

const std::string kFixtures = std::string(CTRACE_TEST_FIXTURES) + "/syscalls";

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TraceEvent enter(int nr, std::array<uint64_t, 6> args, uint64_t ts = 1000, uint32_t tid = 42) {
  TraceEvent e;
  e.ts_ns = ts;
  e.pid = e.tid = tid;
  e.comm = "work";
  e.nr = nr;
  e.enter = true;
  e.args = args;
  return e;
}

TraceEvent exit_of(const TraceEvent& in, int64_t ret, uint64_t ts) {
  TraceEvent e = in;
  e.enter = false;
  e.ret = ret;
  e.ts_ns = ts;
  e.strings.clear();
  return e;
}

// Records through a formatter, as record and serve write them, without the final newline.
std::string render(output::Format format, const std::vector<Record>& records) {
  std::string out = output::render_to_string(format, [&](output::Formatter& f) {
    f.begin(enrich::trace_schema());
    for (const auto& r : records) f.record(r);
  });
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

struct Fixture {
  enrich::SyscallNames names{512};
  enrich::SyscallFormats formats = enrich::SyscallFormats::load_dir(kFixtures);
  enrich::TraceContext ctx{names, formats, 0};

  std::string text(const enrich::TraceCall& c) {
    return render(output::Format::Text, {enrich::call_record(c, ctx)});
  }
  std::string json(const enrich::TraceCall& c) {
    return render(output::Format::Json, {enrich::call_record(c, ctx)});
  }

  std::string line(const std::vector<TraceEvent>& ev, size_t i = 0) {
    auto calls = enrich::pair_calls(ev);
    REQUIRE(calls.size() > i);
    return text(calls[i]);
  }
};

}  // namespace

TEST_CASE("a syscall format file gives argument names and types and captures", "[record][formats]") {
  auto openat = enrich::parse_syscall_format(slurp(kFixtures + "/sys_enter_openat/format"));
  REQUIRE(openat);
  CHECK(openat->name == "openat");
  REQUIRE(openat->args.size() == 4);
  CHECK(openat->args[0].name == "dfd");
  CHECK(openat->args[0].type == "int");
  CHECK(openat->args[1].name == "filename");
  CHECK(openat->args[1].type == "const char *");
  CHECK(openat->args[1].capture == ArgCapture::CString);
  CHECK(openat->args[2].capture == ArgCapture::None);
  CHECK(openat->args[3].type == "umode_t");

  auto write = enrich::parse_syscall_format(slurp(kFixtures + "/sys_enter_write/format"));
  REQUIRE(write);
  CHECK(write->args[1].capture == ArgCapture::BufferIn);
  CHECK(write->args[1].len_arg == 2);
  auto read = enrich::parse_syscall_format(slurp(kFixtures + "/sys_enter_read/format"));
  REQUIRE(read);
  CHECK(read->args[1].capture == ArgCapture::BufferOut);

  auto rename = enrich::parse_syscall_format(slurp(kFixtures + "/sys_enter_rename/format"));
  REQUIRE(rename);
  CHECK(rename->args[0].capture == ArgCapture::CString);
  CHECK(rename->args[1].capture == ArgCapture::CString);

  auto execve = enrich::parse_syscall_format(slurp(kFixtures + "/sys_enter_execve/format"));
  REQUIRE(execve);
  CHECK(execve->args[0].capture == ArgCapture::CString);
  CHECK(execve->args[1].name == "argv");
  CHECK(execve->args[1].type == "const char *const *");
  CHECK(execve->args[1].capture == ArgCapture::Argv);
  CHECK(execve->args[2].capture == ArgCapture::None);  // envp: a pointer, as strace shows it

  auto getppid = enrich::parse_syscall_format(slurp(kFixtures + "/sys_enter_getppid/format"));
  REQUIRE(getppid);
  CHECK(getppid->args.empty());

  CHECK_FALSE(enrich::parse_syscall_format(slurp(kFixtures + "/sys_exit_read/format")));
  CHECK_FALSE(enrich::parse_syscall_format("garbage\n"));
}

TEST_CASE("the formats of a directory are keyed by syscall nr", "[record][formats]") {
  auto f = enrich::SyscallFormats::load_dir(kFixtures);
  CHECK(f.size() == 12);
  REQUIRE(f.find(257));
  CHECK(f.find(257)->name == "openat");
  CHECK(f.find(1)->name == "write");
  CHECK_FALSE(f.find(2));  // open: no fixture
}

TEST_CASE("escaping is strace-like with printable ASCII and C escapes and octal", "[record][escape]") {
  using enrich::escape_bytes;
  CHECK(escape_bytes("hello\n") == "hello\\n");
  CHECK(escape_bytes("a\"b\\c\t\r") == "a\\\"b\\\\c\\t\\r");
  CHECK(escape_bytes(std::string("\0\1\377", 3)) == "\\0\\1\\377");
  // an octal escape followed by a digit is padded so that it reads back the same
  CHECK(escape_bytes(std::string("\0"
                                 "12",
                                 3)) == "\\00012");
  // UTF-8 is shown byte by byte, like strace without -x
  CHECK(escape_bytes("\xc3\xa9t\xc3\xa9") == "\\303\\251t\\303\\251");
  CHECK(escape_bytes("") == "");
}

TEST_CASE("return values and errno names", "[record][errno]") {
  Fixture fx;
  auto ret = [&](int64_t r) {
    auto e = enter(110, {});
    auto l = fx.line({e, exit_of(e, r, 2000)});
    return l.substr(l.find(" = ") + 1);
  };
  CHECK(ret(6) == "= 6");
  CHECK(ret(0) == "= 0");
  CHECK(ret(-2) == "= -2 ENOENT");
  CHECK(ret(-25) == "= -25 ENOTTY");
  CHECK(ret(-4096) == "= -4096");
  CHECK(enrich::errno_name(13) == "EACCES");
}

TEST_CASE("a complete call shows named arguments and strings and the return value", "[record][format]") {
  Fixture fx;
  auto e = enter(257, {static_cast<uint64_t>(-100), 0x5000, 0, 0, 0, 0}, 1'500'000'000);
  e.cpu = 1;
  e.strings.push_back({1, "/etc/hostname", false, false});
  auto x = exit_of(e, -2, 1'500'001'000);
  CHECK(fx.line({e, x}) ==
        "00:01.500000000 cpu#1 pid 42 [work] openat(dfd=AT_FDCWD, filename=\"/etc/hostname\", "
        "flags=O_RDONLY) = "
        "-2 ENOENT");

  // write: buffer at enter, binary and truncated
  auto w = enter(1, {1, 0x7000, 300, 0, 0, 0});
  w.strings.push_back({1, std::string("hi\0\n\xff", 5), true, false});
  CHECK(fx.line({w, exit_of(w, 300, 2000)}) ==
        "00:00.000001000 cpu#0 pid 42 [work] write(fd=1, buf=\"hi\\0\\n\\377\"..., count=300) = 300");

  // read: the buffer comes with the exit
  auto r = enter(0, {3, 0x7000, 64, 0, 0, 0});
  auto rx = exit_of(r, 6, 2000);
  rx.strings.push_back({1, "2*3*7\n", false, false});
  CHECK(fx.line({r, rx}) == "00:00.000001000 cpu#0 pid 42 [work] read(fd=3, buf=\"2*3*7\\n\", count=64) = 6");

  // mmap as strace prints it: the address hint is a pointer, the fd an int (the format file
  // says `unsigned long` for both); -1 zero-extended is how a 32-bit int arrives in a register
  auto m = enter(9, {0, 8192, 3, 0x22, 0xffffffff, 0});
  CHECK(fx.line({m, exit_of(m, 0x7f0000001000, 2000)}) ==
        "00:00.000001000 cpu#0 pid 42 [work] mmap(addr=NULL, len=8192, prot=PROT_READ|PROT_WRITE, "
        "flags=MAP_PRIVATE|MAP_ANONYMOUS, fd=-1, off=0) = 0x7f0000001000");
  std::string mj = fx.json(enrich::pair_calls({m, exit_of(m, 0x7f0000001000, 2000)})[0]);
  CHECK(mj.find(R"({"name":"fd","value":-1})") != std::string::npos);
  CHECK(mj.find(R"("ret":139637976731648,"errno":null)") != std::string::npos);  // JSON: the number
  auto r1 = enter(0, {0xffffffff, 0, 1, 0, 0, 0});
  CHECK(fx.line({r1, exit_of(r1, -9, 2000)}).find("read(fd=-1, buf=NULL, count=1) = -9 EBADF") !=
        std::string::npos);

  // a faulting pointer prints in hex
  auto bad = enter(257, {static_cast<uint64_t>(-100), 0xdead, 0, 0, 0, 0});
  bad.strings.push_back({1, "", false, true});
  CHECK(fx.line({bad, exit_of(bad, -14, 2000)}).find("filename=0xdead") != std::string::npos);
}

TEST_CASE("interleaved calls are unfinished and resumed", "[record][pairing]") {
  Fixture fx;
  auto a = enter(0, {0, 0x1000, 10, 0, 0, 0}, 100, 1);
  auto b = enter(110, {}, 200, 2);
  auto bx = exit_of(b, 1, 300);
  auto ax = exit_of(a, 3, 400);
  ax.strings.push_back({1, "abc", false, false});
  std::vector<TraceEvent> ev{a, b, bx, ax};
  auto calls = enrich::pair_calls(ev);
  REQUIRE(calls.size() == 3);
  CHECK(calls[0].state == enrich::TraceCall::State::Unfinished);
  CHECK(calls[1].state == enrich::TraceCall::State::Complete);
  CHECK(calls[2].state == enrich::TraceCall::State::Resumed);
  CHECK(fx.text(calls[0]) == "00:00.000000100 cpu#0 pid 1 [work] read(fd=0, buf=0x1000, count=10)...");
  CHECK(fx.text(calls[1]) == "00:00.000000200 cpu#0 pid 2 [work] getppid() = 1");
  CHECK(fx.text(calls[2]) == "00:00.000000400 cpu#0 pid 1 [work] ...read(buf=\"abc\") = 3");
}

TEST_CASE("json objects have the documented fields", "[record][json]") {
  Fixture fx;
  auto w = enter(1, {1, 0x7000, 6, 0, 0, 0}, 5);
  w.pid = 40;
  w.strings.push_back({1, "hello\n", false, false});
  std::vector<TraceEvent> ev{w, exit_of(w, 6, 9)};  // calls point into it
  auto calls = enrich::pair_calls(ev);
  CHECK(
      fx.json(calls[0]) ==
      R"({"type":"syscall","ts_ns":5,"cpu":0,"pid":40,"tid":42,"comm":"work","name":"write","state":"complete",)"
      R"("duration_ns":4,"args":[{"name":"fd","value":1},{"name":"buf","value":28672,"str":"hello\\n"},{"name":"count","value":6}],)"
      R"("ret":6,"errno":null})");
  auto o = enter(257, {static_cast<uint64_t>(-100), 1, 0, 0, 0, 0});
  std::vector<TraceEvent> oev{o, exit_of(o, -2, 9)};
  auto oj = nlohmann::json::parse(fx.json(enrich::pair_calls(oev)[0]));
  CHECK(oj["errno"] == "ENOENT");
  CHECK(oj["args"][0]["value"] == -100);
}

TEST_CASE("a long string is cut and NUL inside a buffer is kept", "[record][format]") {
  Fixture fx;
  std::string big(64, 'x');
  auto o = enter(257, {static_cast<uint64_t>(-100), 1, 0, 0, 0, 0});
  o.strings.push_back({1, big, true, false});
  auto l = fx.line({o, exit_of(o, 3, 9)});
  CHECK(l.find("filename=\"" + big + "\"...,") != std::string::npos);
  auto w = enter(1, {1, 2, 3, 0, 0, 0});
  w.strings.push_back({1, std::string("a\0b", 3), false, false});
  CHECK(fx.line({w, exit_of(w, 3, 9)}).find("buf=\"a\\0b\"") != std::string::npos);
}

TEST_CASE(
    "a dump through the formatters: summary line, argv, PID namespace, the same fields in text and json",
    "[record][format]") {
  Fixture fx;
  enrich::DumpSummary sum{2, 3, 5, 1, 1, 4};
  CHECK(render(output::Format::Text, {enrich::summary_record(sum)}) ==
        "# dump 2: 3 events, 5 recorded, 1 overwritten, 1 torn, 4 lost");
  CHECK(render(output::Format::Json, {enrich::summary_record(sum)}) ==
        R"({"type":"dump","dump":2,"events":3,"recorded":5,"overwritten":1,"torn":1,"lost":4})");

  // execve with its second string cut and more strings than were captured
  auto e = enter(59, {0x1000, 0x2000, 0x3000, 0, 0, 0});
  e.ns_pid = e.ns_tid = 7;
  e.strings.push_back({0, "/bin/sh", false, false});
  TraceString argv;
  argv.arg = 1;
  argv.is_list = true;
  argv.truncated = true;
  argv.list = {{"sh", false}, {"-c", false}, {"a long scri", true}};
  e.strings.push_back(argv);
  std::vector<TraceEvent> ev{e, exit_of(e, 0, 2000)};
  auto calls = enrich::pair_calls(ev);
  CHECK(fx.text(calls[0]) ==
        "00:00.000001000 cpu#0 pid 42 (7 in container) [work] execve(filename=\"/bin/sh\", "
        "argv=[\"sh\", \"-c\", \"a long scri\"..., ...], envp=0x3000) = 0");
  CHECK(
      fx.json(calls[0]) ==
      R"({"type":"syscall","ts_ns":1000,"cpu":0,"pid":42,"tid":42,"pid_ns":7,"tid_ns":7,"comm":"work",)"
      R"("name":"execve","state":"complete","duration_ns":1000,"args":[{"name":"filename","value":4096,"str":"/bin/sh"},)"
      R"({"name":"argv","value":8192,"list":["sh","-c","a long scri"],"truncated":true,"truncated_items":[2]},)"
      R"({"name":"envp","value":12288}],"ret":0,"errno":null})");

  // wall timestamps: the text column and a JSON "time" field, ts_ns stays the kernel's
  fx.ctx.timestamps = enrich::TimestampFormat::Wall;
  fx.ctx.wall = WallClock(1'800'000'000'000'000'000);
  auto j = nlohmann::json::parse(fx.json(calls[0]));
  CHECK(j["time"] == "2027-01-15T08:00:00.000001000Z");
  CHECK(j["ts_ns"] == 1000);
  CHECK(fx.text(calls[0]).rfind("2027-01-15T08:00:00.000001000Z cpu#0 ", 0) == 0);
}

TEST_CASE("size and syscall list parsing", "[record][options]") {
  CHECK(commands::parse_size("4M") == 4u << 20);
  CHECK(commands::parse_size("512k") == 512u << 10);
  CHECK(commands::parse_size("1G") == 1ull << 30);
  CHECK(commands::parse_size("65536") == 65536);
  CHECK_THROWS_AS(commands::parse_size("0"), UsageError);
  CHECK_THROWS_AS(commands::parse_size("4X"), UsageError);
  CHECK_THROWS_AS(commands::parse_size("lots"), UsageError);
  CHECK(commands::parse_syscalls("read,write,openat", 512) == std::vector<int>{0, 1, 257});
  CHECK_THROWS_AS(commands::parse_syscalls("read,nosuch", 512), UsageError);
  CHECK_THROWS_AS(commands::parse_syscalls(",", 512), UsageError);
}

TEST_CASE("by thread, interleaved calls are whole calls at their enter's place", "[record][pairing]") {
  Fixture fx;
  auto a = enter(0, {0, 0x1000, 10, 0, 0, 0}, 100, 1);
  auto b = enter(110, {}, 200, 2);
  auto bx = exit_of(b, 1, 300);
  auto ax = exit_of(a, 3, 400);
  ax.strings.push_back({1, "abc", false, false});
  auto lone_exit = exit_of(enter(35, {}, 0, 3), 0, 500);     // its enter was overwritten
  auto lone_enter = enter(231, {1, 0, 0, 0, 0, 0}, 600, 1);  // exit_group: no exit
  std::vector<TraceEvent> ev{a, b, bx, ax, lone_exit, lone_enter};
  auto calls = enrich::pair_calls(ev, enrich::Pairing::ByThread);
  REQUIRE(calls.size() == 4);
  CHECK(calls[0].state == enrich::TraceCall::State::Complete);
  CHECK(calls[0].enter == &ev[0]);
  CHECK(calls[0].exit == &ev[3]);
  CHECK(calls[1].state == enrich::TraceCall::State::Complete);
  CHECK(calls[1].exit == &ev[2]);
  CHECK(calls[2].state == enrich::TraceCall::State::EnterMissing);
  CHECK(calls[3].state == enrich::TraceCall::State::ExitMissing);
  // an enter whose exit never came stays ExitMissing beside the whole calls
  std::vector<TraceEvent> lost{a, b, bx};
  auto l = enrich::pair_calls(lost, enrich::Pairing::ByThread);
  REQUIRE(l.size() == 2);
  CHECK(l[0].state == enrich::TraceCall::State::ExitMissing);
  CHECK(l[1].state == enrich::TraceCall::State::Complete);
  // an enter, then its thread's exit of another call (the exits and enters between were
  // overwritten): two halves, neither paired with the other
  auto c = enter(0, {}, 700, 5);
  auto dx = exit_of(enter(1, {}, 0, 5), 4, 800);
  std::vector<TraceEvent> mismatch{c, dx};
  auto m = enrich::pair_calls(mismatch, enrich::Pairing::ByThread);
  REQUIRE(m.size() == 2);
  CHECK(m[0].state == enrich::TraceCall::State::ExitMissing);
  CHECK(m[1].state == enrich::TraceCall::State::EnterMissing);
}

TEST_CASE("a JSON dump is one object per call with its enter time and duration", "[record][pairing][json]") {
  Fixture fx;
  // read of thread 1 enters at 100 and exits at 400; thread 2's getppid falls between on the
  // same CPU; thread 3's nanosleep exit has no enter (overwritten), thread 1's exit_group no exit
  auto a = enter(0, {0, 0x1000, 10, 0, 0, 0}, 100, 1);
  auto b = enter(110, {}, 200, 2);
  auto ax = exit_of(a, 3, 400);
  ax.strings.push_back({1, "abc", false, false});
  auto lone_exit = exit_of(enter(35, {}, 0, 3), 0, 500);
  auto lone_enter = enter(231, {1, 0, 0, 0, 0, 0}, 600, 1);
  std::vector<TraceEvent> ev{a, b, exit_of(b, 1, 300), ax, lone_exit, lone_enter};
  std::string out = commands::render_dump(output::Format::Json, {1, 6, 6, 0, 0, 0}, ev, fx.ctx);
  std::vector<nlohmann::json> lines;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  REQUIRE(lines.size() == 5);  // the summary and 4 calls
  CHECK(lines[0]["type"] == "dump");
  const auto& read = lines[1];
  CHECK(read["name"] == "read");
  CHECK(read["tid"] == 1);
  CHECK(read["state"] == "complete");
  CHECK(read["ts_ns"] == 100);
  CHECK(read["duration_ns"] == 300);
  CHECK(read["args"][1]["str"] == "abc");  // captured at exit, shown with the enter's arguments
  CHECK(read["args"][2]["value"] == 10);
  CHECK(read["ret"] == 3);
  CHECK(lines[2]["name"] == "getppid");
  CHECK(lines[2]["duration_ns"] == 100);
  CHECK(lines[3]["name"] == "nanosleep");
  CHECK(lines[3]["state"] == "enter_missing");
  CHECK(lines[3]["ts_ns"] == 500);  // the exit's time: the enter's is not known
  CHECK(lines[3]["duration_ns"].is_null());
  CHECK(lines[3]["ret"] == 0);
  CHECK(lines[4]["name"] == "exit_group");
  CHECK(lines[4]["state"] == "exit_missing");
  CHECK(lines[4]["duration_ns"].is_null());
  CHECK(lines[4]["ret"].is_null());
  CHECK(lines[4]["args"][0]["value"] == 1);

  // the same events as text keep strace's split lines
  std::string text = commands::render_dump(output::Format::Text, {1, 6, 6, 0, 0, 0}, ev, fx.ctx);
  CHECK(text.find("[work] read(fd=0, buf=0x1000, count=10)...\n") != std::string::npos);
  CHECK(text.find("[work] ...read(buf=\"abc\") = 3\n") != std::string::npos);
  CHECK(text.find("[work] ...nanosleep() = 0\n") != std::string::npos);
  // (no format file for exit_group among the fixtures: its arguments are arg0..arg5)
  CHECK(text.find("[work] exit_group(arg0=1, arg1=0, arg2=0, arg3=0, arg4=0, arg5=0)...\n") !=
        std::string::npos);
}

TEST_CASE("pointers in hex, fcntl by command, modes only when they mean something",
          "[record][format][parity]") {
  Fixture fx;
  // brk and mprotect take addresses as unsigned longs: hex, NULL for 0
  auto b = enter(12, {0, 0, 0, 0, 0, 0});
  CHECK(fx.line({b, exit_of(b, 0x5572a000, 2000)}).find("brk(brk=NULL) = 0x5572a000") != std::string::npos);
  auto b2 = enter(12, {395472192, 0, 0, 0, 0, 0});
  CHECK(fx.line({b2, exit_of(b2, 395472192, 2000)}).find("brk(brk=0x17926d40) = 0x17926d40") !=
        std::string::npos);
  auto mp = enter(10, {0x7f0000001000, 4096, 0, 0, 0, 0});
  CHECK(fx.line({mp, exit_of(mp, 0, 2000)})
            .find("mprotect(start=0x7f0000001000, len=4096, prot=PROT_NONE) = 0") != std::string::npos);
  // mmap's offset in hex, as strace prints it
  auto m = enter(9, {0, 8192, 1, 2, 4, 65536});
  CHECK(fx.line({m, exit_of(m, 0x7f0000001000, 2000)}).find("fd=4, off=0x10000) = 0x7f0000001000") !=
        std::string::npos);

  // fcntl: arg only when the command takes one, decoded by the command; F_GETFL's result as flags
  auto getfl = enter(72, {3, F_GETFL, 0x5af7aa, 0, 0, 0});
  CHECK(fx.line({getfl, exit_of(getfl, 0x8002, 2000)})
            .find("fcntl(fd=3, cmd=F_GETFL) = 0x8002 (flags O_RDWR|O_LARGEFILE)") != std::string::npos);
  auto setfl = enter(72, {3, F_SETFL, O_RDWR | O_NONBLOCK, 0, 0, 0});
  CHECK(
      fx.line({setfl, exit_of(setfl, 0, 2000)}).find("fcntl(fd=3, cmd=F_SETFL, arg=O_RDWR|O_NONBLOCK) = 0") !=
      std::string::npos);
  auto dup = enter(72, {3, F_DUPFD_CLOEXEC, 10, 0, 0, 0});
  CHECK(fx.line({dup, exit_of(dup, 10, 2000)}).find("fcntl(fd=3, cmd=F_DUPFD_CLOEXEC, arg=10) = 10") !=
        std::string::npos);
  auto getfd = enter(72, {4, F_GETFD, 0, 0, 0, 0});
  CHECK(fx.line({getfd, exit_of(getfd, 1, 2000)}).find("fcntl(fd=4, cmd=F_GETFD) = 0x1 (flags FD_CLOEXEC)") !=
        std::string::npos);
  CHECK(fx.line({getfd, exit_of(getfd, -9, 2000)}).find("fcntl(fd=4, cmd=F_GETFD) = -9 EBADF") !=
        std::string::npos);
  // JSON keeps the number
  CHECK(fx.json(enrich::pair_calls({getfl, exit_of(getfl, 0x8002, 2000)})[0]).find(R"("ret":32770)") !=
        std::string::npos);

  // openat: mode with O_CREAT (octal, as strace), none without
  auto cr = enter(257, {static_cast<uint64_t>(-100), 0x5000, O_WRONLY | O_CREAT | O_TRUNC, 0640, 0, 0});
  cr.strings.push_back({1, "/tmp/x", false, false});
  CHECK(fx.line({cr, exit_of(cr, 3, 2000)}).find("flags=O_WRONLY|O_CREAT|O_TRUNC, mode=0640) = 3") !=
        std::string::npos);
  auto tmp = enter(257, {static_cast<uint64_t>(-100), 0x5000, O_RDWR | O_TMPFILE, 0600, 0, 0});
  CHECK(fx.line({tmp, exit_of(tmp, 3, 2000)}).find("flags=O_RDWR|O_TMPFILE, mode=0600) = 3") !=
        std::string::npos);
  auto ro = enter(257, {static_cast<uint64_t>(-100), 0x5000, O_RDONLY | O_DIRECTORY, 0x1234, 0, 0});
  CHECK(fx.line({ro, exit_of(ro, 3, 2000)}).find("flags=O_RDONLY|O_DIRECTORY) = 3") != std::string::npos);

  // futex: FUTEX_WAKE takes three arguments
  auto fu = enter(202, {0x7ffc0000, 0x81, 1, 0, 0, 0});
  CHECK(
      fx.line({fu, exit_of(fu, 0, 2000)}).find("futex(uaddr=0x7ffc0000, op=FUTEX_WAKE_PRIVATE, val=1) = 0") !=
      std::string::npos);
  // ioctl's command by name
  auto io = enter(16, {4, 0x5401, 0x7ffd0000, 0, 0, 0});
  CHECK(fx.line({io, exit_of(io, -25, 2000)}).find("ioctl(fd=4, cmd=TCGETS, arg=0x7ffd0000) = -25 ENOTTY") !=
        std::string::npos);
}
