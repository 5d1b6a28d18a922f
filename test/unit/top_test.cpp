// ctrace top without a kernel: snapshot diffs, folding cgroups into rows, sorting.
#include <catch2/catch.hpp>

#include "ctrace/core/error.hpp"
#include "ctrace/hostview/sampler.hpp"
#include "ctrace/output/formatter.hpp"

using ctrace::hostview::ActivityCounters;
using ctrace::hostview::HostSnapshot;
namespace top = ctrace::hostview;

namespace {

ActivityCounters counters(uint64_t syscalls, uint64_t errors,
                          std::map<uint32_t, ctrace::hostview::SyscallCount> per = {}) {
  ActivityCounters c;
  c.syscalls = syscalls;
  c.errors = errors;
  c.per_syscall = std::move(per);
  return c;
}

}  // namespace

TEST_CASE("diff subtracts the previous snapshot per cgroup and leaves idle cgroups out", "[top]") {
  HostSnapshot prev, now;
  prev.cgroups[10] = counters(100, 1, {{39, {100, 1}}});
  prev.cgroups[11] = counters(50, 0, {{0, {50, 0}}});
  now.cgroups[10] = counters(160, 4, {{39, {150, 4}}, {1, {10, 0}}});
  now.cgroups[11] = counters(50, 0, {{0, {50, 0}}});  // idle
  now.cgroups[12] = counters(7, 0, {{257, {7, 0}}});  // new since prev
  now.cgroups[12].opens = 7;
  now.cgroups[12].connect_results[HOSTVIEW_CONNECT_REFUSED] = 2;

  auto d = ctrace::hostview::diff(now, prev);
  REQUIRE(d.size() == 2);
  CHECK(d.at(10).syscalls == 60);
  CHECK(d.at(10).errors == 3);
  CHECK(d.at(10).per_syscall.at(39).count == 50);
  CHECK(d.at(10).per_syscall.at(39).errors == 3);
  CHECK(d.at(10).per_syscall.at(1).count == 10);
  CHECK(d.at(12).syscalls == 7);
  CHECK(d.at(12).opens == 7);
  CHECK(d.at(12).connect_results[HOSTVIEW_CONNECT_REFUSED] == 2);
  CHECK(d.count(11) == 0);
}

TEST_CASE("a counter that went down (key deleted and made again) counts from zero", "[top]") {
  HostSnapshot prev, now;
  prev.cgroups[5] = counters(1000, 0);
  now.cgroups[5] = counters(30, 0);
  CHECK(ctrace::hostview::diff(now, prev).at(5).syscalls == 30);
}

TEST_CASE("top_syscall is the most frequent, lowest nr on a tie", "[top]") {
  CHECK(counters(0, 0).top_syscall().first == -1);
  auto c = counters(30, 0, {{3, {10, 0}}, {1, {10, 0}}, {7, {5, 0}}});
  CHECK(c.top_syscall() == std::pair<int, uint64_t>{1, 10});
}

TEST_CASE(
    "fold sums the cgroups of one container, keeps idle rows, marks a row exited when all its cgroups are "
    "gone",
    "[top]") {
  // 1 and 2: container A (its cgroup and a nested one); 3: container B; 4: a plain cgroup, gone.
  std::unordered_map<uint64_t, ActivityCounters> delta;
  delta[1] = counters(100, 10, {{0, {60, 0}}, {1, {40, 10}}});
  delta[2] = counters(50, 0, {{1, {50, 0}}});
  delta[4] = counters(8, 0, {{2, {8, 0}}});
  auto group_of = [](uint64_t id) {
    if (id == 1 || id == 2) return top::Group{"container:a", "web", "a", "podman", "", "/a"};
    if (id == 3) return top::Group{"container:b", "api", "b", "runc", "", "/b"};
    return top::Group{"/x", "/x", "", "", "", "/x"};
  };
  auto removed = [](uint64_t id) { return id == 4 || id == 2; };
  auto rows = top::fold({1, 2, 3, 4}, delta, 2.0, group_of, removed);
  REQUIRE(rows.size() == 3);
  top::sort_rows(rows, "syscalls");
  CHECK(rows[0].group.name == "web");
  CHECK(rows[0].delta.syscalls == 150);
  CHECK(rows[0].delta.errors == 10);
  CHECK(rows[0].delta.per_syscall.at(1).count == 90);
  CHECK(rows[0].delta.top_syscall().first == 1);
  CHECK(rows[0].per_sec(rows[0].delta.syscalls) == Approx(75.0));
  CHECK_FALSE(rows[0].exited);  // cgroup 1 is still there
  CHECK(rows[1].group.name == "/x");
  CHECK(rows[1].exited);
  CHECK(rows[2].group.name == "api");
  CHECK(rows[2].delta.syscalls == 0);  // idle, still listed
  CHECK_FALSE(rows[2].exited);
}

TEST_CASE("sort_rows: descending by the column, by name on ties and for 'name'", "[top]") {
  std::vector<top::Row> rows(3);
  rows[0].group.name = "c";
  rows[0].delta.errors = 5;
  rows[1].group.name = "a";
  rows[1].delta.errors = 5;
  rows[2].group.name = "b";
  rows[2].delta.errors = 9;
  rows[2].cpu_pct = 12.5;
  top::sort_rows(rows, "errors");
  CHECK(rows[0].group.name == "b");
  CHECK(rows[1].group.name == "a");
  CHECK(rows[2].group.name == "c");
  top::sort_rows(rows, "name");
  CHECK(rows[0].group.name == "a");
  top::sort_rows(rows, "cpu");  // rows without a CPU figure go last
  CHECK(rows[0].group.name == "b");
  for (const auto& k : top::sort_keys()) top::sort_rows(rows, k);  // every key is known
}

TEST_CASE("parse_group_by accepts container, pod and cgroup", "[top]") {
  CHECK(top::parse_group_by("pod") == top::GroupBy::Pod);
  CHECK_THROWS_AS(top::parse_group_by("node"), ctrace::UsageError);
}

TEST_CASE("human_bytes", "[top]") {
  CHECK(ctrace::output::human_bytes(0) == "0 B");
  CHECK(ctrace::output::human_bytes(512) == "512 B");
  CHECK(ctrace::output::human_bytes(1536) == "1.5 KiB");
  CHECK(ctrace::output::human_bytes(4.0 * 1024 * 1024) == "4.0 MiB");
}

namespace {

namespace fs = std::filesystem;
const fs::path kFixtures = fs::path(CTRACE_TEST_FIXTURES) / "containers";
const std::string kPodDir =
    "/kubepods.slice/kubepods-burstable.slice/"
    "kubepods-burstable-pod1b2c3d4e_5f60_7182_93a4_b5c6d7e8f901.slice";
const std::string kCrio =
    kPodDir + "/crio-c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee01.scope";
const std::string kLibpod =
    "/machine.slice/libpod-3f2a9c0d1e7b3f2a9c0d1e7b3f2a9c0d1e7b3f2a9c0d1e7b3f2a9c0d1e7b3f2a.scope";

ctrace::enrich::RuntimePaths fixture_paths() {
  ctrace::enrich::RuntimePaths p;
  p.root = kFixtures;
  p.docker_socket = "run/no-docker.sock";
  p.podman_socket = "run/no-podman.sock";
  return p;
}

}  // namespace

TEST_CASE(
    "HostGroups: nested cgroups fold into their container, pods group their containers, paths of "
    "removed cgroups stay",
    "[top]") {
  const auto mount = kFixtures / "sys/fs/cgroup";
  top::HostGroups by_container(mount, top::GroupBy::Container, fixture_paths());
  top::HostGroups by_pod(mount, top::GroupBy::Pod, fixture_paths());
  for (auto* g : {&by_container, &by_pod}) {
    g->on_event({1, false, 4, kCrio});
    g->on_event({2, false, 3, kLibpod + "/container"});
    g->on_event({3, false, 4, kLibpod + "/container/worker"});
    g->on_event({4, false, 1, "/plain"});
  }
  auto c1 = by_container.group_of(1);
  CHECK(c1.name == "api");
  CHECK(c1.runtime == "cri-o");
  CHECK(c1.pod == "shop/api-7d9f-x2");
  CHECK(by_container.group_of(2).key == by_container.group_of(3).key);  // both are podman's "db"
  CHECK(by_container.group_of(3).name == "db");
  CHECK(by_container.group_of(3).cgroup == kLibpod);
  CHECK(by_container.group_of(4).name == "/plain");  // not a container: its path

  auto p1 = by_pod.group_of(1);
  CHECK(p1.name == "shop/api-7d9f-x2");
  CHECK(p1.cgroup == kPodDir);
  CHECK(by_pod.group_of(3).name == "db");  // no pod: the container

  // Removed: still named from the event's path, listed as removed, expired after the grace.
  by_container.on_event({2, true, 3, kLibpod + "/container"});
  CHECK(by_container.removed(2));
  CHECK_FALSE(by_container.removed(3));
  CHECK(by_container.group_of(2).name == "db");
  CHECK(by_container.expire(std::chrono::hours(1)).empty());
  CHECK(by_container.expire(std::chrono::seconds(0)) == std::vector<uint64_t>{2});
}
