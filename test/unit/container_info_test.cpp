// The ContainerInfo resolver on fixture trees (test/fixtures/containers: the state files of
// Docker, containerd/nerdctl, CRI-O, Kubernetes on containerd and podman as those runtimes write
// them) and its HTTP sources against a fake API server on a unix socket.
#include "ctrace/enrich/container_info.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "../../src/enrich/container_sources.hpp"
#include "ctrace/enrich/unix_http.hpp"

namespace fs = std::filesystem;
using namespace ctrace::enrich;

namespace {

const fs::path kRoot = fs::path(CTRACE_TEST_FIXTURES) / "containers";
const fs::path kMount = kRoot / "sys/fs/cgroup";
const std::string D = "d0c4e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e";
const std::string N = "e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70";
const std::string C = "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee01";
const std::string S = "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a";
const std::string K = "4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b";
const std::string P = "3f2a9c0d1e7b3f2a9c0d1e7b3f2a9c0d1e7b3f2a9c0d1e7b3f2a9c0d1e7b3f2a";
const std::string G = "9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d9d";
const std::string kPod =
    "/kubepods.slice/kubepods-burstable.slice/"
    "kubepods-burstable-pod1b2c3d4e_5f60_7182_93a4_b5c6d7e8f901.slice";
const std::string kKPod =
    "/kubepods.slice/kubepods-besteffort.slice/"
    "kubepods-besteffort-pod8e7d6c5b_4a39_2817_0615_f4e3d2c1b0a9.slice";

RuntimePaths fixture_paths() {
  RuntimePaths p;
  p.root = kRoot;
  p.docker_socket = "run/no-docker.sock";
  p.podman_socket = "run/no-podman.sock";
  return p;
}

// A fake runtime API: answers each connection with `body` (chunked or with Content-Length)
// and remembers the request lines it got; hold() keeps every answer until release(), and
// answered() counts the answers the client was still there to take.
class FakeApi {
 public:
  FakeApi(fs::path sock, std::string body, bool chunked) : sock_(std::move(sock)) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, sock_.c_str(), sizeof addr.sun_path - 1);
    ::unlink(sock_.c_str());
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(fd_, 8) == 0);
    thread_ = std::thread([this, body = std::move(body), chunked] {
      for (;;) {
        int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0 || stop_) {
          if (c >= 0) ::close(c);
          return;
        }
        std::string req;
        char buf[4096];
        ssize_t n;
        while (req.find("\r\n\r\n") == std::string::npos && (n = ::recv(c, buf, sizeof buf, 0)) > 0)
          req.append(buf, static_cast<size_t>(n));
        std::string target = req.substr(0, req.find("\r\n"));
        {
          std::unique_lock lock(mutex_);
          requests_.push_back(target);
          gate_.wait(lock, [&] { return !held_ || stop_; });
        }
        bool known = target.find(known_) != std::string::npos;
        std::string b = known ? body : R"({"message":"No such container"})";
        std::string resp = std::string("HTTP/1.1 ") + (known ? "200 OK" : "404 Not Found") +
                           "\r\nContent-Type: application/json\r\n";
        if (chunked) {
          // two chunks, so that the client has to join them
          size_t half = b.size() / 2;
          char head[64];
          std::snprintf(head, sizeof head, "%zx\r\n", half);
          std::string c1 = head + b.substr(0, half) + "\r\n";
          std::snprintf(head, sizeof head, "%zx\r\n", b.size() - half);
          resp += "Transfer-Encoding: chunked\r\n\r\n" + c1 + head + b.substr(half) + "\r\n0\r\n\r\n";
        } else {
          resp += "Content-Length: " + std::to_string(b.size()) + "\r\n\r\n" + b;
        }
        if (::send(c, resp.data(), resp.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(resp.size())) ++answered_;
        ::close(c);
      }
    });
  }
  ~FakeApi() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    gate_.notify_all();
    ::shutdown(fd_, SHUT_RDWR);
    // wake accept() with one last connection
    int c = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, sock_.c_str(), sizeof addr.sun_path - 1);
    (void)::connect(c, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::close(c);
    thread_.join();
    ::close(fd_);
    ::unlink(sock_.c_str());
  }
  void known(std::string id) { known_ = std::move(id); }
  std::vector<std::string> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  void hold() {
    std::lock_guard lock(mutex_);
    held_ = true;
  }
  void release() {
    {
      std::lock_guard lock(mutex_);
      held_ = false;
    }
    gate_.notify_all();
  }
  int answered() const { return answered_; }

 private:
  fs::path sock_;
  int fd_ = -1;
  std::atomic<bool> stop_{false};
  std::string known_ = "/containers/";
  std::vector<std::string> requests_;
  std::mutex mutex_;
  std::condition_variable gate_;
  bool held_ = false;
  std::atomic<int> answered_{0};
  std::thread thread_;
};

fs::path temp_dir() {
  std::string t = (fs::temp_directory_path() / "ctrace-ci-XXXXXX").string();
  REQUIRE(::mkdtemp(t.data()));
  return t;
}

}  // namespace

TEST_CASE("container cgroup directory names", "[container_info]") {
  using detail::match_cgroup_dir;
  using detail::PathMatch;
  auto m = match_cgroup_dir("docker-" + D + ".scope", "system.slice");
  REQUIRE(m);
  CHECK(m->id == D);
  CHECK(m->runtime == "docker");
  CHECK(match_cgroup_dir(D, "docker")->runtime == "docker");
  CHECK(match_cgroup_dir(D, "default")->runtime.empty());
  CHECK(match_cgroup_dir("libpod-" + P + ".scope", "")->runtime == "podman");
  CHECK(match_cgroup_dir("libpod-" + P, "libpod_parent")->runtime == "podman");
  CHECK(match_cgroup_dir("cri-containerd-" + K + ".scope", "")->runtime == "containerd");
  CHECK(match_cgroup_dir("crio-" + C + ".scope", "")->runtime == "cri-o");
  CHECK(match_cgroup_dir("nerdctl-" + N + ".scope", "")->runtime == "containerd");
  auto pod = match_cgroup_dir("kubepods-burstable-pod1b2c3d4e_5f60_7182_93a4_b5c6d7e8f901.slice", "");
  REQUIRE(pod);
  CHECK(pod->kind == PathMatch::Pod);
  CHECK(pod->id == "1b2c3d4e-5f60-7182-93a4-b5c6d7e8f901");
  CHECK(match_cgroup_dir("pod9a8b7c6d-1111-2222-3333-444455556666", "burstable")->kind == PathMatch::Pod);
  CHECK(match_cgroup_dir("nginx.service", "system.slice")->kind == PathMatch::Unit);
  CHECK_FALSE(match_cgroup_dir("libpod-conmon-" + P + ".scope", ""));
  CHECK_FALSE(match_cgroup_dir("crio-conmon-" + C + ".scope", ""));
  CHECK_FALSE(match_cgroup_dir("kubepods-burstable.slice", ""));
  CHECK_FALSE(match_cgroup_dir("system.slice", ""));
  CHECK_FALSE(match_cgroup_dir("container", ""));
  CHECK(detail::qos_of_path(kPod) == "burstable");
  CHECK(detail::qos_of_path(kKPod) == "besteffort");
  CHECK(detail::qos_of_path("/kubepods.slice/kubepods-pod1.slice") == "guaranteed");
  CHECK(detail::qos_of_path("/kubepods/burstable/pod1") == "burstable");
  CHECK(detail::qos_of_path("/system.slice") == "");
}

TEST_CASE("resolver: Docker from its runc state and config.v2.json", "[container_info]") {
  ContainerResolver r(kMount, fixture_paths());
  auto c = r.lookup_path("/system.slice/docker-" + D + ".scope");
  REQUIRE(c);
  CHECK(c->id == D);
  CHECK(c->name == "web");
  CHECK(c->runtime == "docker");
  CHECK(c->image == "nginx:1.25");
  CHECK(c->cgroup == "/system.slice/docker-" + D + ".scope");
  CHECK(c->display_name() == "web");
}

TEST_CASE("resolver: nerdctl from the bundle's config.json annotations", "[container_info]") {
  ContainerResolver r(kMount, fixture_paths());
  auto c = r.lookup_path("/system.slice/nerdctl-" + N + ".scope");
  REQUIRE(c);
  CHECK(c->name == "redis-cache");
  CHECK(c->runtime == "containerd");
  CHECK(c->hostname == "cache");
}

TEST_CASE("resolver: CRI-O pod, its container named, the sandbox marked, conmon not a container",
          "[container_info]") {
  ContainerResolver r(kMount, fixture_paths());
  auto c = r.lookup_path(kPod + "/crio-" + C + ".scope");
  REQUIRE(c);
  CHECK(c->name == "api");
  CHECK(c->runtime == "cri-o");
  CHECK(c->pod == "api-7d9f-x2");
  CHECK(c->pod_namespace == "shop");
  CHECK(c->pod_uid == "1b2c3d4e-5f60-7182-93a4-b5c6d7e8f901");
  CHECK(c->qos == "burstable");
  CHECK(c->image == "registry.example/shop/api:2.1");
  CHECK_FALSE(c->sandbox);
  auto s = r.lookup_path(kPod + "/crio-" + S + ".scope");
  REQUIRE(s);
  CHECK(s->sandbox);
  CHECK_FALSE(r.lookup_path(kPod + "/crio-conmon-" + C + ".scope"));
}

TEST_CASE("resolver: Kubernetes on containerd from io.kubernetes.cri annotations", "[container_info]") {
  ContainerResolver r(kMount, fixture_paths());
  auto c = r.lookup_path(kKPod + "/cri-containerd-" + K + ".scope");
  REQUIRE(c);
  CHECK(c->name == "worker");
  CHECK(c->runtime == "containerd");
  CHECK(c->pod == "worker-5c8");
  CHECK(c->pod_namespace == "batch");
  CHECK(c->pod_uid == "8e7d6c5b-4a39-2817-0615-f4e3d2c1b0a9");
  CHECK(c->qos == "besteffort");
  CHECK(c->image == "registry.example/batch/worker:7");
}

TEST_CASE("resolver: podman from containers.json, nested cgroups folded into the container",
          "[container_info]") {
  ContainerResolver r(kMount, fixture_paths());
  auto c = r.lookup_path("/machine.slice/libpod-" + P + ".scope/container");
  REQUIRE(c);
  CHECK(c->cgroup == "/machine.slice/libpod-" + P + ".scope");
  CHECK(c->name == "db");
  CHECK(c->runtime == "podman");
  CHECK(c->image == "localhost/postgres:16");
  // deeper still: the same container
  CHECK(r.lookup_path("/machine.slice/libpod-" + P + ".scope/container/a/b")->name == "db");
}

TEST_CASE("resolver: systemd units, plain cgroups and --no-names", "[container_info]") {
  ContainerResolver r(kMount, fixture_paths());
  auto u = r.lookup_path("/system.slice/nginx.service");
  REQUIRE(u);
  CHECK(u->name == "nginx.service");
  CHECK(u->runtime == "systemd");
  CHECK_FALSE(u->is_container());
  CHECK_FALSE(r.lookup_path("/plain/child"));
  CHECK_FALSE(r.lookup_path("/"));

  ContainerResolver bare(kMount, fixture_paths(), false);
  auto d = bare.lookup_path("/system.slice/docker-" + D + ".scope");
  REQUIRE(d);
  CHECK(d->runtime == "docker");
  CHECK(d->name.empty());  // no runtime files read
  CHECK(d->display_name() == D.substr(0, 12));
}

TEST_CASE("resolver: list and find over the fixture tree", "[container_info]") {
  ContainerResolver r(kMount, fixture_paths());
  auto all = r.list();
  std::vector<std::string> names;
  for (const auto& c : all) names.push_back(c.display_name());
  // containers first (by name), the sandbox left out; units and plain cgroups only with
  // processes (none here)
  CHECK(names == std::vector<std::string>{"9d9d9d9d9d9d", "api", "db", "redis-cache", "web", "worker"});
  CHECK(r.list(true).size() == all.size() + 2);  // + the sandbox and nginx.service

  CHECK(r.find("web").size() == 1);
  CHECK(r.find("api-7d9f-x2/api").at(0).id == C);
  CHECK(r.find("shop/api-7d9f-x2/api").at(0).id == C);
  CHECK(r.find(D.substr(0, 6)).at(0).name == "web");
  // a pod by NAMESPACE/POD or POD: its cgroup, which covers its containers
  auto pod = r.find("shop/api-7d9f-x2");
  REQUIRE(pod.size() == 1);
  CHECK(pod[0].cgroup == kPod);
  CHECK(pod[0].name == "api-7d9f-x2");
  CHECK_FALSE(pod[0].is_container());
  CHECK(r.find("worker-5c8").at(0).cgroup == kKPod);
  CHECK(r.find("nope").empty());
  CHECK(r.find("c0f").empty());  // a prefix needs 4 characters
}

TEST_CASE("resolver: Docker API over its unix socket when no file names the container", "[container_info]") {
  fs::path dir = temp_dir();
  RuntimePaths p = fixture_paths();
  p.docker_socket = dir / "docker.sock";
  {
    FakeApi api(
        p.docker_socket,
        R"({"Id":")" + G + R"(","Name":"/legacy","Config":{"Image":"busybox:1.36","Hostname":"legacy"}})",
        false);
    ContainerResolver r(kMount, p);
    auto c = r.lookup_path("/docker/" + G);
    REQUIRE(c);
    CHECK(c->name == "legacy");
    CHECK(c->runtime == "docker");
    CHECK(c->image == "busybox:1.36");
    REQUIRE(api.requests().size() == 1);
    CHECK(api.requests()[0] == "GET /containers/" + G + "/json HTTP/1.1");
    // cached: no second request
    CHECK(r.lookup_path("/docker/" + G)->name == "legacy");
    CHECK(api.requests().size() == 1);
  }
  fs::remove_all(dir);
}

TEST_CASE("resolver: lookup_path(wait=false) does not wait for the socket, whose answer names the container later",
          "[container_info]") {
  fs::path dir = temp_dir();
  RuntimePaths p = fixture_paths();
  p.docker_socket = dir / "docker.sock";
  {
    FakeApi api(p.docker_socket, R"({"Id":")" + G + R"(","Name":"/legacy","Config":{"Image":"busybox:1.36"}})",
                false);
    api.hold();  // Docker while it starts a container: the answer comes only after we go on
    ContainerResolver r(kMount, p);
    auto c = r.lookup_path("/docker/" + G, /*wait=*/false);
    REQUIRE(c);
    CHECK(c->id == G);
    CHECK(c->runtime == "docker");
    CHECK(c->name.empty());
    CHECK(r.lookup_path("/docker/" + G, false)->name.empty());  // asked already: no second request
    // Released only now: a lookup that had waited for this answer would have timed out and hung up.
    api.release();
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (r.lookup_path("/docker/" + G, false)->name.empty() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    CHECK(r.lookup_path("/docker/" + G, false)->name == "legacy");
    CHECK(r.lookup_path("/docker/" + G)->image == "busybox:1.36");  // complete: the waiting form asks nothing
    REQUIRE(api.requests().size() == 1);
    CHECK(api.requests()[0] == "GET /containers/" + G + "/json HTTP/1.1");
    CHECK(api.answered() == 1);  // the worker was still there to read it
  }
  fs::remove_all(dir);
}

TEST_CASE("resolver: a name that is not there yet appears later (negative cache retried)",
          "[container_info]") {
  fs::path dir = temp_dir();
  RuntimePaths p = fixture_paths();
  p.docker_socket = dir / "docker.sock";
  {
    FakeApi api(p.docker_socket, R"({"Name":"/late","Config":{"Image":"x"}})", true);
    api.known("no-such-id");  // 404 for now
    ContainerResolver r(kMount, p);
    auto first = r.lookup_path("/docker/" + G);
    REQUIRE(first);
    CHECK(first->name.empty());
    CHECK(api.requests().size() == 1);
    CHECK(r.lookup_path("/docker/" + G)->name.empty());  // within the back-off: no new request
    CHECK(api.requests().size() == 1);
    api.known(G);
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    CHECK(r.lookup_path("/docker/" + G)->name == "late");  // chunked answer, joined
    CHECK(api.requests().size() == 2);
  }
  fs::remove_all(dir);
}

TEST_CASE("resolver: podman's REST socket, chunked", "[container_info]") {
  fs::path dir = temp_dir();
  const std::string id(64, 'a');
  fs::create_directories(dir / ("cg/machine.slice/libpod-" + id + ".scope"));
  RuntimePaths p = fixture_paths();
  p.root = dir;  // no podman files at all
  p.podman_socket = dir / "podman.sock";
  {
    FakeApi api(p.podman_socket,
                R"({"Id":")" + id + R"(","Name":"cache","Config":{"Image":"localhost/redis:7"}})", true);
    ContainerResolver r(dir / "cg", p);
    auto c = r.lookup_path("/machine.slice/libpod-" + id + ".scope");
    REQUIRE(c);
    CHECK(c->name == "cache");
    CHECK(c->image == "localhost/redis:7");
    REQUIRE(api.requests().size() == 1);
    CHECK(api.requests()[0] == "GET /v4.0.0/libpod/containers/" + id + "/json HTTP/1.1");
  }
  fs::remove_all(dir);
}

TEST_CASE("unix_http_request: absent socket and garbage are nullopt, not a hang", "[container_info]") {
  HttpFailure why{};
  CHECK_FALSE(unix_http_request("/nonexistent/ctrace.sock", "GET", "/", std::chrono::milliseconds(200),
                                1 << 20, &why));
  CHECK(why == HttpFailure::Connect);
}
