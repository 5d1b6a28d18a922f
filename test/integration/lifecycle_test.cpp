// ctrace exec, exit, signal and oomkill on the real kernel: processes in cgroups made here and in
// a runc container, whose every exec, exit, signal and OOM kill the tests know exactly. Every
// "must not appear" has its positive control in the same run.
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "containers.hpp"
#include "stream_support.hpp"

using namespace ctrace::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// A shell command held until go() (it reads a line first), so that it can be moved into a
// cgroup before it runs anything. Its first exec is the shell's own `exec` of the command.
class Held {
 public:
  explicit Held(const std::string& script)
      : p_({"/bin/sh", "-c", "read go; exec /bin/sh -c \"$0\"", script}) {}
  pid_t pid() const { return p_.pid(); }
  void go() {
    p_.write_stdin("go\n");
    p_.close_stdin();
  }
  int wait() { return p_.wait(); }
  const std::string& err() const { return p_.err(); }

 private:
  Process p_;
};

std::vector<json> with_filename(const std::vector<json>& ev, const std::string& filename) {
  return where(ev, [&](const json& e) { return e.value("filename", "") == filename; });
}

// What the exec tests run: a success with arguments, a missing program, an execveat through a
// dirfd, and argv longer than ctrace keeps (25 strings).
std::string exec_script() {
  std::string s = "/bin/true a 'b c'; /nonexistent/ctrace-missing --flag; ";
  s += std::string(CTRACE_EXEC_HELPER_BIN) + " fd /bin/true x; /bin/echo";
  for (int i = 1; i <= 25; ++i) s += " a" + std::to_string(i);
  return s + " >/dev/null; exit 0";
}

}  // namespace

TEST_CASE("exec: every exec of a cgroup, failed ones too, nothing of another cgroup", "[exec]") {
  TestCgroup parent("ctrace-test-exec");
  TestCgroup a(parent, "a"), b(parent, "b");
  Held in(exec_script()), out("/bin/true ctrace-other-cgroup; exit 0");
  a.add(in.pid());
  b.add(out.pid());
  auto run = stream_during(
      {"exec", "-c", a.path().string()},
      [&] {
        in.go();
        out.go();
        REQUIRE(in.wait() == 0);
        REQUIRE(out.wait() == 0);
      },
      "exec");
  INFO("stderr: " << run.err);
  REQUIRE(run.code == 0);
  CHECK(run.lost == 0);
  // the shell's exec of the script, true, the missing one, the helper (execve then execveat), echo
  REQUIRE(run.events.size() == 6);
  for (const auto& e : run.events) CHECK(e["cgroup_id"] == a.id());

  auto t = where(run.events, [](const json& e) { return e["comm"] == "true" && e["call"] == "execve"; });
  REQUIRE(t.size() == 1);
  CHECK(t[0]["args"] == json({"/bin/true", "a", "b c"}));
  CHECK(t[0]["ret"] == 0);
  CHECK(t[0]["filename"] == "/bin/true");

  auto missing = with_filename(run.events, "/nonexistent/ctrace-missing");
  REQUIRE(missing.size() == 1);
  CHECK(missing[0]["ret"] == -2);
  CHECK(missing[0]["result"] == "-ENOENT");
  CHECK(missing[0]["args"] == json({"/nonexistent/ctrace-missing", "--flag"}));

  auto at = where(run.events, [](const json& e) { return e["call"] == "execveat"; });
  REQUIRE(at.size() == 1);
  CHECK(at[0]["ret"] == 0);
  CHECK(at[0]["comm"] == "true");
  CHECK(at[0]["args"] == json({"/bin/true", "x"}));

  auto echo = with_filename(run.events, "/bin/echo");
  REQUIRE(echo.size() == 1);
  CHECK(echo[0]["args"].size() == 20);
  CHECK(echo[0]["args"][19] == "a19");
  CHECK(echo[0]["args_more"] == true);
  CHECK(echo[0]["args_cut"].empty());
  // the child's pid, its parent the script's shell
  CHECK(echo[0]["ppid"] == in.pid());
  // the other cgroup's exec happened (its shell exited 0 after it) and is not here
  CHECK(with_filename(run.events, "/bin/true").size() == 1);
}

TEST_CASE("exec -x keeps only the failed exec, text output names it", "[exec]") {
  TestCgroup cg("ctrace-test-exec-failed");
  Held in(exec_script());
  cg.add(in.pid());
  auto run = stream_during(
      {"exec", "-x", "-c", cg.path().string()},
      [&] {
        in.go();
        REQUIRE(in.wait() == 0);
      },
      "exec");
  INFO("stderr: " << run.err);
  REQUIRE(run.code == 0);
  REQUIRE(run.events.size() == 1);  // the successes ran (the script exited 0 after them)
  CHECK(run.events[0]["filename"] == "/nonexistent/ctrace-missing");

  Held again("/nonexistent/ctrace-missing --flag; exit 0");
  cg.add(again.pid());
  auto ct = start_ctrace({"exec", "-x", "-c", cg.path().string()});
  again.go();
  REQUIRE(again.wait() == 0);
  ct->wait_for_stdout("ctrace-missing");
  ct->signal(SIGINT);
  CHECK(ct->wait() == 0);
  CHECK(ct->out().find("-ENOENT") != std::string::npos);
  CHECK(ct->out().find("/nonexistent/ctrace-missing --flag") != std::string::npos);
}

TEST_CASE("exit: statuses, a signal, threads, -x keeps the failures", "[exit]") {
  TestCgroup cg("ctrace-test-exit");
  std::string script = std::string("(exit 3); ") + CTRACE_SEGV_HELPER_BIN + "; /bin/sh -c 'kill -9 $$'; " +
                       CTRACE_THREAD_HELPER_BIN + " exit 0 2; exit 0";
  Held all(script);
  cg.add(all.pid());
  auto run = stream_during(
      {"exit", "-c", cg.path().string()},
      [&] {
        all.go();
        REQUIRE(all.wait() == 0);
      },
      "exit");
  INFO("stderr: " << run.err);
  REQUIRE(run.code == 0);
  CHECK(run.lost == 0);
  // the subshell (3), the helper (SIGSEGV), the shell that killed itself, the thread helper (its
  // two threads are not processes), the script's shell
  REQUIRE(run.events.size() == 5);
  auto three = where(run.events, [](const json& e) { return e.value("status", -1) == 3; });
  REQUIRE(three.size() == 1);
  CHECK(three[0]["reason"] == "code");
  auto segv = where(run.events, [](const json& e) { return e.value("signal", "") == "SIGSEGV"; });
  REQUIRE(segv.size() == 1);
  CHECK(segv[0]["core_dumped"] == false);
  CHECK(segv[0]["comm"] == "ctrace_segv_hel");
  CHECK(where(run.events, [](const json& e) { return e.value("signal", "") == "SIGKILL"; }).size() == 1);
  auto ok = where(run.events, [](const json& e) { return e["reason"] == "ok"; });
  REQUIRE(ok.size() == 2);
  auto shell = of_pid(run.events, all.pid());
  REQUIRE(shell.size() == 1);
  CHECK(shell[0]["reason"] == "ok");
  CHECK(shell[0]["init"] == false);
  for (const auto& e : run.events) {
    CHECK(e["group_dead"] == true);
    CHECK(e["lifetime_ns"].get<uint64_t>() > 0);
  }

  Held failed(script);
  cg.add(failed.pid());
  run = stream_during(
      {"exit", "-x", "-c", cg.path().string()},
      [&] {
        failed.go();
        REQUIRE(failed.wait() == 0);
      },
      "exit");
  REQUIRE(run.code == 0);
  CHECK(run.events.size() == 3);  // the two successes ended too (the script exited 0 last)
  CHECK(where(run.events, [](const json& e) { return e["reason"] == "ok"; }).empty());

  Held threads(std::string(CTRACE_THREAD_HELPER_BIN) + " exit 4 2");
  cg.add(threads.pid());
  run = stream_during(
      {"exit", "--threads", "-c", cg.path().string()},
      [&] {
        threads.go();
        REQUIRE(threads.wait() == 4);
      },
      "exit");
  REQUIRE(run.code == 0);
  auto thr = where(run.events, [](const json& e) { return e["comm"] == "ctrace_thread_h"; });
  REQUIRE(thr.size() == 3);  // two threads, then the process
  CHECK(where(thr, [](const json& e) { return e["group_dead"] == false; }).size() == 2);
  auto last = where(thr, [](const json& e) { return e["group_dead"] == true; });
  REQUIRE(last.size() == 1);
  CHECK(last[0]["status"] == 4);
  CHECK(last[0]["tid"] == last[0]["pid"]);
}

TEST_CASE("exit names a runc container whose init dies of SIGSEGV: container init", "[exit][containers]") {
  auto name = container_name("exit");
  ContainerOptions opts;
  opts.hold = true;
  RuncContainer c(name, {"/ctl/ctrace_segv_helper"}, opts);
  fs::copy_file(CTRACE_SEGV_HELPER_BIN, c.bundle() / "rootfs/ctl/ctrace_segv_helper");
  auto run = stream_during(
      {"exit", "--container", c.id(), "--show", "container"},
      [&] {
        c.go();
        REQUIRE(c.wait_stopped());
      },
      "exit");
  INFO("stderr: " << run.err);
  REQUIRE(run.code == 0);
  auto init = where(run.events, [](const json& e) { return e["init"] == true; });
  REQUIRE(init.size() == 1);
  CHECK(init[0]["signal"] == "SIGSEGV");
  CHECK(init[0]["ns_pid"] == 1);
  CHECK(init[0]["container"] == c.id());
  CHECK(init[0]["pid"] == c.pid());
  for (const auto& e : run.events) CHECK(e["cgroup_id"] == c.cgroup_id());
}

TEST_CASE("signal: sent into a cgroup from outside, matched on the target, not between others", "[signal]") {
  TestCgroup cg("ctrace-test-signal");
  Process inside({CTRACE_SIGNAL_HELPER_BIN, "catch", std::to_string(SIGUSR1), "2"});
  Process outside({CTRACE_SIGNAL_HELPER_BIN, "catch", std::to_string(SIGUSR1), "1"});
  REQUIRE(inside.wait_for_stdout("ready"));
  REQUIRE(outside.wait_for_stdout("ready"));
  cg.add(inside.pid());
  auto send = [](pid_t pid) {
    auto r = run({CTRACE_SIGNAL_HELPER_BIN, "kill", std::to_string(pid), std::to_string(SIGUSR1)});
    REQUIRE(r.code == 0);
  };
  auto run = stream_during(
      {"signal", "--signal", "USR1", "-c", cg.path().string()},
      [&] {
        send(outside.pid());  // neither end in the cgroup
        REQUIRE(outside.wait() == 0);
        send(inside.pid());
        send(inside.pid());
        REQUIRE(inside.wait() == 0);
      },
      "signal");
  INFO("stderr: " << run.err);
  REQUIRE(run.code == 0);
  CHECK(run.lost == 0);
  REQUIRE(run.events.size() == 2);
  for (const auto& e : run.events) {
    CHECK(e["signal"] == "SIGUSR1");
    CHECK(e["sig"] == SIGUSR1);
    CHECK(e["target_pid"] == inside.pid());
    CHECK(e["target_cgroup_id"] == cg.id());
    CHECK(e["target_matched"] == true);
    CHECK(e["sender_matched"] == false);
    CHECK(e["sender_comm"] == "ctrace_signal_h");
    CHECK(e["from_kernel"] == false);
    CHECK(e["code"] == 0);  // SI_USER
    CHECK(e["result"] == "delivered");
  }
  CHECK(run.events[0]["sender_pid"] != run.events[1]["sender_pid"]);
}

TEST_CASE("signal --fatal: the SIGKILL a cgroup sends out, not its SIGCONT", "[signal]") {
  TestCgroup cg("ctrace-test-signal-fatal");
  auto script = [](pid_t victim) {
    std::string h = CTRACE_SIGNAL_HELPER_BIN, v = std::to_string(victim);
    return h + " kill " + v + " " + std::to_string(SIGCONT) + "; " + h + " kill " + v + " " +
           std::to_string(SIGKILL) + "; exit 0";
  };
  auto killed = [&](const std::vector<std::string>& args) {
    Process victim({CTRACE_SIGNAL_HELPER_BIN, "block"});
    REQUIRE(victim.wait_for_stdout("ready"));
    Held killer(script(victim.pid()));
    cg.add(killer.pid());
    auto run = stream_during(
        args,
        [&] {
          killer.go();
          REQUIRE(killer.wait() == 0);
          CHECK(victim.wait() == 128 + SIGKILL);
        },
        "signal");
    INFO("stderr: " << run.err);
    REQUIRE(run.code == 0);
    for (const auto& e : run.events) CHECK(e["sender_cgroup_id"] == cg.id());
    auto out = where(run.events, [&](const json& e) { return e["target_pid"] == victim.pid(); });
    for (const auto& e : out) {
      CHECK(e["sender_matched"] == true);
      CHECK(e["target_matched"] == false);
      CHECK(e["sender_comm"] == "ctrace_signal_h");
    }
    return std::make_pair(run.events, out);
  };
  // the positive control: without --fatal, both signals to the victim, and the SIGCHLD of the
  // shell's two children (sent by the kernel, matched on the target: the shell)
  auto [all, to_victim] = killed({"signal", "-c", cg.path().string()});
  REQUIRE(to_victim.size() == 2);
  CHECK(to_victim[0]["signal"] == "SIGCONT");
  CHECK(to_victim[1]["signal"] == "SIGKILL");
  auto chld = where(all, [](const json& e) { return e["signal"] == "SIGCHLD"; });
  CHECK(chld.size() == 2);
  for (const auto& e : chld) {
    CHECK(e["from_kernel"] == true);
    CHECK(e["target_matched"] == true);
  }
  CHECK(all.size() == 4);

  auto [fatal, fatal_to_victim] = killed({"signal", "--fatal", "-c", cg.path().string()});
  REQUIRE(fatal.size() == 1);
  CHECK(fatal[0]["signal"] == "SIGKILL");
  CHECK(fatal_to_victim.size() == 1);
}

TEST_CASE("signal --signal rejects a name it does not know", "[signal]") {
  auto r = run({ctrace_bin(), "signal", "--signal", "TERM,BOGUS", "-d", "1"});
  CHECK(r.code == 2);
  CHECK(r.err.find("unknown signal 'BOGUS'") != std::string::npos);
}

namespace {

// A memory cgroup with a limit for one test: on the v1 memory hierarchy in hybrid mode (as
// here), else memory.max of the cgroup2 directory itself.
class MemoryLimit {
 public:
  MemoryLimit(const TestCgroup& cg, uint64_t bytes) {
    if (fs::exists("/sys/fs/cgroup/memory/memory.limit_in_bytes")) {
      dir_ = fs::path("/sys/fs/cgroup/memory") / ("ctrace-test-oom-" + std::to_string(::getpid()));
      fs::create_directory(dir_);
      std::ofstream(dir_ / "memory.limit_in_bytes") << bytes;
      file_ = dir_ / "cgroup.procs";
    } else {
      std::ofstream(cg.path() / "memory.max") << bytes;
    }
  }
  ~MemoryLimit() {
    if (!dir_.empty()) {
      std::error_code ec;
      fs::remove(dir_, ec);
    }
  }
  void add(pid_t pid) const {
    if (!file_.empty()) std::ofstream(file_) << pid;
  }

 private:
  fs::path dir_, file_;
};

}  // namespace

TEST_CASE("oomkill: a cgroup past its memory limit, the victim and the limit", "[oomkill]") {
  TestCgroup cg("ctrace-test-oom");
  constexpr uint64_t kLimit = 32ULL << 20;
  MemoryLimit limit(cg, kLimit);
  Held hog(std::string(CTRACE_OOM_HELPER_BIN) + " 512");
  cg.add(hog.pid());
  limit.add(hog.pid());
  // the positive control runs in the same run: ctrace sees the process the killer chose
  auto run = stream_during(
      {"oomkill", "-c", cg.path().string()},
      [&] {
        hog.go();
        CHECK(hog.wait() == 128 + SIGKILL);
      },
      "oomkill");
  INFO("stderr: " << run.err << " hog: " << hog.err());
  REQUIRE(run.code == 0);
  REQUIRE(run.events.size() == 1);
  const auto& e = run.events[0];
  CHECK(e["comm"] == "ctrace_oom_help");
  CHECK(e["cgroup_id"] == cg.id());
  CHECK(e["kind"] == "cgroup");
  CHECK(e["oom_memcg_limit"] == kLimit);
  CHECK(e["anon_rss"].get<uint64_t>() > (kLimit / 2));
  CHECK(e["anon_rss"].get<uint64_t>() <= kLimit);
  CHECK(e["trigger_comm"] == "ctrace_oom_help");
}

namespace {

// One exec as strace -f prints it: the call, its filename (execve) and argv, and whether it failed.
struct StraceExec {
  std::string call, filename;
  std::vector<std::string> args;
  bool failed = false;
};

// A C string literal of strace's at s[i] (the opening quote): its bytes, i past its end.
std::string strace_string(const std::string& s, size_t& i) {
  std::string out;
  for (++i; i < s.size() && s[i] != '"'; ++i) {
    if (s[i] != '\\' || i + 1 >= s.size()) {
      out += s[i];
      continue;
    }
    char c = s[++i];
    out += c == 'n' ? '\n' : c == 't' ? '\t' : c;  // the script's strings have no others
  }
  ++i;
  return out;
}

std::vector<StraceExec> strace_execs(const std::string& log) {
  std::vector<StraceExec> out;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    auto call = line.find(" execve");
    if (call == std::string::npos) continue;
    StraceExec e;
    e.call = line.compare(call + 1, 8, "execveat") == 0 ? "execveat" : "execve";
    size_t i = line.find('"', call);
    if (e.call == "execve") e.filename = strace_string(line, i);
    if (e.call == "execveat") strace_string(line, i);  // its path ("" with AT_EMPTY_PATH)
    i = line.find('[', i);
    while (i < line.size() && line[i] != ']') {
      if (line[i] == '"')
        e.args.push_back(strace_string(line, i));
      else
        ++i;
    }
    e.failed = line.find(") = -1 ") != std::string::npos;
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

TEST_CASE("exec: the same execs as strace -f -e trace=execve,execveat of the same script, argv decoded alike",
          "[exec]") {
  REQUIRE(run({"sh", "-c", "command -v strace"}).code == 0);
  const std::string script = exec_script();
  auto st = run({"strace", "-f", "-qq", "-s", "4096", "-e", "trace=execve,execveat", "-o", "/dev/stderr",
                 "sh", "-c", script});
  REQUIRE(st.code == 0);
  auto expected = strace_execs(st.err);
  auto ct = run({ctrace_bin(), "exec", "-o", "json", "--", "sh", "-c", script});
  INFO("ctrace: " << ct.err << "\nstrace: " << st.err);
  REQUIRE(ct.code == 0);
  std::vector<json> got;
  std::istringstream in(ct.out);
  for (std::string line; std::getline(in, line);) got.push_back(json::parse(line));
  // sh, /bin/true, the missing file, the helper, its execveat of /bin/true, /bin/echo
  REQUIRE(expected.size() == 6);
  REQUIRE(got.size() == expected.size());
  for (size_t k = 0; k < got.size(); ++k) {
    const auto& e = expected[k];
    const auto& g = got[k];
    INFO("exec " << k << ": " << g.dump());
    CHECK(g["call"] == e.call);
    if (e.call == "execve") CHECK(g["filename"] == e.filename);
    CHECK((g["ret"].get<int64_t>() != 0) == e.failed);
    // ctrace keeps 20 strings and says when argv went on; strace prints them all
    size_t kept = std::min<size_t>(e.args.size(), 20);
    CHECK(g["args"] == json(std::vector<std::string>(e.args.begin(), e.args.begin() + kept)));
    CHECK(g["args_more"] == (e.args.size() > 20));
  }
  CHECK(expected[2].failed);  // the missing file: the positive control of the failure check
}
