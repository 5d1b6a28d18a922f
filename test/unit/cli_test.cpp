// CLI parsing: the subcommands' options through CLI11, and the real binary's usage errors
// (all of them fail before anything needs privilege, so no root here).
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "ctrace/commands/command.hpp"

namespace fs = std::filesystem;
using Catch::Matchers::Contains;

namespace {

struct Parsed {
  CLI::App app{"ctrace"};
  std::vector<std::unique_ptr<ctrace::commands::Command>> cmds = ctrace::commands::make_commands();
  CLI::App* stat = nullptr;

  explicit Parsed(std::vector<std::string> args) {
    app.require_subcommand(1);
    for (auto& c : cmds) {
      auto* sub = c->setup(app);
      if (sub->get_name() == "stat") stat = sub;
    }
    std::reverse(args.begin(), args.end());  // CLI11 takes them reversed
    app.parse(args);
  }
  template <typename T>
  T get(const std::string& opt) const {
    return stat->get_option(opt)->as<T>();
  }
};

struct Result {
  int code;
  std::string out, err;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// Runs `bin` (the real ctrace binary by default) with `args`.
Result run_binary(const std::string& bin, const std::vector<std::string>& args) {
  fs::path dir = fs::temp_directory_path();
  std::string tag = std::to_string(::getpid());
  fs::path out = dir / ("ctrace-cli-" + tag + ".out"), err = dir / ("ctrace-cli-" + tag + ".err");
  std::string cmd = quote(bin);
  for (const auto& a : args) cmd += " " + quote(a);
  cmd += " </dev/null >" + quote(out.string()) + " 2>" + quote(err.string());
  int status = std::system(cmd.c_str());
  Result r{WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), slurp(out), slurp(err)};
  fs::remove(out);
  fs::remove(err);
  return r;
}

Result run_ctrace(const std::vector<std::string>& args) {
  return run_binary(CTRACE_BIN, args);
}

// A usage error: exit 2, nothing on stdout, one line on stderr that says where to look (a
// parse error names --help; one found when the command runs says what to do instead).
void check_usage_error(const std::vector<std::string>& args, const std::string& needle, bool help = true) {
  auto r = run_ctrace(args);
  INFO("stderr: " << r.err);
  CHECK(r.code == 2);
  CHECK(r.out.empty());
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK_THAT(r.err, Contains(needle));
  if (help) CHECK_THAT(r.err, Contains("--help"));
}

}  // namespace

TEST_CASE("stat options parse into their values", "[cli]") {
  Parsed p({"stat", "-c", "mygroup", "--exact", "-s", "time", "-T", "5", "-i", "0.5", "-d", "2", "-L", "-x",
            "--histogram", "read", "-o", "JSON"});
  CHECK(p.get<std::string>("-c") == "mygroup");
  CHECK(p.get<bool>("--exact"));
  CHECK(p.get<std::string>("-s") == "time");
  CHECK(p.get<int>("-T") == 5);
  CHECK(p.get<double>("-i") == 0.5);
  CHECK(p.get<double>("-d") == 2.0);
  CHECK(p.get<bool>("-L"));
  CHECK(p.get<bool>("-x"));
  CHECK(p.get<std::string>("--histogram") == "read");
  CHECK(p.get<int>("-o") == static_cast<int>(ctrace::output::Format::Json));
}

TEST_CASE("stat -- CMD ARGS keeps the command's own options", "[cli]") {
  Parsed p({"stat", "-L", "--", "ls", "-l", "-d", "/"});
  CHECK(p.get<std::vector<std::string>>("command") == std::vector<std::string>{"ls", "-l", "-d", "/"});
  CHECK(p.get<bool>("-L"));
  CHECK(p.stat->get_option("-d")->count() == 0);
}

TEST_CASE("stat option errors from CLI11", "[cli]") {
  CHECK_THROWS_AS(Parsed({"stat", "-o", "xml"}), CLI::ValidationError);
  CHECK_THROWS_AS(Parsed({"stat", "-d", "0"}), CLI::ValidationError);
  CHECK_THROWS_AS(Parsed({"stat", "-i", "abc"}), CLI::ParseError);
  CHECK_THROWS_AS(Parsed({"stat", "-s", "size"}), CLI::ValidationError);
  CHECK_THROWS_AS(Parsed({"stat", "-c", "a", "-p", "1"}), CLI::ExcludesError);
  CHECK_THROWS_AS(Parsed({"stat", "--container", "abcd", "--", "true"}), CLI::ExcludesError);
  CHECK_THROWS_AS(Parsed({"stat", "--uts", "web", "--container", "abcd"}), CLI::ExcludesError);
  CHECK_THROWS_AS(Parsed({"openclose", "--show", "pod"}), CLI::ValidationError);
  CHECK_THROWS_AS(Parsed({"ps", "-o", "graph"}), CLI::ValidationError);
  CHECK_THROWS_AS(Parsed({"stat", "--bogus"}), CLI::ExtrasError);
  CHECK_THROWS_AS(Parsed({}), CLI::RequiredError);
}

TEST_CASE("ctrace: usage errors are one line on stderr, exit 2", "[cli]") {
  check_usage_error({"stat", "-o", "xml"}, "xml");
  check_usage_error({"stat", "-d", "0"}, "--duration");
  check_usage_error({"stat", "-d", "-1"}, "--duration");
  check_usage_error({"stat", "-i", "abc"}, "abc");
  check_usage_error({"stat", "-i", "0"}, "--interval");
  check_usage_error({"stat", "-T", "0"}, "--top");
  check_usage_error({"stat", "-s", "size"}, "size");
  check_usage_error({"stat", "--bogus"}, "--bogus");
  check_usage_error({"stat", "-c", "a", "-p", "1"}, "excludes");
  check_usage_error({"stat", "-c", "a", "--", "true"}, "excludes");
  check_usage_error({"stat", "-p", "-5"}, "--pid");
  check_usage_error({"nosuchcommand"}, "unknown command 'nosuchcommand': the commands are stat");
  check_usage_error({}, "no command given: the commands are stat");
  check_usage_error({"--bogus"}, "unknown option '--bogus'");
  check_usage_error({"stat", "--cgroup-id", "abc"}, "--cgroup-id");
}

TEST_CASE("advise: its usage errors name the subcommand's help", "[cli]") {
  check_usage_error({"advise"}, "A subcommand is required");
  check_usage_error({"advise", "caps", "-o", "xml"}, "ctrace advise caps --help");
  check_usage_error({"advise", "seccomp", "-o", "flags"}, "flags not in {profile,k8s,text,json}");
  check_usage_error({"advise", "seccomp", "--"}, "-- needs a command to run");
  check_usage_error({"advise", "caps", "--from-start", "--container", "web", "-c", "/x"}, "excludes");
  // found when it runs, before anything is loaded
  check_usage_error({"advise", "seccomp", "--from-start"}, "--container NAME", false);
  check_usage_error({"advise", "seccomp", "--merge", "/nonexistent/p.json"},
                    "--merge /nonexistent/p.json: cannot read", false);
}

TEST_CASE("ctrace stat --histogram of an unknown syscall is a usage error", "[cli]") {
  auto r = run_ctrace({"stat", "--histogram", "nosuchcall", "-d", "1"});
  INFO("stderr: " << r.err);
  CHECK(r.code == 2);
  CHECK(r.out.empty());
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK_THAT(r.err, Contains("unknown syscall 'nosuchcall'") && Contains("openat"));
}

TEST_CASE("ctrace --help, stat --help and --version", "[cli]") {
  auto help = run_ctrace({"--help"});
  CHECK(help.code == 0);
  CHECK_THAT(help.out, Contains("stat") && Contains("EXAMPLES"));
  auto stat_help = run_ctrace({"stat", "--help"});
  CHECK(stat_help.code == 0);
  CHECK_THAT(stat_help.out, Contains("--histogram") && Contains("EXAMPLES") && Contains("--container"));
  auto version = run_ctrace({"--version"});
  CHECK(version.code == 0);
  CHECK_THAT(version.out, Contains("ctrace 0."));
}

TEST_CASE("ctrace CMD -- with nothing after it is a usage error for every command", "[cli]") {
  for (const char* cmd : {"stat", "unshare", "openclose", "tcpconnect", "biograph", "record"})
    check_usage_error({cmd, "--"}, "-- needs a command to run");
  check_usage_error({"stat", "-L", "--"}, "ctrace stat [options] -- CMD");
}

TEST_CASE("biograph chart sizes are bounded: a usage error, not gigabytes", "[cli]") {
  check_usage_error({"biograph", "--width", "100000", "--height", "100000", "-d", "1"}, "--width");
  check_usage_error({"biograph", "--height", "100000"}, "from 3 to 500");
  check_usage_error({"biograph", "--width", "0"}, "from 16 to 1000");
  check_usage_error({"biograph", "--width", "0x10"}, "--width");
}

TEST_CASE("durations and intervals are decimal seconds: 0x10 is refused", "[cli]") {
  check_usage_error({"stat", "-d", "0x10"}, "'0x10'");
  check_usage_error({"stat", "-i", "0x10"}, "'0x10'");
  check_usage_error({"stat", "-d", "inf"}, "--duration");
  check_usage_error({"openclose", "-d", "1e3"}, "--duration");
  Parsed p({"stat", "-d", "0.25", "-i", "2"});
  CHECK(p.get<double>("-d") == 0.25);
}

TEST_CASE("openclose/tcpconnect: -C and --cgroup-path exclude each other", "[cli]") {
  check_usage_error({"openclose", "-C", "--cgroup-path"}, "excludes");
  check_usage_error({"tcpconnect", "--cgroup-path", "-C"}, "excludes");
}

TEST_CASE("every --help lists no CLI11 'Excludes:' clutter, and one spelling of failed calls only", "[cli]") {
  for (const char* cmd :
       {"stat", "unshare", "openclose", "tcpconnect", "biograph", "record", "serve", "ctl"}) {
    auto r = run_ctrace({cmd, "--help"});
    INFO(cmd);
    CHECK(r.code == 0);
    CHECK_THAT(r.out, !Contains("Excludes"));
  }
  for (const char* cmd : {"stat", "unshare", "openclose"}) {
    auto r = run_ctrace({cmd, "--help"});
    INFO(cmd);
    CHECK_THAT(r.out, Contains("-x,--failed"));
    CHECK_THAT(r.out, !Contains("--failures"));
  }
  // the old spelling still parses (it sets the same variable as -x)
  Parsed old({"stat", "--failures"});
  CHECK(old.get<bool>("--failures"));
  Parsed now({"stat", "--failed"});
  CHECK(now.get<bool>("-x"));
}

TEST_CASE("an empty -c or --container is a usage error, not the whole host", "[cli]") {
  check_usage_error({"stat", "-c", ""}, "--cgroup: needs a cgroup directory");
  check_usage_error({"stat", "--container", ""}, "needs a container id or name");
}

TEST_CASE("ctrace links no HTTP or TLS library: only serve's module does", "[cli][footprint]") {
  auto libs_of = [](const fs::path& file) { return run_binary("/usr/bin/ldd", {file.string()}).out; };
  const fs::path module = fs::path(CTRACE_BIN).parent_path() / "lib/ctrace/ctrace-http.so";
  std::string exe = libs_of(CTRACE_BIN), mod = libs_of(module);
  INFO("ldd ctrace: " << exe << "ldd module: " << mod);
  CHECK_THAT(exe, Contains("libstdc++"));
  // positive control: the module, in the same place the binary looks for it, has them all
  for (const char* lib :
       {"libcpp-httplib", "libprometheus-cpp-core", "libssl", "libcrypto", "libbrotli", "libz."}) {
    CHECK_THAT(mod, Contains(lib));
    CHECK_THAT(exe, !Contains(lib));
  }
}

TEST_CASE("serve without its HTTP module: one line saying what to install, exit 1", "[cli][footprint]") {
  // positive control: next to the real binary the module is found and answers
  auto ok = run_ctrace({"serve", "--list-metrics"});
  CHECK(ok.code == 0);
  CHECK_THAT(ok.out, Contains("ctrace_up"));
  // the same binary where neither DIR/lib/ctrace nor DIR/../lib/ctrace exists
  fs::path dir = fs::path(CTRACE_BIN).parent_path() / "test" / ("no-module-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::error_code ec;
  fs::create_hard_link(CTRACE_BIN, dir / "ctrace", ec);
  if (ec) fs::copy_file(CTRACE_BIN, dir / "ctrace");
  auto r = run_binary((dir / "ctrace").string(), {"serve", "--list-metrics"});
  fs::remove_all(dir);
  INFO("stderr: " << r.err);
  CHECK(r.code == 1);
  CHECK(r.out.empty());
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK_THAT(r.err, Contains("needs its HTTP module ctrace-http.so") && Contains("cmake --install"));
}
