// ctrace stat on bad input, as root: one line on stderr saying what is wrong and what to do,
// the right exit code, nothing on stdout, and no probe ever attached.
#include <fmt/format.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <random>

#include "support.hpp"

using namespace ctrace::test;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

struct BadInput {
  std::vector<std::string> args;  // after "ctrace stat"
  int code;
  std::vector<std::string> message;  // substrings of the error line
};

void check_rejected(const BadInput& c, const std::vector<std::string>& prefix = {}) {
  std::vector<std::string> argv = prefix;
  argv.push_back(ctrace_bin());
  argv.push_back("stat");
  argv.insert(argv.end(), c.args.begin(), c.args.end());
  auto r = run(argv);
  INFO("args: " << fmt::format("{}", fmt::join(c.args, " ")));
  INFO("stderr: " << r.err);
  CHECK(r.code == c.code);
  CHECK(r.out.empty());
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK(r.err.rfind("ctrace: error: ", 0) == 0);
  for (const auto& m : c.message) CHECK_THAT(r.err, Contains(m));
  // it never got as far as attaching its probes
  CHECK(r.err.find("Collecting events") == std::string::npos);
}

std::string random_hex(size_t n) {
  static std::mt19937_64 rng(std::random_device{}());
  std::string s;
  while (s.size() < n) s += fmt::format("{:016x}", rng());
  return s.substr(0, n);
}

}  // namespace

TEST_CASE("stat rejects targets that are not cgroup v2 directories", "[stat][errors]") {
  TestCgroup cg("ctrace-test-bad");
  const std::string mount = cgroup2_mount().string();
  fs::path v1_memory = "/sys/fs/cgroup/memory";
  REQUIRE(fs::is_directory(v1_memory));  // this machine runs cgroups in hybrid mode
  for (const auto& c : std::vector<BadInput>{
           {{"-c", cg.relative() + "/no-such-child"}, 2, {"does not exist", "ls " + mount}},
           {{"-c", (cg.path() / "cgroup.procs").string()}, 2, {"is not a directory", mount}},
           {{"-c", v1_memory.string()}, 2, {"cgroup v1", mount}},
           {{"-c", "/tmp"}, 2, {"not in a cgroup filesystem", mount}},
           {{"-c", "/sys/fs/cgroup"}, 2, {"not in a cgroup filesystem", mount}},
           {{"--cgroup-id", "1125899906842624"},
            2,
            {"no cgroup with id 1125899906842624", "bpftool cgroup tree"}},
           {{"-p", "999999999"}, 2, {"no process with pid 999999999"}},
       })
    check_rejected(c);
}

TEST_CASE("stat --container: unknown, too short and ambiguous ids", "[stat][errors]") {
  TestCgroup parent("ctrace-test-ambig");
  std::string prefix = random_hex(12);
  std::string a = prefix + random_hex(52), b = prefix + random_hex(52);
  TestCgroup ca(parent, "docker-" + a + ".scope"), cb(parent, "cri-containerd-" + b + ".scope");
  std::string unknown = random_hex(16);
  for (const auto& c : std::vector<BadInput>{
           {{"--container", unknown}, 2, {"no container matches '" + unknown + "'", "at least 4 characters"}},
           {{"--container", prefix},
            2,
            {"ambiguous", "docker-" + a + ".scope", "cri-containerd-" + b + ".scope", "give more of the id"}},
           {{"--container", prefix.substr(0, 3)}, 2, {"no container matches"}},
           {{"--container", "system.slice/x"}, 2, {"not a path", "-c system.slice/x"}},
       })
    check_rejected(c);
}

TEST_CASE("stat rejects bad option values", "[stat][errors]") {
  TestCgroup cg("ctrace-test-badopt");
  const std::string dir = cg.path().string();
  for (const auto& c : std::vector<BadInput>{
           {{"-c", dir, "-d", "0"}, 2, {"--duration", "ctrace stat --help"}},
           {{"-c", dir, "-d", "-1"}, 2, {"--duration", "ctrace stat --help"}},
           {{"-c", dir, "-i", "abc"}, 2, {"abc", "ctrace stat --help"}},
           {{"-c", dir, "-o", "xml"}, 2, {"xml", "ctrace stat --help"}},
           {{"-c", dir, "-p", "1"}, 2, {"excludes", "ctrace stat --help"}},
           {{"-c", dir, "--histogram", "nosuchcall"}, 2, {"unknown syscall 'nosuchcall'"}},
       })
    check_rejected(c);
}

TEST_CASE("stat as an unprivileged user says it needs root or CAP_BPF", "[stat][errors]") {
  TestCgroup cg("ctrace-test-noroot");
  // the binary must be reachable by uid 65534
  auto probe = run({"setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups", "--inh-caps=-all",
                    ctrace_bin(), "--version"});
  if (probe.code != 0) FAIL("uid 65534 cannot run " << ctrace_bin() << ": " << probe.err);
  check_rejected({{"-c", cg.path().string()}, 1, {"root", "CAP_BPF"}},
                 {"setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups", "--inh-caps=-all"});
  check_rejected({{"--", "true"}, 1, {"root", "CAP_BPF"}},
                 {"setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups", "--inh-caps=-all"});
}
