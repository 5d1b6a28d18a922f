#pragma once
// The pieces of ContainerResolver, each testable alone: what a cgroup path says, and what each
// runtime's own state says about a container id (files first, then HTTP on its unix socket).
#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ctrace/enrich/container_info.hpp"

namespace ctrace::enrich::detail {

// What one cgroup directory name says about itself.
struct PathMatch {
  enum Kind { Container, Pod, Unit } kind = Container;
  std::string id;       // container id, pod uid or unit name
  std::string runtime;  // from the naming scheme: "docker", "podman", "containerd", "cri-o", "systemd", ""
};
// `parent` is the parent directory's name ("docker" for cgroupfs Docker's /docker/ID).
std::optional<PathMatch> match_cgroup_dir(std::string_view name, std::string_view parent);

// The QoS class a kubepods path implies ("" outside kubepods).
std::string qos_of_path(std::string_view cgroup_path);

// OCI annotations / Docker labels -> pod, namespace, container name, image, sandbox flag.
void apply_annotations(ContainerInfo& info, const std::map<std::string, std::string>& annotations);

// One runc state.json (runc, Docker's moby, containerd's NS/ID, CRI-O and podman with runc).
struct RuncState {
  std::string id;
  std::string runtime;  // from where it was found: "docker", "containerd", "runc"
  std::string cgroup;   // the unified cgroup, relative to the mount ("/a/b")
  std::string hostname;
  std::filesystem::path bundle;
  std::map<std::string, std::string> annotations;  // labels of the state, then the bundle's config.json
};
// `root`: RuntimePaths::root, under which the bundle path of the state is read.
std::optional<RuncState> read_runc_state(const std::filesystem::path& state_json, const std::string& runtime,
                                         const std::filesystem::path& mount,
                                         const std::filesystem::path& root = "/");
// Every state.json under the runc state dirs (at most `max`).
std::vector<RuncState> scan_runc_states(const RuntimePaths& paths, const std::filesystem::path& mount,
                                        size_t max = 4096);
// The runtime a runc state dir stands for ("run/docker/runtime-runc/moby" -> "docker").
std::string runtime_of_state_dir(const std::filesystem::path& dir);

// Docker's config.v2.json or the body of GET /containers/ID/json (the same shape; podman's
// compatible API too): Name, Config.Image, Config.Hostname, Config.Labels.
bool apply_docker_json(ContainerInfo& info, const std::string& json_text);
// podman's overlay-containers/{containers,volatile-containers}.json: names, metadata.image-name.
bool apply_podman_storage(ContainerInfo& info, const RuntimePaths& paths);

}  // namespace ctrace::enrich::detail
