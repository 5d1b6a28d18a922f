// ctrace biograph on the real kernel: direct I/O of dd in cgroups made here, on a file on a
// real block device (the build dir; tmpfs would do no block I/O at all).
#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "support.hpp"

using namespace ctrace::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr uint64_t kMiB = 1024 * 1024;

// A scratch file under the build dir, which must be on a block device; removed at the end.
class ScratchFile {
 public:
  explicit ScratchFile(const std::string& name)
      : path_(fs::path(CTRACE_BUILD_DIR) / (name + "-" + std::to_string(::getpid()) + ".dat")) {
    struct stat st {};
    REQUIRE(::stat(CTRACE_BUILD_DIR, &st) == 0);
    auto dev = fs::path("/sys/dev/block") /
               (std::to_string(major(st.st_dev)) + ":" + std::to_string(minor(st.st_dev)));
    INFO(CTRACE_BUILD_DIR " must be on a block device (not tmpfs/overlay) for block I/O to happen");
    REQUIRE(fs::exists(dev));
  }
  ~ScratchFile() {
    std::error_code ec;
    fs::remove(path_, ec);
  }
  std::string path() const { return path_.string(); }

 private:
  fs::path path_;
};

// Runs dd inside `cg` (the shell moves itself in, then execs dd).
void dd_in(const TestCgroup& cg, const std::string& dd_args) {
  auto r = run({"sh", "-c", "echo $$ > " + (cg.path() / "cgroup.procs").string() + " && exec dd " + dd_args});
  INFO("dd: " << r.err);
  REQUIRE(r.code == 0);
}

std::string write_args(const ScratchFile& f, int mib) {
  return "if=/dev/zero of=" + f.path() + " bs=1M count=" + std::to_string(mib) + " oflag=direct";
}

std::string read_args(const ScratchFile& f) {
  return "if=" + f.path() + " of=/dev/null bs=1M iflag=direct";
}

// The JSON output of a biograph run: its interval objects and its summary.
struct Run {
  std::vector<json> intervals;
  json summary;

  uint64_t total(const std::string& key) const { return summary.at("total").at(key).get<uint64_t>(); }
  uint64_t interval_sum(const std::string& key) const {
    uint64_t n = 0;
    for (const auto& i : intervals) n += i.at(key).get<uint64_t>();
    return n;
  }
};

Run parse(const std::string& out) {
  Run r;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    json j = json::parse(line);
    if (j.at("type") == "interval")
      r.intervals.push_back(j);
    else if (j.at("type") == "summary")
      r.summary = j;
    else
      FAIL("unexpected line: " << line);
  }
  REQUIRE(r.summary.is_object());
  return r;
}

// `ctrace biograph ARGS -o json` around `work`, stopped with Ctrl-C.
template <typename Work>
Run biograph_around(std::vector<std::string> args, Work work) {
  args.insert(args.begin(), "biograph");
  args.insert(args.end(), {"-t", "200", "-o", "json"});
  auto ct = start_ctrace(args);
  work();
  ct->signal(SIGINT);
  REQUIRE(ct->wait() == 0);
  INFO("stderr: " << ct->err());
  return parse(ct->out());
}

void check_within_10pct(uint64_t bytes, uint64_t expected) {
  INFO("bytes " << bytes << ", expected " << expected);
  CHECK(bytes >= expected);
  CHECK(bytes <= expected + expected / 10);
}

}  // namespace

TEST_CASE("biograph counts a direct write of its cgroup, and -o json intervals sum to the total",
          "[biograph]") {
  TestCgroup cg("ctrace-test-biograph");
  ScratchFile file("biograph-write");
  Run r = biograph_around({"-c", cg.path().string()}, [&] { dd_in(cg, write_args(file, 32)); });
  check_within_10pct(r.total("write_bytes"), 32 * kMiB);
  CHECK(r.total("ios") >= 32 / 4);  // a bio carries at most a few MiB
  CHECK(r.total("timed_requests") > 0);
  CHECK(r.summary.at("total").at("avg_lat_us").get<double>() > 0);
  CHECK(r.summary.at("target").at("cgroup_id") == cg.id());
  CHECK(r.summary.at("lost") == 0);
  CHECK(r.summary.at("intervals") == r.intervals.size());
  CHECK(r.interval_sum("write_bytes") == r.total("write_bytes"));
  CHECK(r.interval_sum("read_bytes") == r.total("read_bytes"));
  CHECK(r.interval_sum("ios") == r.total("ios"));
  CHECK(r.interval_sum("read_ios") + r.interval_sum("write_ios") == r.total("ios"));
}

TEST_CASE("biograph counts a direct read as reads", "[biograph]") {
  TestCgroup writer("ctrace-test-biograph-w"), reader("ctrace-test-biograph-r");
  ScratchFile file("biograph-read");
  dd_in(writer, write_args(file, 32));
  Run r = biograph_around({"-c", reader.path().string()}, [&] { dd_in(reader, read_args(file)); });
  check_within_10pct(r.total("read_bytes"), 32 * kMiB);
  const json& read = r.summary.at("directions").at(0);
  CHECK(read.at("direction") == "read");
  CHECK(read.at("bytes") == r.total("read_bytes"));
  CHECK(r.interval_sum("read_bytes") == r.total("read_bytes"));
}

TEST_CASE("biograph: a sibling cgroup's I/O adds nothing", "[biograph]") {
  TestCgroup parent("ctrace-test-biograph-sib");
  TestCgroup a(parent, "a"), b(parent, "b");
  ScratchFile fa("biograph-sib-a"), fb("biograph-sib-b");

  // non-matching filter: only the sibling does I/O
  Run none = biograph_around({"-c", a.path().string()}, [&] { dd_in(b, write_args(fb, 32)); });
  CHECK(none.total("bytes") == 0);
  CHECK(none.total("ios") == 0);
  CHECK(none.total("timed_requests") == 0);

  // matching filter: both do I/O, only a's 8 MiB count
  Run mine = biograph_around({"-c", a.path().string()}, [&] {
    dd_in(b, write_args(fb, 32));
    dd_in(a, write_args(fa, 8));
    dd_in(b, write_args(fb, 32));
  });
  check_within_10pct(mine.total("write_bytes"), 8 * kMiB);

  // the parent covers both children
  Run both = biograph_around({"-c", parent.path().string()}, [&] {
    dd_in(a, write_args(fa, 8));
    dd_in(b, write_args(fb, 16));
  });
  check_within_10pct(both.total("write_bytes"), 24 * kMiB);
}

TEST_CASE("biograph without a target sees the cgroup's I/O", "[biograph]") {
  TestCgroup cg("ctrace-test-biograph-all");
  ScratchFile file("biograph-all");
  Run r = biograph_around({}, [&] { dd_in(cg, write_args(file, 32)); });
  // other tests on this machine may add their own I/O: only a lower bound holds
  CHECK(r.total("write_bytes") >= 32 * kMiB);
}

TEST_CASE("biograph -o text and -o graph", "[biograph]") {
  TestCgroup cg("ctrace-test-biograph-fmt");
  auto text =
      run({ctrace_bin(), "biograph", "-c", cg.path().string(), "-t", "100", "-d", "0.5", "-o", "text"});
  INFO("stderr: " << text.err);
  REQUIRE(text.code == 0);
  std::istringstream in(text.out);
  std::string header;
  std::getline(in, header);
  CHECK(header.find("TIME") == 0);
  for (const char* col : {"READ_BYTES", "WRITE_BYTES", "IOS", "AVG_LAT_US"})
    CHECK(header.find(col) != std::string::npos);
  int rows = 0;
  for (std::string line; std::getline(in, line); ++rows) CHECK(line.find(" 0 ") != std::string::npos);
  CHECK(rows >= 3);
  CHECK(text.err.find("Collecting events in 100 ms") != std::string::npos);
  CHECK(text.err.find("...") != std::string::npos);  // a dot per tick

  auto graph = run({ctrace_bin(), "biograph", "-c", cg.path().string(), "-t", "100", "-d", "0.5", "--width",
                    "40", "--height", "10", "--rw", "--count"});
  INFO("stderr: " << graph.err);
  REQUIRE(graph.code == 0);
  std::vector<std::string> lines;
  std::istringstream g(graph.out);
  for (std::string line; std::getline(g, line);) lines.push_back(line);
  REQUIRE(lines.size() == 9);  // two panels of a title and 3 rows, and the x axis (9 / 2 rounds down)
  CHECK(lines[0] == "read I/Os per 100 ms");
  CHECK(lines[4] == "write I/Os per 100 ms");
  CHECK(lines[3].find("⣀⣀⣀⣀") == 0);  // nothing happened: a line at 0
  CHECK(lines[8].find("0.0") == 0);
}

TEST_CASE("biograph rejects bad options with exit code 2", "[biograph]") {
  CHECK(run({ctrace_bin(), "biograph", "--count", "--avg"}).code == 2);
  CHECK(run({ctrace_bin(), "biograph", "-t", "0"}).code == 2);
  CHECK(run({ctrace_bin(), "biograph", "-o", "yaml"}).code == 2);
  CHECK(run({ctrace_bin(), "biograph", "--width", "0"}).code == 2);
}

TEST_CASE("biograph --by-container: each container's own bytes, a sibling outside -c absent", "[biograph]") {
  TestCgroup parent("ctrace-test-biograph-by");
  TestCgroup a(parent, "a"), b(parent, "b");
  TestCgroup outside("ctrace-test-biograph-by-out");
  ScratchFile fa("biograph-by-a"), fb("biograph-by-b"), fo("biograph-by-out");
  auto ct = start_ctrace({"biograph", "--by-container", "-c", parent.path().string(), "-t", "200", "-o", "json"});
  dd_in(a, write_args(fa, 8));
  dd_in(b, write_args(fb, 16));
  dd_in(outside, write_args(fo, 4));  // at the same time as the traced ones, outside -c
  ct->signal(SIGINT);
  REQUIRE(ct->wait() == 0);
  INFO("stderr: " << ct->err() << "\nstdout: " << ct->out());
  std::map<std::string, uint64_t> written;
  std::istringstream in(ct->out());
  for (std::string line; std::getline(in, line);) {
    json j = json::parse(line);
    REQUIRE(j.at("type") == "interval");
    written[j.at("container")] += j.at("write_bytes").get<uint64_t>();
  }
  check_within_10pct(written["/" + a.relative()], 8 * kMiB);
  check_within_10pct(written["/" + b.relative()], 16 * kMiB);
  CHECK(written.count("/" + outside.relative()) == 0);
}
