// ctrace serve --metrics-address on the real kernel: the TCP port serves metrics only, its
// text passes promtool, and Debian's real Prometheus scrapes it.
#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "ctrace/commands/metrics_server.hpp"
#include "ctrace/commands/serve_protocol.hpp"
#include "containers.hpp"
#include "support.hpp"

using namespace ctrace::test;
using ctrace::commands::daemon_request;
using ctrace::commands::url_encode;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// Prometheus and the exporter are asked at most 5 times a second.
constexpr std::chrono::milliseconds kPoll{200};

std::string temp_socket(const std::string& tag) {
  return "/tmp/ctrace-test-metrics-" + tag + "-" + std::to_string(::getpid()) + ".sock";
}

// A connected TCP socket to the loopback port, or -1.
int connect_tcp(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool port_listening(int port) {
  int fd = connect_tcp(port);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

std::unique_ptr<Process> start_serve(const std::string& sock, std::vector<std::string> extra) {
  std::vector<std::string> argv{ctrace_bin(), "serve", "--socket", sock};
  argv.insert(argv.end(), extra.begin(), extra.end());
  auto p = std::make_unique<Process>(argv);
  if (!p->wait_for_stderr("Listening on"))
    throw std::runtime_error("ctrace serve did not start: " + p->err());
  return p;
}

struct Reply {
  int status = 0;
  std::string body;
};

Reply tcp_request(int port, const std::string& method, const std::string& target) {
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(5);
  c.set_read_timeout(10);
  httplib::Result r = method == "GET"    ? c.Get(target.c_str())
                      : method == "POST" ? c.Post(target.c_str(), "", "application/x-www-form-urlencoded")
                                         : c.Delete(target.c_str());
  if (!r) return {};
  return {r->status, r->body};
}

std::string write_temp(const std::string& name, const std::string& text) {
  fs::path p = fs::temp_directory_path() / (name + "-" + std::to_string(::getpid()));
  std::ofstream(p) << text;
  return p.string();
}

// The value of one series in a Prometheus instant query, or nullopt when absent.
std::optional<std::string> prom_value(int port, const std::string& query, json* metric = nullptr) {
  auto r = tcp_request(port, "GET", "/api/v1/query?query=" + url_encode(query));
  if (r.status != 200) return std::nullopt;
  auto j = json::parse(r.body, nullptr, false);
  if (j.is_discarded() || j.value("status", "") != "success") return std::nullopt;
  const auto& result = j["data"]["result"];
  if (result.size() != 1) return std::nullopt;
  if (metric) *metric = result[0]["metric"];
  return result[0]["value"][1].get<std::string>();
}

// Debian's real Prometheus on a loopback port, scraping `target` every second, with a temp
// data dir; its log goes to a file, not to a pipe nobody drains.
struct Prometheus {
  fs::path dir = fs::temp_directory_path() / ("ctrace-prom-" + std::to_string(::getpid()));
  int port = free_port();
  std::unique_ptr<Process> proc;

  explicit Prometheus(const std::string& target) {
    fs::create_directories(dir);
    std::ofstream(dir / "prometheus.yml") << "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                                          << "scrape_configs:\n  - job_name: ctrace\n    static_configs:\n"
                                          << "      - targets: ['" << target << "']\n";
    // exec: the Process is Prometheus itself.
    proc = std::make_unique<Process>(std::vector<std::string>{
        "sh", "-c",
        "exec prometheus --config.file=" + (dir / "prometheus.yml").string() + " --storage.tsdb.path=" +
            (dir / "data").string() + " --web.listen-address=127.0.0.1:" + std::to_string(port) + " 2>" +
            (dir / "prometheus.log").string()});
  }
  ~Prometheus() {
    if (proc) stop();
    fs::remove_all(dir);
  }
  // Ready to answer queries; logs Prometheus's own log on failure.
  bool ready() {
    bool ok = wait_until([&] { return tcp_request(port, "GET", "/-/ready").status == 200; },
                         std::chrono::seconds(30), kPoll);
    if (!ok) {
      std::ifstream f(dir / "prometheus.log");
      UNSCOPED_INFO(std::string(std::istreambuf_iterator<char>(f), {}));
    }
    return ok;
  }
  int stop() {
    proc->signal(SIGTERM);
    int code = proc->wait();
    proc.reset();
    return code;
  }
};
}  // namespace

TEST_CASE(
    "the TCP metrics port serves only GET /metrics and /healthz and control works on the unix socket only",
    "[metrics]") {
  const auto sock = temp_socket("tcp");
  const int port = free_port();
  auto d = start_serve(sock, {"--metrics-address", "127.0.0.1:" + std::to_string(port)});
  CHECK(d->err().find("Serving metrics on http://127.0.0.1:" + std::to_string(port) + "/metrics") !=
        std::string::npos);
  TestCgroup cg("ctrace-test-metrics-tcp");
  const std::string add = "/add?name=t1&cgroup=" + url_encode(cg.relative());

  auto m = tcp_request(port, "GET", "/metrics");
  REQUIRE(m.status == 200);
  CHECK(m.body.find("\nctrace_up 1\n") != std::string::npos);
  CHECK(m.body.find("\nctrace_lost_events_total 0\n") != std::string::npos);
  CHECK(m.body.find("\nctrace_record_targets 0\n") != std::string::npos);
  auto h = tcp_request(port, "GET", "/healthz");
  CHECK(h.status == 200);
  CHECK(h.body == "ok\n");

  // Every control route of the unix socket, on TCP: none exists there.
  CHECK(tcp_request(port, "POST", add).status == 404);
  CHECK(tcp_request(port, "GET", add).status == 404);
  CHECK(tcp_request(port, "GET", "/list").status == 404);
  CHECK(tcp_request(port, "GET", "/dump?name=t1").status == 404);
  CHECK(tcp_request(port, "POST", "/close?name=t1").status == 404);
  CHECK(tcp_request(port, "POST", "/metrics").status == 405);
  CHECK(tcp_request(port, "DELETE", "/healthz").status == 405);
  CHECK(daemon_request(sock, "GET", "/list?format=json").body.find("\"traces\":[]") != std::string::npos);

  // Positive control: the same requests on the unix socket do add, list and dump.
  CHECK(daemon_request(sock, "POST", add).status == 201);
  CHECK(daemon_request(sock, "GET", "/dump?name=t1").status == 200);
  auto list = json::parse(daemon_request(sock, "GET", "/list?format=json").body);
  CHECK(list["traces"].size() == 1);
  m = tcp_request(port, "GET", "/metrics");
  CHECK(m.body.find("\nctrace_record_targets 1\n") != std::string::npos);
  CHECK(m.body.find("ctrace_record_events_total{trace=\"t1\"}") != std::string::npos);
  // The unix socket's /metrics is the same exporter, and `ctl metrics` prints it.
  CHECK(daemon_request(sock, "GET", "/metrics").body.find("\nctrace_up 1\n") != std::string::npos);
  auto ctl = run({ctrace_bin(), "ctl", "--socket", sock, "metrics"});
  CHECK(ctl.code == 0);
  CHECK(ctl.out.find("\nctrace_record_targets 1\n") != std::string::npos);

  // Bounded: 8 connections at once (idle ones hold their slot until they close or time out),
  // a 9th gets 503; once they close, scrapes are served again. A body over 4096 bytes: 413.
  {
    std::vector<int> idle;
    for (size_t i = 0; i < ctrace::commands::kMaxMetricsConnections; ++i) idle.push_back(connect_tcp(port));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // accepted and waiting for a request
    CHECK(tcp_request(port, "GET", "/metrics").status == 503);
    for (int fd : idle) ::close(fd);
    CHECK(wait_until([&] { return tcp_request(port, "GET", "/healthz").status == 200; },
                     std::chrono::seconds(5), kPoll));
    httplib::Client c("127.0.0.1", port);
    auto big = c.Post("/metrics", std::string(8192, 'x'), "text/plain");
    REQUIRE(big);
    CHECK(big->status == 413);
  }

  // promtool lints the exposition (types, HELP, counter names).
  auto file = write_temp("ctrace-metrics.prom", m.body);
  auto lint = run({"sh", "-c", "promtool check metrics < " + file});
  fs::remove(file);
  INFO(lint.out << lint.err);
  CHECK(lint.code == 0);

  auto progs = prog_ids_of(d->pid());
  CHECK(!progs.empty());
  d->signal(SIGHUP);
  CHECK(d->wait() == 0);
  CHECK_FALSE(port_listening(port));
  CHECK_FALSE(fs::exists(sock));
  CHECK(still_loaded(progs).empty());
}

TEST_CASE("serve --metrics-address: a bad address is a usage error, a taken port a runtime error",
          "[metrics]") {
  for (const char* bad :
       {"9586", "localhost:9586", "127.0.0.1:99999", "[::1]9586", "::1:9586", "127.0.0.1:"}) {
    auto r = run({ctrace_bin(), "serve", "--socket", temp_socket("bad"), "--metrics-address", bad});
    INFO(bad << ": " << r.err);
    CHECK(r.code == 2);
    CHECK(r.err.find("--metrics-address") != std::string::npos);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  }
  // Positive control: [::]:PORT is accepted (dual stack) and answers on IPv4 loopback.
  const int port = free_port();
  auto d = start_serve(temp_socket("v6"), {"--metrics-address", "[::]:" + std::to_string(port)});
  CHECK(tcp_request(port, "GET", "/healthz").status == 200);
  auto taken = run({ctrace_bin(), "serve", "--socket", temp_socket("taken"), "--metrics-address",
                    "127.0.0.1:" + std::to_string(port)});
  INFO(taken.err);
  CHECK(taken.code == 1);
  CHECK(taken.err.find("choose another --metrics-address") != std::string::npos);
  d->signal(SIGINT);
  CHECK(d->wait() == 0);
  CHECK_FALSE(port_listening(port));
}

TEST_CASE("Debian's Prometheus scrapes serve --metrics-address and stores the recorder's values",
          "[metrics]") {
  REQUIRE(run({"sh", "-c", "command -v prometheus"}).code == 0);  // scripts/install-deps.sh installs it
  const auto sock = temp_socket("prom");
  const int port = free_port();
  const std::string target = "127.0.0.1:" + std::to_string(port);
  auto d = start_serve(sock, {"--metrics-address", target, "--bpf-stats"});
  auto progs = prog_ids_of(d->pid());

  TestCgroup parent("ctrace-test-metrics-prom");
  TestCgroup a(parent, "a"), b(parent, "b");
  REQUIRE(daemon_request(sock, "POST", "/add?name=ta&cgroup=" + url_encode(a.relative())).status == 201);
  REQUIRE(daemon_request(sock, "POST", "/add?name=tb&cgroup=" + url_encode(b.relative())).status == 201);
  Workload w({"getppid", "1000"});
  a.add(w.pid());
  w.go();
  REQUIRE(w.wait() == 0);
  // Nothing runs in the cgroups any more: the daemon's own count is final.
  auto list = json::parse(daemon_request(sock, "GET", "/list?format=json").body);
  const uint64_t recorded_a = list["traces"][0]["recorded"].get<uint64_t>();
  const uint64_t recorded_b = list["traces"][1]["recorded"].get<uint64_t>();
  CHECK(recorded_a >= 2000);  // 1000 getppid enters and exits, and the workload's own calls
  CHECK(recorded_b == 0);

  Prometheus p(target);
  const int prom_port = p.port;
  REQUIRE(p.ready());

  // Two scrapes stored.
  CHECK(wait_until(
      [&] {
        auto v = prom_value(prom_port, "count_over_time(ctrace_up[1m])");
        return v && std::stod(*v) >= 2;
      },
      std::chrono::seconds(30), kPoll));
  json metric;
  CHECK(prom_value(prom_port, "ctrace_up", &metric) == "1");
  CHECK(metric.value("job", "") == "ctrace");
  CHECK(metric.value("instance", "") == target);
  CHECK(prom_value(prom_port, "ctrace_record_targets") == "2");
  CHECK(wait_until(
      [&] {
        return prom_value(prom_port, "ctrace_record_events_total{trace=\"ta\"}") ==
               std::to_string(recorded_a);
      },
      std::chrono::seconds(10), kPoll));
  CHECK(prom_value(prom_port, "ctrace_record_events_total{trace=\"tb\"}") == "0");
  CHECK(prom_value(prom_port, "ctrace_lost_events_total") == "0");
  // --bpf-stats: the kernel counted the recorder's runs (1000 getppid alone are 2000 runs).
  auto runs = prom_value(prom_port, "ctrace_bpf_run_count_total{program=\"handle_sys_enter\"}");
  REQUIRE(runs);
  CHECK(std::stod(*runs) >= 1000);
  auto secs = prom_value(prom_port, "ctrace_bpf_run_time_seconds_total{program=\"handle_sys_enter\"}");
  REQUIRE(secs);
  CHECK(std::stod(*secs) > 0);
  // Prometheus reports the target healthy.
  CHECK(prom_value(prom_port, "up{job=\"ctrace\"}") == "1");

  CHECK(p.stop() == 0);
  d->signal(SIGTERM);
  CHECK(d->wait() == 0);
  CHECK_FALSE(port_listening(port));
  CHECK_FALSE(port_listening(prom_port));
  CHECK(still_loaded(progs).empty());
}

namespace {

// Sum of the values of every series of a query (0 when there is none).
double prom_sum(int port, const std::string& query) {
  auto v = prom_value(port, "sum(" + query + ")");
  return v ? std::stod(*v) : 0.0;
}

// The `ctrace_container_*` lines of an exposition whose container label starts with `prefix`.
size_t container_series(const std::string& text, const std::string& prefix) {
  size_t n = 0;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.rfind("ctrace_container_", 0) == 0 && line.find("container=\"" + prefix) != std::string::npos)
      ++n;
  return n;
}

}  // namespace

TEST_CASE("Prometheus stores each container's exact counts from the host view, and churn leaves no series",
          "[metrics]") {
  REQUIRE(run({"sh", "-c", "command -v prometheus"}).code == 0);
  const auto sock = temp_socket("hv");
  const int port = free_port();
  const std::string target = "127.0.0.1:" + std::to_string(port);
  auto d = start_serve(sock,
                       {"--metrics-address", target, "--metrics-syscalls", "top-32", "--metrics-grace", "4"});
  auto progs = prog_ids_of(d->pid());
  Prometheus p(target);
  REQUIRE(p.ready());

  // Two siblings: a makes 1000 getppid and 123 opens, b writes 16 MiB with O_DIRECT (the build
  // dir is on a real block device; tmpfs does no block I/O).
  TestCgroup parent("ctrace-test-metrics-hv");
  TestCgroup a(parent, "a"), b(parent, "b");
  const std::string ca = "/" + a.relative(), cb = "/" + b.relative();
  Workload w({"getppid", "1000", "open-close", "/dev/null", "123"});
  a.add(w.pid());
  w.go();
  REQUIRE(w.wait() == 0);
  const std::string file =
      std::string(CTRACE_BUILD_DIR) + "/metrics-bio-" + std::to_string(::getpid()) + ".dat";
  auto dd = run({"sh", "-c",
                 "echo $$ > " + (b.path() / "cgroup.procs").string() + " && exec dd if=/dev/zero of=" + file +
                     " bs=1M count=16 oflag=direct"});
  fs::remove(file);
  INFO("dd: " << dd.err);
  REQUIRE(dd.code == 0);
  // A third sibling, c: a program that exits 3 (after its exec there) and a shell killed by SIGKILL.
  TestCgroup c(parent, "c");
  const std::string cc = "/" + c.relative();
  const std::string procs = (c.path() / "cgroup.procs").string();
  REQUIRE(run({"sh", "-c", "echo $$ > " + procs + " && exec sh -c 'exit 3'"}).code == 3);
  REQUIRE(run({"sh", "-c", "echo $$ > " + procs + " && kill -KILL $$"}).code == 128 + SIGKILL);

  auto sel = [](const std::string& c, const std::string& more = "") {
    return "{container=\"" + c + "\"" + more + "}";
  };
  // Stored by Prometheus once the exporter read the maps after both workloads ended.
  const std::string getppid_a = "ctrace_container_syscalls_by_name_total" + sel(ca, ",syscall=\"getppid\"");
  CHECK(wait_until([&] { return prom_value(p.port, getppid_a) == "1000"; }, std::chrono::seconds(15), kPoll));
  CHECK(wait_until(
      [&] {
        return prom_sum(p.port, "ctrace_container_block_io_bytes_total" + sel(cb, ",direction=\"write\"")) >=
               16.0 * 1024 * 1024 * 0.9;
      },
      std::chrono::seconds(15), kPoll));
  std::this_thread::sleep_for(std::chrono::seconds(2));  // two more scrapes: the values are final
  json metric;
  CHECK(prom_value(p.port, getppid_a, &metric) == "1000");
  CHECK(metric.value("id", "") == "");  // a plain cgroup: no container id or runtime
  CHECK(metric.value("runtime", "") == "");
  CHECK(prom_value(p.port, "ctrace_container_file_opens_total" + sel(ca)) == "123");
  CHECK(prom_value(p.port, "ctrace_container_syscalls_by_name_total" + sel(ca, ",syscall=\"openat\"")) ==
        "123");
  CHECK(prom_value(p.port, "ctrace_container_syscall_errors_total" + sel(ca)) == "0");
  // The per-syscall series of a (fewer than 32 distinct calls) add up to its total.
  const double total_a = prom_sum(p.port, "ctrace_container_syscalls_total" + sel(ca));
  CHECK(total_a == prom_sum(p.port, "ctrace_container_syscalls_by_name_total" + sel(ca)));
  CHECK(total_a >= 1000 + 2 * 123);
  constexpr double kMiB16 = 16.0 * 1024 * 1024;
  // within 10%: the filesystem adds its metadata and journal to the data
  CHECK(prom_sum(p.port, "ctrace_container_block_io_bytes_total" + sel(cb, ",direction=\"write\"")) ==
        Approx(kMiB16).epsilon(0.10));
  // The sibling's series are its own: b made no getppid, a wrote (almost) nothing.
  CHECK(prom_value(p.port, "ctrace_container_syscalls_by_name_total" + sel(cb, ",syscall=\"getppid\"")) ==
        std::nullopt);
  CHECK(prom_value(p.port, "ctrace_container_file_opens_total" + sel(cb)).has_value());
  CHECK(prom_sum(p.port, "ctrace_container_block_io_bytes_total" + sel(ca, ",direction=\"write\"")) <
        kMiB16 / 10);
  CHECK(prom_value(p.port, "ctrace_container_tcp_connects_total" + sel(ca, ",result=\"ok\"")) == "0");
  // How their processes went: a's workload exited 0 without an exec in a; b exec'd dd, which
  // exited 0; c exec'd one sh that exited 3, and one shell died of SIGKILL.
  const std::string kill_c = "ctrace_container_signals_total" + sel(cc, ",signal=\"SIGKILL\"");
  CHECK(wait_until([&] { return prom_value(p.port, kill_c) == "1"; }, std::chrono::seconds(15), kPoll));
  CHECK(prom_value(p.port, "ctrace_container_execs_total" + sel(ca)) == "0");
  CHECK(prom_value(p.port, "ctrace_container_exits_total" + sel(ca, ",reason=\"ok\"")) == "1");
  CHECK(prom_value(p.port, "ctrace_container_exits_total" + sel(ca, ",reason=\"code\"")) == "0");
  CHECK(prom_value(p.port, "ctrace_container_execs_total" + sel(cb)) == "1");
  CHECK(prom_value(p.port, "ctrace_container_exits_total" + sel(cb, ",reason=\"ok\"")) == "1");
  CHECK(prom_value(p.port, "ctrace_container_execs_total" + sel(cc)) == "1");
  CHECK(prom_value(p.port, "ctrace_container_exits_total" + sel(cc, ",reason=\"ok\"")) == "0");
  CHECK(prom_value(p.port, "ctrace_container_exits_total" + sel(cc, ",reason=\"code\"")) == "1");
  CHECK(prom_value(p.port, "ctrace_container_exits_total" + sel(cc, ",reason=\"signal\"")) == "1");
  CHECK(prom_value(p.port, "ctrace_container_oom_kills_total" + sel(cc)) == "0");
  // no signal series for a, which got none (c's is the positive control)
  CHECK(prom_value(p.port, "count(ctrace_container_signals_total" + sel(ca) + ")") == std::nullopt);
  CHECK(prom_value(p.port, "ctrace_lost_events_total") == "0");

  // Cardinality: 200 cgroups made, used and removed. Each had its series (positive control),
  // and once the grace period (4 s) passed none is left, in the exporter nor in Prometheus.
  const std::string churn_prefix = "/" + parent.relative() + "/churn";
  {
    for (int i = 0; i < 200; ++i) {
      TestCgroup c(parent, "churn" + std::to_string(i));
      Workload cw({"getppid", "1"});
      c.add(cw.pid());
      cw.go();
      REQUIRE(cw.wait() == 0);
    }
  }
  const std::string churn_sel = "{container=~\"" + churn_prefix + ".*\"}";
  CHECK(wait_until(
      [&] {
        auto v =
            prom_value(p.port, "count(count by (container) (last_over_time(ctrace_container_syscalls_total" +
                                   churn_sel + "[5m])))");
        return v == "200";
      },
      std::chrono::seconds(20), kPoll));
  CHECK(wait_until(
      [&] {
        return container_series(tcp_request(port, "GET", "/metrics").body, churn_prefix) == 0 &&
               !prom_value(p.port, "count(ctrace_container_syscalls_total" + churn_sel + ")").has_value();
      },
      std::chrono::seconds(20), kPoll));
  // The siblings a and b are still there (their cgroups exist): only the gone ones were dropped.
  auto text = tcp_request(port, "GET", "/metrics").body;
  CHECK(container_series(text, ca) >= 12);
  CHECK(container_series(text, cb) >= 12);

  CHECK(p.stop() == 0);
  d->signal(SIGTERM);
  CHECK(d->wait() == 0);
  CHECK_FALSE(port_listening(port));
  CHECK_FALSE(port_listening(p.port));
  CHECK(still_loaded(progs).empty());
}

namespace {

// The value of the first line of `family` in an exposition that contains every one of `parts`
// (label pairs such as id="abc"), or -1.
double exported(const std::string& text, const std::string& family, const std::vector<std::string>& parts) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(family + "{", 0) != 0) continue;
    if (std::all_of(parts.begin(), parts.end(),
                    [&](const auto& p) { return line.find(p) != std::string::npos; }))
      return std::stod(line.substr(line.rfind(' ') + 1));
  }
  return -1;
}

}  // namespace

TEST_CASE("serve metrics: a container's nested cgroups are one series whose counts survive a removed cgroup",
          "[metrics]") {
  const auto sock = temp_socket("fold");
  const int port = free_port();
  auto d = start_serve(sock, {"--metrics-address", "127.0.0.1:" + std::to_string(port), "--metrics-syscalls",
                              "getppid", "--metrics-grace", "1"});
  // A docker-ID.scope cgroup is a container for the resolver (by its path); its two nested
  // cgroups fold into it.
  char hex[65];
  std::snprintf(hex, sizeof hex, "%08x%056x", static_cast<unsigned>(::getpid()), 0xc7u);
  TestCgroup parent("ctrace-test-metrics-fold");
  auto scope = std::make_unique<TestCgroup>(parent, std::string("docker-") + hex + ".scope");
  auto two = std::make_unique<TestCgroup>(*scope, "two");
  const std::vector<std::string> me = {"id=\"" + std::string(hex).substr(0, 12) + "\"", "runtime=\"docker\""};
  auto scrape = [&] { return tcp_request(port, "GET", "/metrics").body; };
  auto getppid = [&](const std::string& text) {
    auto labels = me;
    labels.push_back("syscall=\"getppid\"");
    return exported(text, "ctrace_container_syscalls_by_name_total", labels);
  };
  double total_before = 0;
  {
    TestCgroup one(*scope, "one");
    Workload w({"getppid", "100"});
    one.add(w.pid());
    w.go();
    REQUIRE(w.wait() == 0);
    auto text = scrape();
    CHECK(getppid(text) == 100);
    total_before = exported(text, "ctrace_container_syscalls_total", me);
    CHECK(total_before >= 100);
  }  // `one` is removed; after the grace period it is forgotten in the kernel maps
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  Workload w({"getppid", "50"});
  two->add(w.pid());
  w.go();
  REQUIRE(w.wait() == 0);
  auto text = scrape();
  INFO(text);
  CHECK(getppid(text) == 150);  // 100 of the forgotten cgroup + 50: the counter never goes down
  CHECK(exported(text, "ctrace_container_syscalls_total", me) >= total_before + 50);
  size_t series = 0;  // one series for the container, not one per cgroup
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.rfind("ctrace_container_syscalls_total{", 0) == 0 && line.find(me[0]) != std::string::npos)
      ++series;
  CHECK(series == 1);
  // The whole container gone: after the grace period, its series too.
  two.reset();
  scope.reset();
  CHECK(wait_until([&] { return scrape().find(me[0]) == std::string::npos; }, std::chrono::seconds(10), kPoll));
  d->signal(SIGTERM);
  CHECK(d->wait() == 0);
}

TEST_CASE("serve metrics: a real Docker container's series, labelled with its name from the engine",
          "[metrics][docker]") {
  // It waits opening a fifo (begun before the exporter attaches: never counted) and then runs
  // cat 10 times: exactly 10 execve in its series.
  DockerContainer c(container_name("dk-metrics"),
                    fifo_held("i=0; while [ $i -lt 10 ]; do cat /ctl/nope 2>/dev/null; i=$((i+1)); done"));
  REQUIRE(c.wait_fifo_blocked());
  const int port = free_port();
  auto d = start_serve(temp_socket("docker"), {"--metrics-address", "127.0.0.1:" + std::to_string(port),
                                               "--metrics-syscalls", "execve,openat"});
  auto scrape = [&] { return tcp_request(port, "GET", "/metrics").body; };
  const std::vector<std::string> labels = {"container=\"" + c.name() + "\"", "id=\"" + c.id().substr(0, 12) + "\"",
                                           "runtime=\"docker\""};
  auto by_name = [&](const std::string& text, const std::string& syscall) {
    auto l = labels;
    l.push_back("syscall=\"" + syscall + "\"");
    return exported(text, "ctrace_container_syscalls_by_name_total", l);
  };
  c.release_fifo();
  REQUIRE(c.wait_stopped());
  CHECK(c.exit_code() == 0);
  std::string text;
  // the last interval of the container, before its series goes with its cgroup
  CHECK(wait_until([&] { return by_name(text = scrape(), "execve") == 10; }, std::chrono::seconds(10), kPoll));
  INFO(text);
  CHECK(by_name(text, "execve") == 10);
  CHECK(by_name(text, "openat") >= 10);  // each cat's open of /ctl/nope, and the loader's
  CHECK(exported(text, "ctrace_container_syscalls_total", labels) >= 20);
  d->signal(SIGTERM);
  CHECK(d->wait() == 0);
}
