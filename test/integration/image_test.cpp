// The Docker image as the Dockerfile's header documents it: built from this tree's own build
// (`cmake --install`, CTRACE_PREBUILT) on a debian:12-slim made here by scripts/make-debian-base.sh, its size
// over that base bounded, and run exactly as documented: ps names a docker container, and stat
// --container NAME counts its calls. Hidden ("[.image]"): test/CMakeLists.txt runs it alone, with
// the time a debootstrap and an apt-get take, and not in sanitizer builds (the image holds a plain
// binary).
#include <signal.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "containers.hpp"
#include "stream_support.hpp"

using namespace ctrace::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// What the runtime image may add to its base: the libraries serve's module needs and ctrace.
constexpr double kMaxImageOverBaseMB = 15;

// The options of the Dockerfile's header, as written there, without -it (no terminal here).
std::vector<std::string> documented_run_options() {
  std::ifstream f(fs::path(CTRACE_SOURCE_DIR) / "Dockerfile");
  std::string text{std::istreambuf_iterator<char>(f), {}}, joined;
  // "#   docker run --rm -it ... \\\n#       ... \\\n#       ctrace stat --container NAME"
  auto at = text.find("#   docker run ");
  REQUIRE(at != std::string::npos);
  std::istringstream in(text.substr(at));
  for (std::string line; std::getline(in, line);) {
    line = line.substr(line.find_first_not_of("# "));
    bool more = !line.empty() && line.back() == '\\';
    if (more) line.pop_back();
    joined += line + " ";
    if (!more) break;
  }
  std::vector<std::string> words;
  std::istringstream w(joined);
  for (std::string word; w >> word;) words.push_back(word);
  // docker run [options...] ctrace SUBCOMMAND ...: the options alone
  REQUIRE(words.size() > 4);
  REQUIRE(words[0] == "docker");
  REQUIRE(words[1] == "run");
  auto image = std::find(words.begin(), words.end(), "ctrace");
  REQUIRE(image != words.end());
  std::vector<std::string> opts;
  for (auto it = words.begin() + 2; it != image; ++it)
    if (*it != "-it") opts.push_back(*it);
  return opts;
}

// A base image named `name`: scripts/make-debian-base.sh (debootstrap, slimmed as debian:12-slim).
void make_debian_slim(const std::string& name) {
  auto r = run({"env", "DOCKER=" + docker_cmd({})[0],
                (fs::path(CTRACE_SOURCE_DIR) / "scripts/make-debian-base.sh").string(), name},
               std::chrono::seconds(600));
  INFO("make-debian-base.sh: " << r.out << r.err);
  REQUIRE(r.code == 0);
}

double image_mb(const std::string& image) {
  auto r = run(docker_cmd({"image", "inspect", "-f", "{{.Size}}", image}));
  REQUIRE(r.code == 0);
  return std::stod(r.out) / 1e6;
}

}  // namespace

TEST_CASE("image: built from this tree's install on a debootstrap debian:12-slim, run as documented",
          "[.image][docker]") {
  docker_image();  // the engine runs
  const std::string tag = "ctrace-test-" + std::to_string(::getpid());
  const std::string base = tag + "/debian:12-slim", build_base = tag + "/debian:12",
                    image = tag + "/ctrace:test";
  struct Images {  // removed however the test ends
    std::vector<std::string> names;
    ~Images() { run(docker_cmd({"rmi", "-f", names[0], names[1], names[2]}), std::chrono::seconds(120)); }
  } images{{image, build_base, base}};
  make_debian_slim(base);
  REQUIRE(run(docker_cmd({"tag", base, build_base})).code == 0);

  // The context: the Dockerfile and install-deps.sh of this tree, and its build installed.
  fs::path ctx = make_temp_dir("image-context");
  fs::create_directories(ctx / "scripts");
  fs::copy_file(fs::path(CTRACE_SOURCE_DIR) / "Dockerfile", ctx / "Dockerfile");
  fs::copy_file(fs::path(CTRACE_SOURCE_DIR) / "scripts/install-deps.sh", ctx / "scripts/install-deps.sh");
  auto r = run({"cmake", "--install", CTRACE_BUILD_DIR, "--prefix", (ctx / "install").string(), "--strip"});
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  r = run(docker_cmd({"build", "--network", "host", "--build-arg", "CTRACE_PREBUILT=install", "--build-arg",
                      "CTRACE_BASE=" + base, "--build-arg", "CTRACE_BUILD_BASE=" + build_base, "-t", image,
                      ctx.string()}),
          std::chrono::seconds(600));
  fs::remove_all(ctx);
  INFO("docker build: " << r.out.substr(r.out.size() > 3000 ? r.out.size() - 3000 : 0) << r.err);
  REQUIRE(r.code == 0);

  const double over = image_mb(image) - image_mb(base);
  INFO("image over its base: " << over << " MB");
  CHECK(over > 5);  // ctrace (about 5 MB stripped) is in it
  CHECK(over <= kMaxImageOverBaseMB);

  const std::vector<std::string> opts = documented_run_options();
  auto in_image = [&](std::vector<std::string> front, const std::vector<std::string>& args) {
    front.insert(front.end(), opts.begin(), opts.end());
    front.push_back(image);
    front.insert(front.end(), args.begin(), args.end());
    return docker_cmd(front);
  };

  DockerContainer web(container_name("img-web"),
                      fifo_held("i=0; while [ $i -lt 10 ]; do cat /ctl/nope 2>/dev/null; i=$((i+1)); done"));
  REQUIRE(web.wait_fifo_blocked());

  // ps: the container by the name the engine gave it (the API over the /run mount)
  r = run(in_image({"run"}, {"ps", "-o", "json"}), std::chrono::seconds(120));
  INFO("ps in the image: " << r.out << r.err);
  REQUIRE(r.code == 0);
  size_t rows = 0;
  for (const auto& row : json_lines(r.out))
    if (row.value("id", "") == web.id()) {
      ++rows;
      CHECK(row["name"] == web.name());
      CHECK(row["runtime"] == "docker");
    }
  CHECK(rows == 1);

  // stat --container NAME in the foreground, stopped by Ctrl-C (SIGINT, which docker run passes on)
  const std::string tracer = container_name("img-stat");
  struct Removed {  // the documented --rm removes it; this, when the test fails first
    std::string name;
    ~Removed() { run(docker_cmd({"rm", "-f", name}), std::chrono::seconds(60)); }
  } removed{tracer};
  Process p(in_image({"run", "--name", tracer}, {"stat", "--container", web.name(), "-o", "json"}));
  REQUIRE(p.wait_for_stderr("Collecting events", std::chrono::seconds(60)));
  web.release_fifo();
  REQUIRE(web.wait_stopped());
  CHECK(web.exit_code() == 0);
  p.signal(SIGINT);
  CHECK(p.wait() == 0);
  INFO("tracer: " << p.out() << p.err());
  const json stat = json::parse(p.out());
  auto count = syscall_counts(stat), errors = syscall_counts(stat, "errors");
  CHECK(count["execve"] == 10);
  CHECK(errors["openat"] >= 10);  // each cat's /ctl/nope
  CHECK(count["clone"] + count["fork"] + count["vfork"] + count["clone3"] == 10);
}
