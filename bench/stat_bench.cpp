// ctrace_stat_bench: what `ctrace stat` costs a traced (and an untraced) container, against the
// floor of two empty BPF programs on the same hooks, all in one run.
//
// Every configuration runs the same loop: a child moves itself into a cgroup, pins itself to one
// CPU, and measures the CPU time of N getppid() calls made through syscall(2). A tracer, when there is one,
// is started first and the loop begins once the tracer says it is attached (a marker line on its stderr or
// stdout); the tracer is stopped with SIGINT afterwards and its peak RSS is read from wait4(). Rounds
// interleave the configurations so that machine noise spreads over all of them; the report gives medians.
#include <fcntl.h>
#include <fmt/core.h>
#include <httplib.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "ctrace/core/cgroup.hpp"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

struct Options {
  std::string ctrace, floor, syscount, bpftrace, compare;
  long calls = 2'000'000;
  int runs = 5;
  int cpu = -1;
};

// One configuration of the table.
struct Config {
  std::string label;
  std::vector<std::string> argv;  // empty: no tracer
  std::string marker;             // printed by the tracer once attached
  bool marker_on_stdout = false;
  int settle_ms = 100;        // extra wait after the marker (bpftrace prints it before attaching)
  bool in_target = true;      // the loop runs in the traced cgroup
  bool check_ctrace = false;  // parse ctrace's table and check the getppid count
  bool check_top = false;     // parse ctrace top's NDJSON and check the on/ cgroup's syscalls
  int metrics_port = 0;       // serve --metrics-address: scrape it after the loop and check on/
  int exit_code = 0;          // what the tracer exits with when stopped
  // medians come from these
  std::vector<double> ns_per_call, start_ms, start_cpu_ms, rss_kb;
};

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// Thrown on failure; unwinding stops the tracer and removes the cgroups.
[[noreturn]] void die(const std::string& what) {
  throw std::runtime_error(what);
}

// The loop, in a child that first moves itself into `cgroup`. Returns ns per call.
double run_loop(const fs::path& cgroup, long calls, int cpu) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) die("pipe failed");
  pid_t pid = fork();
  if (pid < 0) die("fork failed");
  if (pid == 0) {
    close(p[0]);
    int fd = open((cgroup / "cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, "0", 1) != 1) _exit(2);
    close(fd);
    if (cpu >= 0) {
      cpu_set_t set;
      CPU_ZERO(&set);
      CPU_SET(cpu, &set);
      sched_setaffinity(0, sizeof(set), &set);
    }
    for (int i = 0; i < 10000; ++i) syscall(SYS_getppid);  // warm caches and task storage
    timespec a{}, b{};
    // CPU time of this thread (user + kernel, BPF included): time spent preempted by other
    // work on a busy machine does not count.
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
    for (long i = 0; i < calls; ++i) syscall(SYS_getppid);
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
    double ns = static_cast<double>(b.tv_sec - a.tv_sec) * 1e9 + static_cast<double>(b.tv_nsec - a.tv_nsec);
    double per_call = ns / static_cast<double>(calls);
    ssize_t w = write(p[1], &per_call, sizeof(per_call));
    _exit(w == sizeof(per_call) ? 0 : 3);
  }
  close(p[1]);
  double per_call = 0;
  ssize_t r = read(p[0], &per_call, sizeof(per_call));
  close(p[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (r != sizeof(per_call) || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    die(fmt::format("the syscall loop failed in {} (status {})", cgroup.string(), status));
  return per_call;
}

// A tracer process: started, waited for until attached, stopped.
class Tracer {
 public:
  Tracer(const Config& c, const fs::path& stdout_file) : config_(c) {
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) die("pipe failed");
    started_ = Clock::now();
    pid_ = fork();
    if (pid_ < 0) die("fork failed");
    if (pid_ == 0) {
      int out = open(stdout_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
      dup2(devnull, STDIN_FILENO);
      dup2(p[1], c.marker_on_stdout ? STDOUT_FILENO : STDERR_FILENO);
      dup2(c.marker_on_stdout ? devnull : out, c.marker_on_stdout ? STDERR_FILENO : STDOUT_FILENO);
      std::vector<char*> argv;
      for (const auto& a : c.argv) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execvp(argv[0], argv.data());
      _exit(127);
    }
    close(p[1]);
    fd_ = p[0];
  }
  Tracer(const Tracer&) = delete;
  Tracer& operator=(const Tracer&) = delete;
  ~Tracer() {
    if (pid_ <= 0) return;  // stopped
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    close(fd_);
  }

  // Milliseconds from fork to the marker line; `cpu_ms` gets the CPU time the tracer used
  // until then (/proc/PID/schedstat: not inflated by waiting for a busy CPU).
  double wait_attached(double& cpu_ms) {
    auto deadline = Clock::now() + std::chrono::seconds(20);
    while (text_.find(config_.marker) == std::string::npos) {
      if (!read_some(deadline))
        die(fmt::format("{} exited or hung before attaching: {}", config_.label, text_));
    }
    double ms = std::chrono::duration<double, std::milli>(Clock::now() - started_).count();
    std::ifstream schedstat(fmt::format("/proc/{}/schedstat", pid_));
    double run_ns = 0;
    schedstat >> run_ns;
    cpu_ms = run_ns / 1e6;
    if (config_.settle_ms) usleep(static_cast<useconds_t>(config_.settle_ms) * 1000);
    return ms;
  }

  // SIGINT, drain its output, reap it. Returns peak RSS in kB.
  long stop() {
    kill(pid_, SIGINT);
    auto deadline = Clock::now() + std::chrono::seconds(30);
    while (read_some(deadline)) {
    }
    close(fd_);
    int status = 0;
    rusage ru{};
    if (Clock::now() >= deadline) kill(pid_, SIGKILL);
    wait4(pid_, &status, 0, &ru);
    pid_ = -1;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != config_.exit_code)
      std::fprintf(stderr, "warning: %s ended with status %d\n", config_.label.c_str(), status);
    return ru.ru_maxrss;
  }

 private:
  // Appends what is readable before `deadline`; false at EOF or timeout.
  bool read_some(Clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd pfd{fd_, POLLIN, 0};
    if (poll(&pfd, 1, static_cast<int>(left)) <= 0) return false;
    char buf[4096];
    ssize_t n = read(fd_, buf, sizeof(buf));
    if (n <= 0) return false;
    text_.append(buf, static_cast<size_t>(n));
    return true;
  }

  const Config& config_;
  pid_t pid_ = -1;
  int fd_ = -1;
  Clock::time_point started_;
  std::string text_;
};

// The getppid count in ctrace's text table (0 when the row is absent).
long ctrace_getppid_count(const fs::path& stdout_file) {
  std::ifstream in(stdout_file);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string name;
    long count = 0;
    if (words >> name >> count && name == "getppid") return count;
  }
  return 0;
}

// Syscalls that `ctrace top --by cgroup -o json` counted for the cgroup `path` (relative).
long top_syscall_count(const fs::path& stdout_file, const std::string& path) {
  std::ifstream in(stdout_file);
  long n = 0;
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object() && j.value("type", "") == "top" && j.value("cgroup", "") == path)
      n += j.value("syscalls", 0L);
  }
  return n;
}

// ctrace_container_syscalls_total of the container labelled `path`, scraped from serve's
// --metrics-address (-1 when the scrape fails or the series is absent).
long exporter_syscall_count(int port, const std::string& path) {
  httplib::Client c("127.0.0.1", port);
  auto r = c.Get("/metrics");
  if (!r || r->status != 200) return -1;
  std::istringstream in(r->body);
  const std::string want = "ctrace_container_syscalls_total{container=\"" + path + "\"";
  for (std::string line; std::getline(in, line);)
    if (line.rfind(want, 0) == 0) return std::stol(line.substr(line.rfind(' ') + 1));
  return -1;
}

// One cgroup pair for the whole run: the loop runs in on/, the off-target tracers watch off/.
struct BenchCgroups {
  fs::path root, on, off;
  BenchCgroups() {
    root = ctrace::cgroup::find_cgroup2_mount() / fmt::format("ctrace-bench-{}", getpid());
    on = root / "on";
    off = root / "off";
    fs::create_directories(on);
    fs::create_directories(off);
  }
  ~BenchCgroups() {
    std::error_code ec;
    fs::remove(on, ec);
    fs::remove(off, ec);
    fs::remove(root, ec);
  }
};

std::string bpftrace_program(uint64_t cgroup_id) {
  // What `ctrace stat` computes: count, total latency and errors per syscall nr, for one cgroup.
  return fmt::format(
      "tracepoint:raw_syscalls:sys_enter /cgroup == {}/ {{ @start[tid] = nsecs; }}\n"
      "tracepoint:raw_syscalls:sys_exit /@start[tid]/ {{\n"
      "  @count[args->id] = count(); @ns[args->id] = sum(nsecs - @start[tid]);\n"
      "  if (args->ret < 0) {{ @errors[args->id] = count(); }}\n"
      "  delete(@start[tid]);\n"
      "}}",
      cgroup_id);
}

std::vector<Config> make_configs(const Options& o, const BenchCgroups& cg) {
  std::vector<Config> cs;
  cs.push_back({.label = "base (no tracer)"});
  cs.push_back(
      {.label = "floor (empty tp_btf enter+exit)", .argv = {o.floor}, .marker = "Collecting events"});
  for (bool on : {true, false})
    cs.push_back({.label = on ? "ctrace stat (on target)" : "ctrace stat (off target)",
                  .argv = {o.ctrace, "stat", "-c", (on ? cg.on : cg.off).string()},
                  .marker = "Collecting events",
                  .in_target = on,
                  .check_ctrace = true});
  // ctrace advise seccomp: a hash update per call (per cgroup and nr) instead of stat's per-CPU
  // slot; --from-start looks every task's cgroup up in the hash of new cgroups (on/ is not new).
  for (bool on : {true, false})
    cs.push_back({.label = on ? "ctrace advise seccomp (on target)" : "ctrace advise seccomp (off target)",
                  .argv = {o.ctrace, "advise", "seccomp", "-o", "text", "-c", (on ? cg.on : cg.off).string()},
                  .marker = "Counting",
                  .in_target = on,
                  .check_ctrace = true});
  cs.push_back({.label = "ctrace advise seccomp --from-start",
                .argv = {o.ctrace, "advise", "seccomp", "--from-start", "--container", "ctrace-bench-none"},
                .marker = "Waiting for container",
                .exit_code = 1});  // the container never started: no advice
  // ctrace top: every cgroup counted (no target), then narrowed to on/ and to off/.
  cs.push_back({.label = "ctrace top (every cgroup)",
                .argv = {o.ctrace, "top", "--by", "cgroup", "-o", "json", "-i", "3600"},
                .marker = "Collecting events",
                .check_top = true});
  for (bool on : {true, false})
    cs.push_back({.label = on ? "ctrace top (on target)" : "ctrace top (off target)",
                  .argv = {o.ctrace, "top", "--by", "cgroup", "-o", "json", "-i", "3600", "-c",
                           (on ? cg.on : cg.off).string()},
                  .marker = "Collecting events",
                  .in_target = on,
                  .check_top = true});
  // The exporter: the same host-view programs as top, loaded by serve --metrics-address; a
  // scrape after the loop checks that it counted on/.
  const int port = 19000 + getpid() % 1000;
  cs.push_back({.label = "serve --metrics-address",
                .argv = {o.ctrace, "serve", "--socket", fmt::format("/tmp/ctrace-bench-{}.sock", getpid()),
                         "--metrics-address", fmt::format("127.0.0.1:{}", port)},
                .marker = "Listening on",
                .metrics_port = port});
  if (!o.compare.empty())  // another build of ctrace, for A/B of a change
    for (bool on : {true, false})
      cs.push_back({.label = on ? "compared ctrace (on target)" : "compared ctrace (off target)",
                    .argv = {o.compare, "stat", "-c", (on ? cg.on : cg.off).string()},
                    .marker = "Collecting events",
                    .in_target = on,
                    .check_ctrace = true});
  if (!o.compare.empty())
    cs.push_back({.label = "compared top (every cgroup)",
                  .argv = {o.compare, "top", "--by", "cgroup", "-o", "json", "-i", "3600"},
                  .marker = "Collecting events",
                  .check_top = true});
  if (!o.syscount.empty())
    for (bool on : {true, false})
      cs.push_back({.label = on ? "syscount -L (on target)" : "syscount -L (off target)",
                    // syscount block-buffers stdout into a pipe: line-buffer it to see the marker
                    .argv = {"stdbuf", "-oL", o.syscount, "-L", "-c", (on ? cg.on : cg.off).string()},
                    .marker = "Tracing syscalls",
                    .marker_on_stdout = true,
                    .in_target = on});
  if (!o.bpftrace.empty())
    for (bool on : {true, false})
      cs.push_back(
          {.label = on ? "bpftrace (on target)" : "bpftrace (off target)",
           .argv = {o.bpftrace, "-e", bpftrace_program(ctrace::cgroup::cgroup_id(on ? cg.on : cg.off))},
           .marker = "Attaching",
           .marker_on_stdout = true,
           .settle_ms = 1000,
           .in_target = on});
  return cs;
}

void run_once(Config& c, const Options& o, const BenchCgroups& cg, const fs::path& out_file) {
  if (c.argv.empty()) {
    c.ns_per_call.push_back(run_loop(cg.on, o.calls, o.cpu));
    return;
  }
  Tracer t(c, out_file);
  double cpu_ms = 0;
  c.start_ms.push_back(t.wait_attached(cpu_ms));
  c.start_cpu_ms.push_back(cpu_ms);
  c.ns_per_call.push_back(run_loop(cg.on, o.calls, o.cpu));
  long scraped =
      c.metrics_port ? exporter_syscall_count(c.metrics_port, "/" + cg.root.filename().string() + "/on") : 0;
  c.rss_kb.push_back(static_cast<double>(t.stop()));
  if (c.metrics_port && scraped < o.calls)
    std::fprintf(stderr, "warning: %s exported %ld syscalls of on/\n", c.label.c_str(), scraped);
  if (c.check_ctrace) {
    long n = ctrace_getppid_count(out_file);
    bool ok = c.in_target ? n >= o.calls : n == 0;
    if (!ok) std::fprintf(stderr, "warning: %s counted %ld getppid calls\n", c.label.c_str(), n);
  }
  if (c.check_top) {
    long n = top_syscall_count(out_file, "/" + cg.root.filename().string() + "/on");
    bool ok = c.in_target ? n >= o.calls : n == 0;
    if (!ok) std::fprintf(stderr, "warning: %s counted %ld syscalls of on/\n", c.label.c_str(), n);
  }
}

// Per round r: overhead_r = ns_r - base_r, ratio_r = overhead_r / floor overhead_r; the table
// gives the medians over rounds. Pairing each figure with the base and floor of its own round
// keeps slow drifts of a shared machine out of the ratios.
struct Figures {
  double ns, overhead, ratio;
};

Figures figures(const Config& c, const Config& base, const Config& floor) {
  std::vector<double> over, ratio;
  for (size_t r = 0; r < c.ns_per_call.size(); ++r) {
    double b = base.ns_per_call[r], f = floor.ns_per_call[r] - b;
    over.push_back(c.ns_per_call[r] - b);
    ratio.push_back(f > 0 ? (c.ns_per_call[r] - b) / f : 0.0);
  }
  return {median(c.ns_per_call), median(over), median(ratio)};
}

void report(const std::vector<Config>& cs, const Options& o) {
  const Config& base = cs[0];
  const Config& floor = cs[1];
  fmt::print("ctrace stat benchmark: {} getppid() calls per run, median of {} runs, loop on CPU {}\n\n",
             o.calls, o.runs, o.cpu);
  fmt::print("{:<34} {:>8} {:>13} {:>8} {:>10} {:>9} {:>8}\n", "CONFIGURATION", "NS/CALL", "OVERHEAD(ns)",
             "x FLOOR", "START(ms)", "CPU(ms)", "RSS(MB)");
  for (const auto& c : cs) {
    if (c.argv.empty()) {
      fmt::print("{:<34} {:>8.1f} {:>13} {:>8} {:>10} {:>9} {:>8}\n", c.label, median(c.ns_per_call), "---",
                 "---", "---", "---", "---");
      continue;
    }
    Figures f = figures(c, base, floor);
    fmt::print("{:<34} {:>8.1f} {:>13.1f} {:>8.2f} {:>10.1f} {:>9.1f} {:>8.1f}\n", c.label, f.ns, f.overhead,
               f.ratio, median(c.start_ms), median(c.start_cpu_ms), median(c.rss_kb) / 1024.0);
  }
  auto find = [&](const std::string& label) -> const Config& {
    return *std::find_if(cs.begin(), cs.end(), [&](const Config& c) { return c.label == label; });
  };
  const Config& on = find("ctrace stat (on target)");
  const Config& off = find("ctrace stat (off target)");
  double r_on = figures(on, base, floor).ratio, r_off = figures(off, base, floor).ratio;
  std::vector<double> starts = on.start_ms, cpus = on.start_cpu_ms, rss = on.rss_kb;
  starts.insert(starts.end(), off.start_ms.begin(), off.start_ms.end());
  cpus.insert(cpus.end(), off.start_cpu_ms.begin(), off.start_cpu_ms.end());
  rss.insert(rss.end(), off.rss_kb.begin(), off.rss_kb.end());
  double start = median(starts), cpu = median(cpus), mb = *std::max_element(rss.begin(), rss.end()) / 1024.0;
  auto verdict = [](bool ok) { return ok ? "ok" : "MISSED"; };
  fmt::print("\ntargets: on target {:.2f}x <= 2.00x {}\n", r_on, verdict(r_on <= 2.0));
  fmt::print("         off target {:.2f}x <= 1.25x {}\n", r_off, verdict(r_off <= 1.25));
  fmt::print("         start {:.1f} ms <= 30 ms {} (CPU used until attached: {:.1f} ms)\n", start,
             verdict(start <= 30), cpu);
  fmt::print("         peak RSS {:.1f} MB <= 8 MB {}\n", mb, verdict(mb <= 8));
  double r_top = figures(find("ctrace top (every cgroup)"), base, floor).ratio;
  double r_top_on = figures(find("ctrace top (on target)"), base, floor).ratio;
  fmt::print("         ctrace top, every cgroup {:.2f}x <= 1.60x {}\n", r_top, verdict(r_top <= 1.6));
  fmt::print("         ctrace top -c on/ {:.2f}x <= 1.60x {}\n", r_top_on, verdict(r_top_on <= 1.6));
  double r_serve = figures(find("serve --metrics-address"), base, floor).ratio;
  fmt::print("         serve --metrics-address {:.2f}x <= 1.60x {}\n", r_serve, verdict(r_serve <= 1.6));
  double load[3] = {};
  if (getloadavg(load, 3) > 0)
    fmt::print("(load average {:.2f} at the end: the start-up wall time includes waiting for a CPU)\n",
               load[0]);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"ctrace_stat_bench: the overhead of ctrace stat against empty BPF programs (run as root)"};
  app.add_option("--ctrace", o.ctrace, "the ctrace binary")->required()->check(CLI::ExistingFile);
  app.add_option("--floor", o.floor, "the ctrace_bench_floor binary")->required()->check(CLI::ExistingFile);
  app.add_option("--syscount", o.syscount, "libbpf-tools syscount (optional)")->check(CLI::ExistingFile);
  app.add_option("--bpftrace", o.bpftrace, "bpftrace (optional)")->check(CLI::ExistingFile);
  app.add_option("--compare", o.compare, "another ctrace binary to measure alongside (A/B of a change)")
      ->check(CLI::ExistingFile);
  app.add_option("--calls", o.calls, "getppid() calls per run")->check(CLI::PositiveNumber);
  app.add_option("--runs", o.runs, "runs per configuration (the report gives medians)")
      ->check(CLI::Range(1, 1000));
  app.add_option("--cpu", o.cpu, "CPU the loop is pinned to (default: the last one)");
  CLI11_PARSE(app, argc, argv);
  if (geteuid() != 0) {
    std::fprintf(stderr, "ctrace_stat_bench: run as root (BPF and cgroups)\n");
    return 2;
  }
  if (o.cpu < 0) o.cpu = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN)) - 1;

  fs::path out_file = fs::temp_directory_path() / fmt::format("ctrace-bench-{}.out", getpid());
  try {
    BenchCgroups cg;
    std::vector<Config> configs = make_configs(o, cg);
    run_loop(cg.on, o.calls, o.cpu);  // warm-up, not counted
    for (int round = 1; round <= o.runs; ++round) {
      std::fprintf(stderr, "round %d/%d\n", round, o.runs);
      for (auto& c : configs) run_once(c, o, cg, out_file);
    }
    report(configs, o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ctrace_stat_bench: %s\n", e.what());
    std::error_code ec;
    fs::remove(out_file, ec);
    return 1;
  }
  fs::remove(out_file);
  return 0;
}
