// Decoders of exec, exit and oomkill, and the signal names, on synthetic events: no kernel needed.
#include "commands/lifecycle.hpp"

#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <climits>
#include <cstring>

#include "ctrace/core/error.hpp"

using namespace ctrace;
using namespace ctrace::commands;

namespace {

Record exec_record(const std::vector<std::string>& argv, uint64_t cut = 0, uint32_t flags = 0) {
  exec_event e{};
  e.ret = -2;
  e.ns_pid = 7;
  e.ppid = 100;
  e.call = EXEC_CALL_EXECVE;
  e.flags = flags;
  e.argc = static_cast<uint32_t>(argv.size());
  e.arg_cut = cut;
  std::strcpy(e.filename, "/usr/local/bin/missing");
  for (size_t i = 0; i < argv.size(); ++i) std::strncpy(e.args[i], argv[i].c_str(), EXEC_ARG_LEN - 1);
  Record r;
  RecordSink sink(r);
  decode_exec(e, nullptr, sink);
  return r;
}

}  // namespace

TEST_CASE("exec: a failed exec's fields and its ARGS cell") {
  Record r = exec_record({"missing", "--flag", "two words", ""});
  CHECK(r.raw("result") == "-ENOENT");
  CHECK(r.raw("ret") == "-2");
  CHECK(r.raw("ns_pid") == "7");
  CHECK(r.raw("call") == "execve");
  CHECK(r.raw("filename") == "/usr/local/bin/missing");
  CHECK(r.get("interp") == nullptr);
  CHECK_FALSE(r.flag("args_more"));
  CHECK(exec_args_text(r) == "missing --flag 'two words' ''");
}

TEST_CASE("exec: a cut string and a long argv are marked, never a false cut") {
  Record r = exec_record({"a", std::string(EXEC_ARG_LEN - 1, 'x'), "c"}, 1ULL << 1, EXEC_F_ARGV_MORE);
  CHECK(exec_args_text(r) == "a " + std::string(EXEC_ARG_LEN - 1, 'x') + "... c ...");
  Record whole = exec_record({"a", std::string(EXEC_ARG_LEN - 1, 'x')});
  CHECK(exec_args_text(whole) == "a " + std::string(EXEC_ARG_LEN - 1, 'x'));
}

TEST_CASE("exec: no argv (the entry was not seen) prints the filename") {
  Record r = exec_record({}, 0, EXEC_F_NO_ENTER);
  CHECK(r.flag("no_enter"));
  CHECK(exec_args_text(r) == "/usr/local/bin/missing");
}

TEST_CASE("exec: a ring record shorter than its fixed part is refused, the rest zeroed") {
  exec_event full{};
  full.argc = 1;
  std::strcpy(full.args[0], "ls");
  std::vector<char> bytes(exec_event_size(1));
  std::memcpy(bytes.data(), &full, bytes.size());
  exec_event out;
  std::memset(&out, 0x55, sizeof out);
  REQUIRE(exec_event_from(bytes.data(), bytes.size(), out));
  CHECK(std::string(out.args[0]) == "ls");
  CHECK(out.args[1][0] == 0);
  CHECK_FALSE(exec_event_from(bytes.data(), offsetof(exec_event, args) - 1, out));
}

TEST_CASE("exit: a status, a signal with a core, a container's init") {
  exit_event e{};
  e.exit_code = 3 << 8;
  e.flags = EXIT_F_GROUP_DEAD | EXIT_F_NS_INIT;
  e.lifetime_ns = 1500000000;
  Record r;
  RecordSink sink(r);
  decode_exit(e, nullptr, sink);
  CHECK(r.raw("reason") == "code");
  CHECK(r.raw("status") == "3");
  CHECK(r.get("signal") == nullptr);
  CHECK(r.flag("init"));
  CHECK(r.raw("lifetime_ns") == "1500000000");

  exit_event k{};
  k.exit_code = SIGSEGV | 0x80;
  k.flags = EXIT_F_NS_INIT;  // pid 1's thread, not the last one: not the container's end
  Record s;
  RecordSink ssink(s);
  decode_exit(k, nullptr, ssink);
  CHECK(s.raw("reason") == "signal");
  CHECK(s.raw("signal") == "SIGSEGV");
  CHECK(s.flag("core_dumped"));
  CHECK(s.get("status") == nullptr);
  CHECK_FALSE(s.flag("init"));
  CHECK_FALSE(s.flag("group_dead"));
}

TEST_CASE("oomkill: bytes from pages, an unlimited cgroup's limit is null") {
  oomkill_event e{};
  e.kind = OOMKILL_CGROUP;
  e.anon_rss_pages = 1000;
  e.memcg_limit_pages = static_cast<uint64_t>(LONG_MAX) / 4096;  // PAGE_COUNTER_MAX
  e.oom_memcg_limit_pages = 2560;                                // 10 MiB
  e.trigger_pid = 42;
  std::strcpy(e.trigger_comm, "worker");
  Record r;
  RecordSink sink(r);
  decode_oomkill(e, nullptr, 4096, sink);
  CHECK(r.raw("kind") == "cgroup");
  CHECK(r.raw("anon_rss") == "4096000");
  const Value* limit = r.get("memcg_limit");
  REQUIRE(limit);
  CHECK(std::holds_alternative<std::monostate>(limit->v));
  CHECK(r.raw("oom_memcg_limit") == "10485760");
  CHECK(r.raw("trigger_comm") == "worker");
}

TEST_CASE("signal names and --signal lists") {
  CHECK(signal_name(SIGTERM) == "SIGTERM");
  CHECK(signal_name(SIGKILL) == "SIGKILL");
  CHECK(signal_name(SIGRTMIN) == "SIGRTMIN");
  CHECK(signal_name(SIGRTMIN + 3) == "SIGRTMIN+3");
  CHECK(signal_name(99) == "signal 99");
  // the same signals in syscall arguments, as strace spells them (the kernel's RT numbering)
  CHECK(enrich::signal_text(SIGTERM) == "SIGTERM");
  CHECK(enrich::signal_text(SIGRTMIN) == "SIGRT_" + std::to_string(SIGRTMIN - 32));
  CHECK(enrich::signal_text(32) == "SIGRT_0");
  CHECK(enrich::signal_text(0) == "0");
  CHECK(enrich::signal_text(99) == "SIG99");
  CHECK(parse_signal_list("TERM,kill,SIGSEGV,10") ==
        ((1ULL << (SIGTERM - 1)) | (1ULL << (SIGKILL - 1)) | (1ULL << (SIGSEGV - 1)) | (1ULL << 9)));
  CHECK(parse_signal_list("64") == 1ULL << 63);
  CHECK_THROWS_AS(parse_signal_list("TERM,BOGUS"), UsageError);
  CHECK_THROWS_AS(parse_signal_list("65"), UsageError);
  CHECK_THROWS_AS(parse_signal_list("0"), UsageError);
  CHECK_THROWS_AS(parse_signal_list(","), UsageError);
}
