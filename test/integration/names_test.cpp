// Container names on real containers: `ctrace ps` lists a runc and a podman container by name,
// `--container NAME` and `--uts HOSTNAME` trace exactly one container while its sibling, traced
// by a second ctrace in the same run, is the positive control.
#include <signal.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

#include "containers.hpp"
#include "stream_support.hpp"

using namespace ctrace::test;
using json = nlohmann::json;
using Catch::Matchers::Contains;

namespace {

// Opens of `path` by the workload in a trace (busybox cat opens it once per run).
size_t opens_of(const std::vector<json>& events, const std::string& path) {
  return static_cast<size_t>(std::count_if(events.begin(), events.end(), [&](const json& e) {
    return e.value("type", "") == "openclose" && e.value("path", "") == path && e.value("ret", -1) >= 0;
  }));
}

// `cat FILE` n times, then exit.
std::vector<std::string> cat_n(const std::string& file, int n) {
  std::string loop =
      "i=0; while [ $i -lt " + std::to_string(n) + " ]; do cat " + file + " >/dev/null; i=$((i+1)); done";
  return {"sh", "-c", loop};
}

// Two held containers, each traced by its own `ctrace openclose ARGS -o json`: both traces
// start, both containers run to the end, both traces stop; the events of each trace.
template <typename A, typename B>
std::pair<std::vector<json>, std::vector<json>> trace_pair(A& a, B& b, std::vector<std::string> args_a,
                                                           std::vector<std::string> args_b) {
  for (auto* args : {&args_a, &args_b}) {
    args->insert(args->begin(), "openclose");
    args->insert(args->end(), {"-o", "json"});
  }
  auto ta = start_ctrace(args_a);
  auto tb = start_ctrace(args_b);
  a.go();
  b.go();
  REQUIRE(a.wait_stopped());
  REQUIRE(b.wait_stopped());
  ta->signal(SIGINT);
  tb->signal(SIGINT);
  REQUIRE(ta->wait() == 0);
  REQUIRE(tb->wait() == 0);
  UNSCOPED_INFO("a: " << ta->out() << "\nb: " << tb->out());
  return {json_lines(ta->out()), json_lines(tb->out())};
}

}  // namespace

TEST_CASE("ps lists a runc and a podman container with their names", "[names][ps]") {
  RuncContainer runc(container_name("ps-runc"), {"sleep", "60"}, {.hostname = "ps-runc-host"});
  PodmanContainer podman(container_name("ps-podman"), {"sleep", "60"}, {.hostname = "ps-podman-host"});

  auto r = run({ctrace_bin(), "ps", "-o", "json"});
  INFO("stderr: " << r.err);
  REQUIRE(r.code == 0);
  json rc, pc;
  for (const auto& c : json_lines(r.out)) {
    CHECK(c.at("type") == "container");
    if (c.value("name", "") == runc.id()) rc = c;
    if (c.value("name", "") == podman.name()) pc = c;
  }
  INFO("stdout: " << r.out);
  REQUIRE(rc.is_object());
  CHECK(rc.at("runtime") == "runc");
  CHECK(rc.at("id") == runc.id());
  CHECK(rc.at("pids") == 1);
  CHECK(rc.at("cgroup") == runc.cgroup());
  CHECK(rc.at("cgroup_id") == runc.cgroup_id());
  CHECK(rc.at("hostname") == "ps-runc-host");
  REQUIRE(pc.is_object());
  CHECK(pc.at("runtime") == "podman");
  CHECK(pc.at("id") == podman.id());
  CHECK(pc.at("image") == podman_image());
  CHECK(pc.at("pids") == 1);
  CHECK(pc.at("cgroup") == podman.cgroup());
  CHECK(pc.at("cgroup_id") == podman.cgroup_id());
  CHECK(pc.at("hostname") == "ps-podman-host");

  auto text = run({ctrace_bin(), "ps"});
  REQUIRE(text.code == 0);
  CHECK(text.out.rfind("CONTAINER ", 0) == 0);
  CHECK_THAT(text.out, Contains(podman.name() + " ") && Contains(podman.id().substr(0, 12) + " ") &&
                           Contains(runc.id() + " ") && Contains(" podman ") && Contains(" runc "));

  auto quiet = run({ctrace_bin(), "ps", "-q"});
  REQUIRE(quiet.code == 0);
  CHECK_THAT(quiet.out, Contains(podman.id() + "\n") && Contains(runc.id() + "\n"));
}

TEST_CASE("target --container NAME traces exactly that podman container, its sibling only its own",
          "[names][openclose]") {
  PodmanContainer a(container_name("names-a"), cat_n("/etc/group", 3), {.hold = true});
  PodmanContainer b(container_name("names-b"), cat_n("/etc/passwd", 5), {.hold = true});
  auto [ea, eb] =
      trace_pair(a, b, {"--container", a.name(), "--show", "container"}, {"--container", b.name()});
  CHECK(opens_of(ea, "/etc/group") == 3);
  CHECK(opens_of(ea, "/etc/passwd") == 0);
  CHECK(opens_of(eb, "/etc/passwd") == 5);  // the sibling's calls happened, in the same run
  CHECK(opens_of(eb, "/etc/group") == 0);
  for (const auto& e : ea)
    if (e.value("type", "") == "openclose") CHECK(e.at("container") == a.name());
  for (const auto& e : eb)
    if (e.value("type", "") == "openclose") CHECK(e.at("container") == b.name());
}

TEST_CASE("target --uts HOSTNAME traces exactly the runc container with that hostname",
          "[names][openclose]") {
  std::string ha = container_name("uts-a"), hb = container_name("uts-b");
  RuncContainer a(container_name("uts-runc-a"), cat_n("/etc/group", 4), {.hostname = ha, .hold = true});
  RuncContainer b(container_name("uts-runc-b"), cat_n("/etc/passwd", 2), {.hostname = hb, .hold = true});
  auto [ea, eb] = trace_pair(a, b, {"--uts", ha}, {"--uts", std::to_string(b.uts_inum())});
  CHECK(opens_of(ea, "/etc/group") == 4);
  CHECK(opens_of(ea, "/etc/passwd") == 0);
  CHECK(opens_of(eb, "/etc/passwd") == 2);
  CHECK(opens_of(eb, "/etc/group") == 0);
  for (const auto& e : ea)
    if (e.value("type", "") == "openclose") CHECK(e.at("hostname") == ha);
}

TEST_CASE("target --uts and --container: unknown and ambiguous are one-line usage errors",
          "[names][errors]") {
  std::string host = container_name("uts-twin");
  RuncContainer a(container_name("twin-a"), {"sleep", "60"}, {.hostname = host});
  RuncContainer b(container_name("twin-b"), {"sleep", "60"}, {.hostname = host});
  struct Case {
    std::vector<std::string> args;
    std::vector<std::string> says;
  };
  for (const auto& c : std::vector<Case>{
           {{"--uts", host},
            {"ambiguous", std::to_string(a.uts_inum()), std::to_string(b.uts_inum()), "--uts INUM"}},
           {{"--uts", "no-such-host-ctrace"}, {"no UTS namespace has the hostname 'no-such-host-ctrace'"}},
           {{"--uts", "1"}, {"no process is in UTS namespace 1"}},
           {{"--container", a.id()}, {}},
           {{"--container", "no-such-ctrace-container"}, {"no container matches 'no-such-ctrace-container'"}},
           {{"--container", "nopod/nothere"}, {"no container is named 'nopod/nothere'", "-c nopod/nothere"}},
       }) {
    std::vector<std::string> argv{ctrace_bin(), "openclose", "-d", "0.1"};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    auto r = run(argv);
    INFO(c.args[0] << " " << c.args[1] << " -> " << r.err);
    if (c.says.empty()) {
      CHECK(r.code == 0);  // a runc container by its name (= id)
      continue;
    }
    CHECK(r.code == 2);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    for (const auto& s : c.says) CHECK_THAT(r.err, Contains(s));
  }
}
