#pragma once
// ContainerInfo: from a cgroup (id or path) to the container it belongs to, shared by every
// command (ps, top, --container NAME, the `container` field of events, the exporter).
// Resolution order: cgroup path patterns first, then the runtimes' own files or HTTP/1.1 on
// their unix sockets. Cached, with a negative cache that is retried: a name that is not there
// yet appears later. Never called per event on a hot path without the cache. Sockets answer
// late while a container starts (~0.7 s for Docker): lookup_cached() and the `wait` false forms
// leave them to one background thread, so that an event loop never waits for them.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ctrace/core/model.hpp"

namespace ctrace::enrich {

struct ContainerInfo {
  std::string id;       // full container id; "" for a systemd unit or a plain cgroup
  std::string name;     // podman/docker name, k8s container name, runc id, unit name
  std::string runtime;  // "docker", "podman", "containerd", "cri-o", "runc", "systemd", ""
  std::string image;    // where known
  std::string pod;      // kubernetes pod name
  std::string pod_namespace;
  std::string pod_uid;
  std::string qos;         // kubernetes QoS class from the cgroup path: guaranteed, burstable, besteffort
  std::string cgroup;      // the container's cgroup, relative to the cgroup2 mount ("/a/b")
  uint64_t cgroup_id = 0;  // the container's cgroup id (nested cgroups are folded into it)
  std::string hostname;    // of its UTS namespace, where a task of it is alive
  uint32_t uts_inum = 0;
  uint32_t pids = 0;     // processes in its cgroup subtree (filled by list())
  bool sandbox = false;  // a pod's pause/sandbox container: list() and find() skip it

  bool is_container() const { return !id.empty(); }
  // What a user calls it: the name, else the short id, else the cgroup path.
  std::string display_name() const;
  // {"id","name","runtime","image","pod","namespace","pod_uid","cgroup","cgroup_id",...}
  Object to_object() const;
};

// Where the runtimes keep their state; every path is overridable for fixture tests.
struct RuntimePaths {
  std::filesystem::path root = "/";  // prefix for all of the below (a fixture tree in tests)
  std::vector<std::filesystem::path> runc_state = {"run/runc", "run/docker/runtime-runc/moby",
                                                   "run/containerd/runc"};
  std::filesystem::path docker_containers = "var/lib/docker/containers";
  std::filesystem::path docker_socket = "run/docker.sock";
  std::vector<std::filesystem::path> podman_storage = {"var/lib/containers/storage",
                                                       "run/containers/storage"};
  std::filesystem::path podman_socket = "run/podman/podman.sock";
};

class ContainerResolver {
 public:
  // `mount`: the cgroup2 mount. `names` false (--no-names): path patterns only, no runtime files.
  explicit ContainerResolver(std::filesystem::path mount, RuntimePaths paths = {}, bool names = true);
  ~ContainerResolver();
  ContainerResolver(const ContainerResolver&) = delete;
  ContainerResolver& operator=(const ContainerResolver&) = delete;

  // The container a cgroup belongs to: walks up from the cgroup to the nearest container
  // cgroup (libpod-ID.scope/container -> libpod-ID.scope; a pod's containers stay themselves).
  // nullopt when the cgroup is in no container (and is not a systemd unit).
  std::optional<ContainerInfo> lookup(uint64_t cgroup_id);
  // For the event path: what the cache holds now, never blocking on files or sockets. A cgroup
  // not resolved yet is queued for a background thread and nullopt is returned this time.
  std::optional<ContainerInfo> lookup_cached(uint64_t cgroup_id);
  // `wait` false, for an event loop: the path and the runtimes' files only, never a socket; a
  // container only Docker's or podman's API can name is asked on the background thread, and a
  // later call finds its name (the first ones return it unnamed).
  std::optional<ContainerInfo> lookup_path(const std::string& cgroup_path, bool wait = true);

  // Every container on the host (ps); with `all`, also plain cgroups that hold processes.
  // `wait`: as for lookup_path.
  std::vector<ContainerInfo> list(bool all = false, bool wait = true);

  // --container QUERY: id prefix (>= 4 chars), full name, "pod/container" or
  // "namespace/pod/container", or cgroup directory name; "namespace/pod" or "pod" gives the pod's
  // cgroup (id ""), which covers its containers. Several matches: the caller lists them.
  std::vector<ContainerInfo> find(const std::string& query);

  // Forget cached misses (a new cgroup appeared: cgroup_mkdir).
  void invalidate(uint64_t cgroup_id = 0);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The container id in a cgroup directory name ("docker-ID.scope" -> ID), if it is one: the
// resolver's naming rules, which target::find_containers follows too.
std::optional<std::string> container_id_of(const std::string& dir_name);

}  // namespace ctrace::enrich
