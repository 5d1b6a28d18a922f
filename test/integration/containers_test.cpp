// The container helpers themselves: real runc and podman containers start, hold, run and go away.
#include "containers.hpp"

#include <catch2/catch.hpp>
#include <filesystem>

#include "support.hpp"

using namespace ctrace::test;
namespace fs = std::filesystem;

TEST_CASE("containers helper: a held runc container runs its command after go()", "[containers]") {
  std::string cgroup;
  {
    RuncContainer c(container_name("helper-runc"), {"sh", "-c", "hostname; echo done"},
                    {.hostname = "helper-host", .hold = true});
    cgroup = c.cgroup();
    CHECK(c.pid() > 0);
    CHECK(fs::is_directory(cgroup2_mount() / fs::path(cgroup).relative_path()));
    CHECK(c.cgroup_id() != 0);
    CHECK(c.output().empty());
    c.go();
    REQUIRE(c.wait_stopped());
    CHECK(c.output() == "helper-host\ndone\n");
  }
  CHECK_FALSE(fs::exists(cgroup2_mount() / fs::path(cgroup).relative_path()));
}

TEST_CASE("containers helper: a held podman container runs its command after go()", "[containers]") {
  std::string name = container_name("helper-podman");
  {
    PodmanContainer c(name, {"sh", "-c", "hostname; echo done"}, {.hostname = "helper-phost", .hold = true});
    CHECK(c.id().size() == 64);
    CHECK(c.cgroup().find("libpod-" + c.id()) != std::string::npos);
    CHECK(c.cgroup_id() != 0);
    c.go();
    REQUIRE(c.wait_stopped());
    CHECK(c.output() == "helper-phost\ndone\n");
  }
  CHECK(run(podman_cmd({"container", "exists", name})).code == 1);
}
