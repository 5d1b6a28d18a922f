// Nothing from the traced world reaches a terminal raw (issue 23): the hostile fixture (hostile.hpp)
// through the text output of every command whose text goes through the Formatter, its stderr,
// its JSON (which must read back as the original bytes) and the Prometheus exporter. Each test
// has its positive control: the hostile events are there, with their names escaped.
#include "hostile.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <httplib.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "stream_support.hpp"

using namespace ctrace::test;
using namespace ctrace::test::hostile;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

size_t occurrences(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++n;
  return n;
}

// Lines of `text` that hold `needle`.
size_t lines_with(const std::string& text, const std::string& needle) {
  std::istringstream in(text);
  size_t n = 0;
  for (std::string line; std::getline(in, line);) n += line.find(needle) != std::string::npos;
  return n;
}

struct TextRun {
  int code = -1;
  std::string out, err;
};

// `ctrace ARGS` (text) around the workload: started, the workload let go and waited for, SIGINT.
TextRun text_around(const std::vector<std::string>& args, Workload& w) {
  auto ct = start_ctrace(args);
  w.go();
  REQUIRE(w.wait() == 0);
  ct->signal(SIGINT);
  TextRun r;
  r.code = ct->wait();
  r.out = ct->out();
  r.err = ct->err();
  return r;
}

// Text output and stderr hold nothing a terminal acts on; tabs only where `tabs`.
void check_safe(const TextRun& r, const std::string& what) {
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  check_terminal_safe(r.out, what + " stdout");
  check_terminal_safe(r.err, what + " stderr");
}

// The fixture's workload doing `actions` under `ctrace ARGS` (text): exit 0, nothing unsafe.
TextRun fixture_text(const Fixture& fx, const std::vector<std::string>& actions,
                     const std::vector<std::string>& args) {
  auto w = fx.workload(actions);
  auto r = text_around(args, *w);
  REQUIRE(r.code == 0);
  check_safe(r, fmt::format("{}", fmt::join(args, " ")));
  return r;
}

constexpr int kOpens = 3;

}  // namespace

TEST_CASE("hostile fixture: the names are what the kernel and podman keep", "[hostile]") {
  Fixture fx;
  // The kernel refuses a newline in a cgroup name, so the fixture's cgroup has none...
  auto nl = fx.cgroup().path().parent_path() / "bars-\nnewline";
  CHECK(::mkdir(nl.c_str(), 0755) == -1);
  CHECK(errno == EINVAL);
  // ...and keeps the escapes of one without (positive control)
  CHECK(fs::is_directory(fs::path(cgroup2_mount()) / fx.cgroup_path().substr(1)));
  CHECK(fx.cgroup().path().filename().string() == kCgroupName);

  auto w = fx.workload({"getppid", "1"});
  std::ifstream comm("/proc/" + std::to_string(w->pid()) + "/comm");
  std::string got((std::istreambuf_iterator<char>(comm)), {});
  CHECK(got == kComm + "\n");
  w->go();
  CHECK(w->wait() == 0);

  auto c = podman({"hostname"});
  auto ps = run({ctrace_bin(), "ps", "-o", "json"});  // while it is held, running
  REQUIRE(ps.code == 0);
  bool found = false;
  std::istringstream lines(ps.out);
  for (std::string line; std::getline(lines, line);) {
    auto j = json::parse(line);
    if (j.value("id", "") != c->id()) continue;
    found = true;
    CHECK(j["name"] == kContainerName);
    CHECK(j["pod"] == kPodName);
    CHECK(j["hostname"] == kContainerHostname);
  }
  CHECK(found);
  c->go();
  REQUIRE(c->wait_stopped());
  CHECK(c->output() == kContainerHostname + "\n");
}

TEST_CASE("hostile: openclose text escapes comm, hostname, cgroup path and path, JSON keeps the bytes",
          "[hostile][openclose]") {
  Fixture fx;
  const std::string cg = fx.cgroup().path().string();

  SECTION("--show cgroup") {
    auto r = fixture_text(fx, fx.open_close(kOpens), {"openclose", "-c", cg, "--show", "cgroup"});
    INFO(r.out);
    // every open and close, with its comm escaped; the path column keeps the escaped leaf
    CHECK(lines_with(r.out, " " + kCommText + " ") == 2 * kOpens);
    CHECK(lines_with(r.out, "/ctrace-hostile-" + std::to_string(::getpid()) + "/" + kFileNameText) == kOpens);
    CHECK(lines_with(r.out, "\u2026/" + kCgroupNameText + " ") == 2 * kOpens);
  }
  SECTION("--show hostname (the default)") {
    auto r = fixture_text(fx, fx.open_close(kOpens), {"openclose", "-c", cg});
    INFO(r.out);
    // HOSTNAME is 20 cells: the escaped name is cut before an escape that would not fit
    CHECK(lines_with(r.out, " h\\x1b]8;;http://x\u2026  ") == 2 * kOpens);
    CHECK(lines_with(r.out, " " + kCommText + " ") == 2 * kOpens);
  }
  SECTION("-o json reads back the original bytes") {
    auto w = fx.workload(fx.open_close(kOpens));
    auto run = stream_around({"openclose", "-c", cg, "--show", "cgroup"}, {w.get()}, "openclose");
    REQUIRE(run.code == 0);
    check_terminal_safe(run.err, "openclose -o json stderr");
    REQUIRE(run.events.size() == 2 * kOpens);
    for (const auto& e : run.events) {
      CHECK(e["comm"] == json_form(kComm));
      CHECK(e["hostname"] == json_form(kHostname));
      CHECK(e["cgroup"] == json_form(fx.cgroup_path()));
      if (e["syscall"] == "openat") CHECK(e["path"] == json_form(fx.file()));
    }
  }
}

TEST_CASE("hostile: openclose --show container escapes a podman container's name",
          "[hostile][openclose][podman]") {
  auto c = podman({"cat", kContainerFile});
  auto text =
      start_ctrace({"openclose", "--container", c->id(), "--show", "container", "--syscall", "openat"});
  c->go();
  REQUIRE(c->wait_stopped());
  text->signal(SIGINT);
  REQUIRE(text->wait() == 0);
  TextRun r{0, text->out(), text->err()};
  check_safe(r, "openclose --show container");
  INFO(r.out);
  // CONTAINER is 16 cells: the name's start, escaped; the path opened in full
  CHECK(lines_with(r.out, " web\\x1b]52;c;cH\u2026 ") >= 1);
  CHECK(lines_with(r.out, fmt::format("-ENOENT {:<16} {}", "cat", kContainerFileText)) == 1);
}

TEST_CASE("hostile: unshare text escapes comm, hostname and cgroup, JSON keeps the bytes",
          "[hostile][unshare]") {
  Fixture fx;
  const std::string cg = fx.cgroup().path().string();
  constexpr int kCalls = 2;
  const std::vector<std::string> calls{"unshare", "0x04000000", std::to_string(kCalls)};  // CLONE_NEWUTS
  {
    auto r = fixture_text(fx, calls, {"unshare", "-c", cg, "--show", "cgroup"});
    INFO(r.out);
    CHECK(lines_with(r.out, " " + kCommText + " ") == kCalls);
    CHECK(lines_with(r.out, "CLONE_NEWUTS") == kCalls);
    CHECK(lines_with(r.out, fx.cgroup_path_text()) == kCalls);
  }
  {
    auto r = fixture_text(fx, calls, {"unshare", "-c", cg, "--show", "hostname"});
    INFO(r.out);
    // the last column: the whole hostname, escaped
    CHECK(lines_with(r.out, " " + kHostnameText) == kCalls);
  }
  auto w = fx.workload(calls);
  auto run = stream_around({"unshare", "-c", cg, "--show", "cgroup"}, {w.get()}, "unshare");
  REQUIRE(run.code == 0);
  REQUIRE(run.events.size() == kCalls);
  for (const auto& e : run.events) {
    CHECK(e["comm"] == json_form(kComm));
    CHECK(e["cgroup"] == json_form(fx.cgroup_path()));
    // the hostname of each call: the one it set before (its UTS namespace is new after the call)
    CHECK(e["hostname"] == json_form(kHostname));
  }
}

TEST_CASE("hostile: tcpconnect events and --count escape comm, hostname and cgroup",
          "[hostile][tcpconnect]") {
  Fixture fx;
  const std::string cg = fx.cgroup().path().string();
  LoopbackSocket server(AF_INET, true);
  constexpr int kConnects = 2;
  const std::vector<std::string> connects{"connect", server.address(), std::to_string(kConnects)};
  {
    auto r = fixture_text(fx, connects, {"tcpconnect", "-c", cg, "--show", "cgroup"});
    INFO(r.out);
    CHECK(lines_with(r.out, " " + kCommText + " ") == kConnects);
    CHECK(lines_with(r.out, "\u2026/" + kCgroupNameText + " ") == kConnects);
  }
  {
    auto r = fixture_text(fx, connects, {"tcpconnect", "-c", cg, "--count"});
    INFO(r.out);
    // a table is as wide as its cells: the whole hostname, escaped, on the destination's row
    CHECK(lines_with(r.out, kHostnameText + " 4  127.0.0.1") == 1);
  }
  auto w = fx.workload(connects);
  auto run = stream_around({"tcpconnect", "-c", cg}, {w.get()}, "tcpconnect");
  REQUIRE(run.code == 0);
  REQUIRE(run.events.size() == kConnects);
  for (const auto& e : run.events) {
    CHECK(e["comm"] == json_form(kComm));
    CHECK(e["hostname"] == json_form(kHostname));
  }
}

TEST_CASE("hostile: exit text escapes comm and cgroup, exec text escapes argv", "[hostile][exit][exec]") {
  Fixture fx;
  const std::string cg = fx.cgroup().path().string();
  auto r = fixture_text(fx, fx.open_close(1), {"exit", "-c", cg, "--show", "cgroup"});
  INFO(r.out);
  CHECK(lines_with(r.out, " " + kCommText + " ") == 1);
  CHECK(lines_with(r.out, "/" + kCgroupNameText + " ") == 1);

  // a program run with the hostile file name as its argument: the line is there, escaped
  Process p({"/bin/sh", "-c", "read go; exec /bin/true \"$0\"", fx.file()});
  fx.cgroup().add(p.pid());
  auto ct = start_ctrace({"exec", "-c", cg});
  p.write_stdin("go\n");
  p.close_stdin();
  REQUIRE(p.wait() == 0);
  CHECK(ct->wait_for_stdout(kFileNameText));
  ct->signal(SIGINT);
  TextRun e{ct->wait(), ct->out(), ct->err()};
  REQUIRE(e.code == 0);
  check_safe(e, "exec");
  CHECK(lines_with(e.out, kFileNameText) == 1);
}

TEST_CASE("hostile: stat counts the hostile process and names its removed cgroup escaped",
          "[hostile][stat]") {
  Fixture fx;
  constexpr int kGetppid = 1234;
  for (bool as_json : {false, true}) {
    auto w = fx.workload({"getppid", std::to_string(kGetppid)});
    std::vector<std::string> args{"stat", "-c", fx.cgroup().path().string()};
    if (as_json) args.insert(args.end(), {"-o", "json"});
    auto ct = start_ctrace(args);
    w->go();
    REQUIRE(w->wait() == 0);
    // the target goes away: stat says so on stderr, prints its table and ends by itself
    int removed = -1;
    for (int i = 0; i < 100 && (removed = ::rmdir(fx.cgroup().path().c_str())) != 0 && errno == EBUSY; ++i)
      ::usleep(10000);
    REQUIRE(removed == 0);
    REQUIRE(ct->wait() == 0);
    TextRun r{0, ct->out(), ct->err()};
    INFO(r.out << r.err);
    check_terminal_safe(r.err, "stat stderr");
    CHECK(r.err.find(kCgroupNameText + " was removed") != std::string::npos);
    if (as_json) {
      auto j = json::parse(r.out);
      CHECK(j["target"]["cgroup"] == json_form(fx.cgroup_path()));
      uint64_t n = 0;
      for (const auto& s : j["syscalls"])
        if (s["name"] == "getppid") n = s["count"];
      CHECK(n == kGetppid);
    } else {
      check_terminal_safe(r.out, "stat stdout");
      std::istringstream rows(r.out);
      std::string name, count;
      for (std::string line; std::getline(rows, line);)
        if (line.rfind("getppid ", 0) == 0) std::istringstream(line) >> name >> count;
      CHECK(count == std::to_string(kGetppid));
    }
    fs::create_directory(fx.cgroup().path());
  }
}

TEST_CASE("hostile: a -- CMD that cannot run is named escaped", "[hostile][stat]") {
  auto r = run({ctrace_bin(), "stat", "--", "/nonexistent/" + kComm});
  CHECK(r.code == 127);
  check_terminal_safe(r.err, "stat -- CMD stderr");
  CHECK(r.err.find("cannot run /nonexistent/" + kCommText + ": No such file or directory") !=
        std::string::npos);
}

TEST_CASE("hostile: record dumps strace's escapes of comm and path, in text and JSON", "[hostile][record]") {
  Fixture fx;
  for (bool as_json : {false, true}) {
    auto w = fx.workload(fx.open_close(kOpens));
    std::vector<std::string> args{"record", "-c", fx.cgroup().path().string(), "--syscalls", "openat"};
    if (as_json) args.insert(args.end(), {"-o", "json"});
    auto r = text_around(args, *w);
    REQUIRE(r.code == 0);
    INFO(r.out << r.err);
    check_terminal_safe(r.err, "record stderr");
    check_terminal_safe(r.out, "record stdout");
    const std::string opened =
        "filename=\"/tmp/ctrace-hostile-" + std::to_string(::getpid()) + "/" + kFileNameStrace;
    if (!as_json) {
      CHECK(lines_with(r.out, "[" + kCommStrace + "] openat(dfd=AT_FDCWD, " + opened + "\"") == kOpens);
      continue;
    }
    // JSON carries the same escapes as the text (documented for dumps)
    size_t n = 0;
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
      auto j = json::parse(line);
      if (j["type"] != "syscall" || j["name"] != "openat") continue;
      CHECK(j["comm"] == kCommStrace);
      CHECK(j["args"][1]["str"] ==
            "/tmp/ctrace-hostile-" + std::to_string(::getpid()) + "/" + kFileNameStrace);
      ++n;
    }
    CHECK(n == kOpens);
  }
}

TEST_CASE("hostile: ctl dump is strace-escaped and the exporter's labels pass promtool",
          "[hostile][serve][metrics]") {
  Fixture fx;
  auto c = podman({"true"});  // held: its shell polls for /ctl/go until the end, named all along
  const std::string sock = "/tmp/ctrace-test-hostile-" + std::to_string(::getpid()) + ".sock";
  const int port = free_port();
  Process d(
      {ctrace_bin(), "serve", "--socket", sock, "--metrics-address", "127.0.0.1:" + std::to_string(port)});
  REQUIRE(d.wait_for_stderr("Listening on"));
  auto add = run({ctrace_bin(), "ctl", "--socket", sock, "add", "hostile", fx.cgroup().path().string()});
  REQUIRE(add.code == 0);

  auto w = fx.workload(fx.open_close(kOpens));
  w->go();
  REQUIRE(w->wait() == 0);

  auto dump = run({ctrace_bin(), "ctl", "--socket", sock, "dump", "hostile"});
  REQUIRE(dump.code == 0);
  INFO(dump.out);
  check_terminal_safe(dump.out, "ctl dump");
  CHECK(lines_with(dump.out, "[" + kCommStrace + "] openat(") == kOpens);
  CHECK(lines_with(dump.out, "/" + kFileNameStrace + "\"") == kOpens);

  // The host view sees both by the next scrape; the exposition is printable UTF-8, one sample a line.
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(10);
  std::string metrics;
  for (int i = 0; i < 50; ++i) {
    auto m = client.Get("/metrics");
    REQUIRE(m);
    metrics = m->body;
    if (metrics.find(kContainerNameText) != std::string::npos &&
        metrics.find(kCgroupNameText) != std::string::npos)
      break;
    ::usleep(200000);
  }
  INFO(metrics);
  check_terminal_safe(metrics, "/metrics");
  // our escapes, then the exposition's own: each backslash doubled
  auto exposed = [](std::string s) {
    std::string out;
    for (char ch : s) out += ch == '\\' ? std::string("\\\\") : std::string(1, ch);
    return out;
  };
  CHECK(metrics.find("container=\"" + exposed(fx.cgroup_path_text()) + "\"") != std::string::npos);
  CHECK(metrics.find(exposed(kContainerNameText)) != std::string::npos);
  CHECK(metrics.find(exposed(kPodNameText)) != std::string::npos);
  auto file = fs::temp_directory_path() / ("ctrace-hostile-metrics-" + std::to_string(::getpid()) + ".prom");
  std::ofstream(file) << metrics;
  auto lint = run({"sh", "-c", "promtool check metrics < " + file.string()});
  fs::remove(file);
  INFO(lint.out << lint.err);
  CHECK(lint.code == 0);

  d.signal(SIGTERM);
  CHECK(d.wait() == 0);
  // it logged the target it recorded, by its path: escaped
  check_terminal_safe(d.err(), "serve stderr");
  CHECK(d.err().find(kCgroupNameText + " as hostile") != std::string::npos);
}

TEST_CASE("hostile: ps, ps -q and top tables escape cgroup names", "[hostile][ps][top]") {
  Fixture fx;
  const std::string parent = fx.cgroup().path().parent_path().string();
  const std::string shown = fx.cgroup_path_text();
  auto w = fx.workload({"sleep-ms", "4000"});
  auto ps = run({ctrace_bin(), "ps", "--all"});  // the workload waits for go() in the cgroup
  REQUIRE(ps.code == 0);
  check_safe({ps.code, ps.out, ps.err}, "ps --all");
  CHECK(lines_with(ps.out, shown + " ") == 1);
  auto q = run({ctrace_bin(), "ps", "--all", "-q"});  // a cgroup without a container id: its path
  REQUIRE(q.code == 0);
  check_safe({q.code, q.out, q.err}, "ps --all -q");
  CHECK(lines_with(q.out, shown) == 1);

  w->go();
  // not a terminal: one table per interval
  auto top = run({ctrace_bin(), "top", "--by", "cgroup", "-c", parent, "-i", "1", "-d", "2.5"});
  REQUIRE(w->wait() == 0);
  REQUIRE(top.code == 0);
  check_safe({top.code, top.out, top.err}, "top --by cgroup");
  CHECK(lines_with(top.out, shown + " ") >= 1);
}

TEST_CASE("hostile: stat --by-container and biograph --by-container titles are escaped",
          "[hostile][stat][biograph]") {
  Fixture fx;
  const std::string parent = fx.cgroup().path().parent_path().string();
  const std::string shown = fx.cgroup_path_text();
  {
    auto w = fx.workload({"getppid", "1000"});
    auto ct = start_ctrace({"stat", "--by-container", "-c", parent});
    w->go();
    REQUIRE(w->wait() == 0);
    ct->signal(SIGINT);
    REQUIRE(ct->wait() == 0);
    check_safe({0, ct->out(), ct->err()}, "stat --by-container");
    CHECK(lines_with(ct->out(), "CONTAINER " + shown) == 1);
  }
  // block I/O of the cgroup: O_DIRECT writes to the build directory (a real block device)
  const std::string file =
      std::string(CTRACE_BUILD_DIR) + "/hostile-bio-" + std::to_string(::getpid()) + ".dat";
  Process ct({ctrace_bin(), "biograph", "--by-container", "-o", "graph", "-c", parent});
  REQUIRE(ct.wait_for_stderr("Collecting events"));
  auto dd = run({"sh", "-c",
                 "echo $$ > \"$1/cgroup.procs\" && exec dd if=/dev/zero of=\"$2\" bs=1M count=4 oflag=direct",
                 "sh", fx.cgroup().path().string(), file});
  fs::remove(file);
  REQUIRE(dd.code == 0);
  ::usleep(1500000);  // the interval that saw the writes ends
  ct.signal(SIGINT);
  REQUIRE(ct.wait() == 0);
  check_safe({0, ct.out(), ct.err()}, "biograph --by-container -o graph");
  CHECK(lines_with(ct.out(), "CONTAINER " + shown) == 1);
}

TEST_CASE("hostile: full-screen top draws escaped names and only its own escape sequences",
          "[hostile][top]") {
  Fixture fx;
  auto w = fx.workload({"sleep-ms", "3000"});
  w->go();
  // `script` gives ctrace a real pty (as top_test.cpp does)
  std::string cmd = fmt::format(
      "{} top --by cgroup -c {} -i 0.2 </dev/tty & pid=$!; "
      "n=0; until ls -l /proc/$pid/fd 2>/dev/null | grep -q bpf_link || [ $n -ge 600 ]; do sleep 0.05; n=$((n+1)); done; sleep 1; "
      "kill -TERM $pid; wait $pid; echo "
      "EXIT=$?; "
      "stty -a",
      ctrace_bin(), fx.cgroup().path().parent_path().string());
  auto r = run({"script", "-qfec", cmd, "/dev/null"}, std::chrono::seconds(30));
  REQUIRE(w->wait() == 0);
  INFO(r.out);
  REQUIRE(r.code == 0);
  auto enter = r.out.find("\033[?1049h"), leave = r.out.find("\033[?1049l");
  REQUIRE(enter != std::string::npos);
  REQUIRE(leave != std::string::npos);
  const std::string screen = r.out.substr(enter, leave - enter);
  CHECK(screen.find(fx.cgroup_path_text()) != std::string::npos);
  // every ESC on the screen starts one of top's own: home, clear to the end of the line or of the
  // screen, the alternate screen, the cursor hidden and shown again; nothing of the names' own
  size_t own = 0, other = 0;
  for (auto at = screen.find('\033'); at != std::string::npos; at = screen.find('\033', at + 1)) {
    bool ours = false;
    for (const char* seq : {"\033[H", "\033[K", "\033[J", "\033[?1049h", "\033[?25l", "\033[?25h"})
      ours = ours || screen.compare(at, std::strlen(seq), seq) == 0;
    ++(ours ? own : other);
  }
  CHECK(own > 0);
  CHECK(other == 0);
  for (const char* raw : {"\xe2\x80\xae", "\x9b", "\x7f"}) CHECK(screen.find(raw) == std::string::npos);
  CHECK(r.out.find("EXIT=0") != std::string::npos);
  CHECK(r.out.substr(r.out.rfind("speed")).find(" icanon") != std::string::npos);  // the terminal is back
}
