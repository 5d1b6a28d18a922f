// ctrace record on the real kernel: exact syscalls of workloads in cgroups made here.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cctype>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <thread>

#include "support.hpp"

using namespace ctrace::test;
using nlohmann::json;

namespace {

// The dumps in `ctrace record -o json` output: each starts with a {"type":"dump"} line.
struct Dump {
  json summary;
  std::vector<json> calls;
};

std::vector<Dump> parse_dumps(const std::string& out) {
  std::vector<Dump> dumps;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    json j = json::parse(line);
    if (j.at("type") == "dump")
      dumps.push_back({j, {}});
    else if (!dumps.empty())
      dumps.back().calls.push_back(j);
  }
  return dumps;
}

std::vector<json> calls_of(const Dump& d, int pid) {
  std::vector<json> out;
  for (const auto& c : d.calls)
    if (c.at("tid") == pid) out.push_back(c);
  return out;
}

// The workload's calls after its "wait for go" reads on stdin.
std::vector<json> after_go(std::vector<json> calls) {
  size_t i = 0;
  while (i < calls.size() && calls[i].at("name") == "read" &&
         (calls[i].at("state") == "enter_missing" || calls[i].at("args").at(0).at("value") == 0))
    ++i;
  return {calls.begin() + static_cast<long>(i), calls.end()};
}

std::string arg_str(const json& call, const std::string& name) {
  for (const auto& a : call.at("args"))
    if (a.at("name") == name) return a.value("str", "<none>");
  return "<no arg>";
}

// One busy child per CPU, each making a nanosleep(0) every millisecond of spinning (the clock
// is read in the vDSO, so that is its only syscall): load, and nanosleeps of other tasks for a
// whole-host recording of nanosleep. SIGKILLed at the end (and if the test process dies).
class CpuHog {
 public:
  explicit CpuHog(unsigned n) {
    for (unsigned i = 0; i < n; ++i) {
      pid_t p = ::fork();
      if (p == 0) spin();
      if (p > 0) pids_.push_back(p);
    }
  }
  ~CpuHog() {
    for (pid_t p : pids_) ::kill(p, SIGKILL);
    for (pid_t p : pids_) ::waitpid(p, nullptr, 0);
  }
  CpuHog(const CpuHog&) = delete;
  CpuHog& operator=(const CpuHog&) = delete;
  bool has(pid_t pid) const { return std::find(pids_.begin(), pids_.end(), pid) != pids_.end(); }

 private:
  [[noreturn]] static void spin() {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    const timespec zero{0, 0};
    for (;;) {
      timespec start{}, now{};
      ::clock_gettime(CLOCK_MONOTONIC, &start);
      do ::clock_gettime(CLOCK_MONOTONIC, &now);
      while ((now.tv_sec - start.tv_sec) * 1000000000L + (now.tv_nsec - start.tv_nsec) < 1000000L);
      ::syscall(SYS_nanosleep, &zero, nullptr);
    }
  }
  std::vector<pid_t> pids_;
};

}  // namespace

TEST_CASE("record dumps exactly the workload's calls with strings and returns and errno names", "[record]") {
  TestCgroup parent("ctrace-test-record");
  TestCgroup cg(parent, "in"), other_cg(parent, "out");
  const std::string file = std::string(CTRACE_BUILD_DIR) + "/record-test-input.txt";
  std::ofstream(file) << "known content\n";

  Workload w({"write-hello", "1", "read-file", file, "1", "openat-fail", "1"});
  Workload outside({"write-hello", "3"});
  cg.add(w.pid());
  other_cg.add(outside.pid());
  auto ct = start_ctrace({"record", "-c", cg.path().string(), "-o", "json"});
  w.go();
  outside.go();
  REQUIRE(w.wait() == 0);
  REQUIRE(outside.wait() == 0);
  ct->signal(SIGINT);
  REQUIRE(ct->wait() == 0);
  INFO("stderr: " << ct->err() << "\nstdout: " << ct->out());

  auto dumps = parse_dumps(ct->out());
  REQUIRE(dumps.size() == 1);
  CHECK(dumps[0].summary.at("overwritten") == 0);
  CHECK(calls_of(dumps[0], outside.pid()).empty());
  auto calls = after_go(calls_of(dumps[0], w.pid()));
  std::vector<std::string> names;
  for (const auto& c : calls) names.push_back(c.at("name"));
  REQUIRE(names == std::vector<std::string>{"write", "openat", "read", "close", "openat", "exit_group"});

  CHECK(calls[0].at("args").at(0).at("value") == 1);
  CHECK(arg_str(calls[0], "buf") == "hello\\n");
  CHECK(calls[0].at("ret") == 6);
  CHECK(calls[0].at("errno").is_null());

  CHECK(arg_str(calls[1], "filename") == file);
  int fd = calls[1].at("ret");
  CHECK(fd >= 3);
  CHECK(calls[2].at("args").at(0).at("value") == fd);
  CHECK(arg_str(calls[2], "buf") == "known content\\n");
  CHECK(calls[2].at("ret") == 14);
  CHECK(calls[3].at("ret") == 0);

  CHECK(arg_str(calls[4], "filename") == "/nonexistent/ctrace-workload");
  CHECK(calls[4].at("ret") == -2);
  CHECK(calls[4].at("errno") == "ENOENT");
  CHECK(calls[5].at("state") == "exit_missing");
  for (const auto& c : calls) CHECK(c.at("pid") == w.pid());
}

TEST_CASE("record text output reads like strace", "[record]") {
  TestCgroup cg("ctrace-test-record-text");
  Workload w({"write-hello", "1", "openat-fail", "1"});
  cg.add(w.pid());
  auto ct = start_ctrace({"record", "-c", cg.path().string(), "--syscalls", "write,openat"});
  w.go();
  REQUIRE(w.wait() == 0);
  ct->signal(SIGINT);
  REQUIRE(ct->wait() == 0);
  INFO("stderr: " << ct->err());
  const std::string pid = " pid " + std::to_string(w.pid()) + " [ctrace_workload] ";
  CHECK(ct->out().find(pid + "write(fd=1, buf=\"hello\\n\", count=6) = 6\n") != std::string::npos);
  // no mode without O_CREAT or O_TMPFILE: the register holds whatever it held, as in strace
  auto at =
      ct->out().find(pid + "openat(dfd=AT_FDCWD, filename=\"/nonexistent/ctrace-workload\", flags=O_RDONLY)");
  REQUIRE(at != std::string::npos);
  auto eol = ct->out().find('\n', at);
  CHECK(ct->out().substr(at, eol - at).find(") = -2 ENOENT") != std::string::npos);
  CHECK(ct->out().find("read(") == std::string::npos);  // filtered in the kernel
  CHECK(ct->out().rfind("# dump 1: 4 events", 0) == 0);
}

TEST_CASE("record without a target sees the workload and a non-matching target does not", "[record]") {
  TestCgroup parent("ctrace-test-record-3");
  TestCgroup a(parent, "a"), b(parent, "b");
  // A loaded machine, where other tasks' nanosleeps fall between the workload's enters and exits
  // in the whole host's ring: a JSON dump still has one object per call.
  CpuHog hog(std::max(1u, std::thread::hardware_concurrency()));
  for (bool filtered : {false, true}) {
    INFO("filtered " << filtered);
    // nanosleep: rare on this machine, where other tests and benchmarks loop on getppid
    Workload w({"sleep-ms", "20"});
    a.add(w.pid());
    std::vector<std::string> args{"record", "--syscalls", "nanosleep", "--size", "16M", "-o", "json"};
    if (filtered) args.insert(args.end(), {"-c", b.path().string()});
    auto ct = start_ctrace(args);
    w.go();
    REQUIRE(w.wait() == 0);
    ct->signal(SIGINT);
    REQUIRE(ct->wait() == 0);
    auto dumps = parse_dumps(ct->out());
    REQUIRE(dumps.size() == 1);
    auto calls = calls_of(dumps[0], w.pid());
    CHECK(calls.size() == (filtered ? 0u : 20u));
    for (const auto& c : calls) {
      CHECK(c.at("state") == "complete");
      CHECK(c.at("duration_ns").get<uint64_t>() >= 1000000u);  // nanosleep(1 ms)
    }
    if (filtered) continue;
    // the load did interleave: some hog event lies between a workload call's enter and exit
    size_t interleaved = 0;
    for (const auto& c : calls) {
      uint64_t from = c.at("ts_ns"), to = from + c.at("duration_ns").get<uint64_t>();
      interleaved += std::any_of(dumps[0].calls.begin(), dumps[0].calls.end(), [&](const json& h) {
        if (!hog.has(h.at("tid").get<pid_t>()) || h.at("duration_ns").is_null()) return false;
        uint64_t enter = h.at("ts_ns"), exit = enter + h.at("duration_ns").get<uint64_t>();
        return (enter > from && enter < to) || (exit > from && exit < to);
      });
    }
    CHECK(interleaved > 0);
  }
}

TEST_CASE("a tiny ring overwrites and the dump says how many", "[record]") {
  TestCgroup cg("ctrace-test-record-tiny");
  Workload w({"getppid", "1000"});
  cg.add(w.pid());
  auto ct = start_ctrace({"record", "-c", cg.path().string(), "--size", "1", "-o", "json"});
  w.go();
  REQUIRE(w.wait() == 0);
  ct->signal(SIGINT);
  REQUIRE(ct->wait() == 0);
  auto dumps = parse_dumps(ct->out());
  REQUIRE(dumps.size() == 1);
  const json& s = dumps[0].summary;
  uint64_t events = s.at("events"), recorded = s.at("recorded"), overwritten = s.at("overwritten");
  // 4 slots per CPU at least; 2000 getppid enters and exits went through it
  CHECK(events == dumps[0].calls.size() + (events - dumps[0].calls.size()));
  CHECK(events <= 4 * 1024);
  CHECK(recorded >= 2000);
  CHECK(overwritten == recorded - events);
  CHECK(overwritten >= 2000 - events);
  CHECK(ct->err().find("overwritten") != std::string::npos);
}

TEST_CASE("SIGUSR1 dumps and keeps recording", "[record]") {
  TestCgroup cg("ctrace-test-record-usr1");
  auto ct = start_ctrace({"record", "-c", cg.path().string(), "--syscalls", "getppid,openat", "-o", "json"});
  int first_pid = 0, second_pid = 0;
  {
    Workload w({"getppid", "7"});
    first_pid = w.pid();
    cg.add(w.pid());
    w.go();
    REQUIRE(w.wait() == 0);
  }
  ct->signal(SIGUSR1);
  REQUIRE(ct->wait_for_stdout("\"dump\":1"));
  {
    Workload w({"openat-fail", "5"});
    second_pid = w.pid();
    cg.add(w.pid());
    w.go();
    REQUIRE(w.wait() == 0);
  }
  ct->signal(SIGUSR1);
  REQUIRE(ct->wait_for_stdout("\"dump\":2"));
  ct->signal(SIGINT);
  REQUIRE(ct->wait() == 0);
  INFO("stdout: " << ct->out());
  auto dumps = parse_dumps(ct->out());
  REQUIRE(dumps.size() == 3);
  CHECK(calls_of(dumps[0], first_pid).size() == 7);
  CHECK(calls_of(dumps[0], second_pid).empty());
  CHECK(calls_of(dumps[1], first_pid).size() == 7);  // a dump shows the whole ring
  auto later = calls_of(dumps[1], second_pid);
  REQUIRE(later.size() == 5);
  for (const auto& c : later) CHECK(c.at("errno") == "ENOENT");
}

TEST_CASE("record decodes argv, sockaddr, flags and errno names as strace does", "[record][decode]") {
  // the helper connects here
  int ls = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(ls, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(ls, 8) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(ls, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  const std::string port = std::to_string(ntohs(addr.sin_port));
  const std::string helper = CTRACE_DECODE_HELPER_BIN;

  auto ours = run({ctrace_bin(), "record", "--", helper, port});
  REQUIRE(ours.code == 0);
  auto theirs = run({"strace", "-f", "-qq", "-e", "trace=openat,socket,connect,execve", helper, port});
  REQUIRE(theirs.code == 0);
  ::close(ls);

  const std::string sockaddr =
      "{sa_family=AF_INET, sin_port=htons(" + port + "), sin_addr=inet_addr(\"127.0.0.1\")}";
  struct Expect {
    const char* name;
    std::string needle;
    size_t args;  // compared: strace prints pointers and envp its own way after these
  };
  for (const Expect& e : {Expect{"openat", "\"/etc/hostname\"", 3}, Expect{"socket", "AF_INET", 2},
                          Expect{"connect", "sin_port", 3}, Expect{"openat", "/nonexistent/ctrace-decode", 3},
                          Expect{"execve", "\"/bin/true\"", 2}}) {
    INFO(e.name << " " << e.needle);
    std::string mine = line_with(ours.out, e.name, e.needle),
                strace = line_with(theirs.err, e.name, e.needle);
    INFO("ctrace: " << mine);
    INFO("strace: " << strace);
    auto a = parse_call(mine, e.name), b = parse_call(strace, e.name);
    REQUIRE(a);
    REQUIRE(b);
    auto va = values(*a), vb = values(*b);
    REQUIRE(va.size() >= e.args);
    REQUIRE(vb.size() >= e.args);
    CHECK(std::vector<std::string>(va.begin(), va.begin() + static_cast<long>(e.args)) ==
          std::vector<std::string>(vb.begin(), vb.begin() + static_cast<long>(e.args)));
    // same outcome: the same fd or 0, or the same errno name
    if (b->ret.find("ENOENT") != std::string::npos) {
      CHECK(a->ret == "-2 ENOENT");
    } else {
      CHECK(a->ret == b->ret.substr(0, b->ret.find(' ')));
    }
  }
  // and what a reader looks for, spelled out
  CHECK(ours.out.find("argv=[\"true\", \"alpha\", \"beta\"]") != std::string::npos);
  CHECK(ours.out.find("uservaddr=" + sockaddr) != std::string::npos);
  CHECK(ours.out.find("flags=O_RDONLY|O_CLOEXEC") != std::string::npos);
  CHECK(ours.out.find("family=AF_INET, type=SOCK_STREAM|SOCK_CLOEXEC") != std::string::npos);
}

TEST_CASE("execve argv strings of 31, 32 and 33 bytes: only the one longer than strace's 32 is cut",
          "[record][decode]") {
  const std::string a30(31, 'a'), b31(32, 'b'), c32(33, 'c');
  auto r =
      run({ctrace_bin(), "record", "-o", "json", "--syscalls", "execve", "--", "/bin/true", a30, b31, c32});
  REQUIRE(r.code == 0);
  auto dumps = parse_dumps(r.out);
  REQUIRE(dumps.size() == 1);
  std::optional<json> argv;
  for (const auto& c : dumps[0].calls)
    for (const auto& a : c.at("args"))
      if (c.at("name") == "execve" && a.at("name") == "argv" && a.at("list").size() == 4) argv = a;
  REQUIRE(argv);
  INFO(argv->dump());
  CHECK(argv->at("list") == json::array({"/bin/true", a30, b31, c32.substr(0, 32)}));
  CHECK(argv->at("truncated_items") == json::array({3}));  // the 33-byte one, and only it
  CHECK_FALSE(argv->contains("truncated"));

  auto text = run({ctrace_bin(), "record", "--syscalls", "execve", "--", "/bin/true", a30, b31, c32});
  REQUIRE(text.code == 0);
  CHECK(text.out.find("argv=[\"/bin/true\", \"" + a30 + "\", \"" + b31 + "\", \"" + c32.substr(0, 32) +
                      "\"...]") != std::string::npos);
}
