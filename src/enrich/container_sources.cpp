#include "container_sources.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "ctrace/core/unique_fd.hpp"

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace ctrace::enrich::detail {

namespace {

bool is_hex(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(),
                                   [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// "prefix-ID.suffix" -> ID when ID is hex (podman and CRI-O also name their conmon scopes
// "libpod-conmon-ID": not hex, so not matched). The same rules as container_id_of().
std::optional<std::string> strip_id(std::string_view s, std::string_view prefix, std::string_view suffix) {
  if (s.size() < prefix.size() + suffix.size() || !s.starts_with(prefix) || !s.ends_with(suffix))
    return std::nullopt;
  s = s.substr(prefix.size(), s.size() - prefix.size() - suffix.size());
  if (s.size() < 4 || !is_hex(s)) return std::nullopt;
  return std::string(s);
}

std::optional<json> read_json(const fs::path& p) {
  std::ifstream f(p);
  if (!f) return std::nullopt;
  auto j = json::parse(f, nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

void set_if(std::string& field, const std::map<std::string, std::string>& a, const char* key) {
  if (!field.empty()) return;
  if (auto it = a.find(key); it != a.end() && !it->second.empty()) field = it->second;
}

std::string strip_slash(std::string s) {
  if (!s.empty() && s[0] == '/') s.erase(0, 1);
  return s;
}

}  // namespace

std::optional<PathMatch> match_cgroup_dir(std::string_view name, std::string_view parent) {
  static constexpr struct {
    std::string_view prefix, suffix, runtime;
  } kScopes[] = {
      {"docker-", ".scope", "docker"},
      {"libpod-", ".scope", "podman"},
      {"libpod-", "", "podman"},
      {"cri-containerd-", ".scope", "containerd"},
      {"crio-", ".scope", "cri-o"},
      {"crio-", "", "cri-o"},
      {"nerdctl-", ".scope", "containerd"},
  };
  for (const auto& s : kScopes)
    if (auto id = strip_id(name, s.prefix, s.suffix))
      return PathMatch{PathMatch::Container, *id, std::string(s.runtime)};
  // cgroupfs drivers name the directory by the id: /docker/ID, /kubepods/burstable/podUID/ID,
  // containerd's /NAMESPACE/ID.
  if (name.size() >= 12 && name.size() <= 64 && is_hex(name))
    return PathMatch{PathMatch::Container, std::string(name), parent == "docker" ? "docker" : ""};
  // Pods: kubepods-burstable-pod<uid>.slice (systemd, '_' for '-') or pod<uid> (cgroupfs).
  if (name.starts_with("kubepods") && name.ends_with(".slice")) {
    auto pod = name.rfind("-pod");
    if (pod != std::string_view::npos && pod + 4 < name.size() - 6) {
      std::string uid(name.substr(pod + 4, name.size() - 6 - pod - 4));
      std::replace(uid.begin(), uid.end(), '_', '-');
      return PathMatch{PathMatch::Pod, uid, ""};
    }
    return std::nullopt;
  }
  if (name.starts_with("pod") && name.size() > 3 + 8 && name.find('-') != std::string_view::npos)
    return PathMatch{PathMatch::Pod, std::string(name.substr(3)), ""};
  if (name.ends_with(".service") && name.size() > 8)
    return PathMatch{PathMatch::Unit, std::string(name), "systemd"};
  return std::nullopt;
}

std::string qos_of_path(std::string_view p) {
  if (p.find("kubepods") == std::string_view::npos) return "";
  if (p.find("besteffort") != std::string_view::npos) return "besteffort";
  if (p.find("burstable") != std::string_view::npos) return "burstable";
  return "guaranteed";
}

void apply_annotations(ContainerInfo& info, const std::map<std::string, std::string>& a) {
  auto get = [&](const char* k) -> std::string {
    auto it = a.find(k);
    return it == a.end() ? std::string() : it->second;
  };
  // CRI-O keeps the kubernetes labels as one JSON string.
  std::map<std::string, std::string> crio_labels;
  if (auto l = get("io.kubernetes.cri-o.Labels"); !l.empty()) {
    auto j = json::parse(l, nullptr, false);
    if (j.is_object())
      for (auto& [k, v] : j.items())
        if (v.is_string()) crio_labels[k] = v.get<std::string>();
  }
  const std::map<std::string, std::string>* sources[] = {&a, &crio_labels};
  for (const auto* src : sources) {
    set_if(info.pod, *src, "io.kubernetes.pod.name");
    set_if(info.pod_namespace, *src, "io.kubernetes.pod.namespace");
    set_if(info.pod_uid, *src, "io.kubernetes.pod.uid");
    set_if(info.name, *src, "io.kubernetes.container.name");
  }
  set_if(info.pod, a, "io.kubernetes.cri.sandbox-name");
  set_if(info.pod_namespace, a, "io.kubernetes.cri.sandbox-namespace");
  set_if(info.pod_uid, a, "io.kubernetes.cri.sandbox-uid");
  set_if(info.name, a, "io.kubernetes.cri.container-name");
  set_if(info.image, a, "io.kubernetes.cri.image-name");
  set_if(info.image, a, "io.kubernetes.cri-o.ImageName");
  set_if(info.name, a, "nerdctl/name");
  if (get("io.kubernetes.cri.container-type") == "sandbox" ||
      get("io.kubernetes.cri-o.ContainerType") == "sandbox" ||
      get("io.kubernetes.docker.type") == "podsandbox" || get("io.kubernetes.container.name") == "POD")
    info.sandbox = true;
  if (info.runtime.empty() || info.runtime == "runc") {
    if (get("io.container.manager") == "libpod")
      info.runtime = "podman";
    else if (!get("io.kubernetes.cri-o.ContainerType").empty())
      info.runtime = "cri-o";
    else if (!get("io.kubernetes.cri.container-type").empty() || !get("nerdctl/name").empty())
      info.runtime = "containerd";
  }
}

std::string runtime_of_state_dir(const fs::path& dir) {
  std::string s = dir.generic_string();
  if (s.find("docker") != std::string::npos) return "docker";
  if (s.find("containerd") != std::string::npos) return "containerd";
  return "runc";
}

std::optional<RuncState> read_runc_state(const fs::path& state_json, const std::string& runtime,
                                         const fs::path& mount, const fs::path& root) {
  auto j = read_json(state_json);
  if (!j || !j->is_object()) return std::nullopt;
  RuncState st;
  st.id = str(*j, "id");
  if (st.id.empty()) return std::nullopt;
  st.runtime = runtime;
  const json& config = j->contains("config") ? (*j)["config"] : json::object();
  st.hostname = str(config, "hostname");
  // The unified cgroup: cgroup_paths[""] is absolute on the host; config.cgroups.path is what
  // the spec asked for (relative to the mount when not systemd's slice:prefix:name form).
  if (j->contains("cgroup_paths") && (*j)["cgroup_paths"].is_object()) {
    std::string abs = str((*j)["cgroup_paths"], "");
    if (!abs.empty()) {
      auto rel = (root / fs::path(abs).relative_path()).lexically_relative(mount).generic_string();
      if (!rel.empty() && !rel.starts_with("..")) st.cgroup = "/" + rel;
    }
  }
  if (st.cgroup.empty() && config.contains("cgroups")) {
    std::string p = str(config["cgroups"], "path");
    if (!p.empty() && p[0] == '/') st.cgroup = p;
  }
  if (config.contains("labels") && config["labels"].is_array())
    for (const auto& l : config["labels"]) {
      if (!l.is_string()) continue;
      std::string s = l.get<std::string>();
      auto eq = s.find('=');
      if (eq == std::string::npos) continue;
      if (s.compare(0, eq, "bundle") == 0)
        st.bundle = s.substr(eq + 1);
      else
        st.annotations.emplace(s.substr(0, eq), s.substr(eq + 1));
    }
  if (!st.bundle.empty())
    if (auto spec = read_json(root / st.bundle.relative_path() / "config.json");
        spec && spec->contains("annotations")) {
      for (auto& [k, v] : (*spec)["annotations"].items())
        if (v.is_string()) st.annotations.emplace(k, v.get<std::string>());
      if (st.hostname.empty()) st.hostname = str(*spec, "hostname");
    }
  return st;
}

std::vector<RuncState> scan_runc_states(const RuntimePaths& paths, const fs::path& mount, size_t max) {
  std::vector<RuncState> out;
  for (const auto& dir : paths.runc_state) {
    fs::path base = paths.root / dir;
    std::string runtime = runtime_of_state_dir(dir);
    std::error_code ec;
    // runc and moby: DIR/ID/state.json; containerd: DIR/NAMESPACE/ID/state.json.
    for (auto it = fs::recursive_directory_iterator(base, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator() && out.size() < max; it.increment(ec)) {
      if (it.depth() >= 2) it.disable_recursion_pending();
      if (it->path().filename() != "state.json") continue;
      if (auto st = read_runc_state(it->path(), runtime, mount, paths.root)) out.push_back(std::move(*st));
    }
  }
  return out;
}

bool apply_docker_json(ContainerInfo& info, const std::string& text) {
  auto j = json::parse(text, nullptr, false);
  if (!j.is_object()) return false;
  std::map<std::string, std::string> labels;
  if (j.contains("Config") && j["Config"].is_object()) {
    const auto& c = j["Config"];
    if (info.image.empty()) info.image = str(c, "Image");
    if (info.hostname.empty()) info.hostname = str(c, "Hostname");
    if (c.contains("Labels") && c["Labels"].is_object())
      for (auto& [k, v] : c["Labels"].items())
        if (v.is_string()) labels[k] = v.get<std::string>();
  }
  apply_annotations(info, labels);
  // A kubernetes container keeps its k8s name; Docker's own name is k8s_NAME_POD_... there.
  if (info.name.empty()) info.name = strip_slash(str(j, "Name"));
  return !info.name.empty();
}

bool apply_podman_storage(ContainerInfo& info, const RuntimePaths& paths) {
  for (const auto& dir : paths.podman_storage)
    for (const char* file : {"containers.json", "volatile-containers.json"}) {
      auto j = read_json(paths.root / dir / "overlay-containers" / file);
      if (!j || !j->is_array()) continue;
      for (const auto& c : *j) {
        if (str(c, "id") != info.id) continue;
        if (info.name.empty() && c.contains("names") && c["names"].is_array() && !c["names"].empty() &&
            c["names"][0].is_string())
          info.name = c["names"][0].get<std::string>();
        auto meta = json::parse(str(c, "metadata"), nullptr, false);
        if (info.image.empty() && meta.is_object()) info.image = str(meta, "image-name");
        return !info.name.empty();
      }
    }
  return false;
}

}  // namespace ctrace::enrich::detail

namespace ctrace::enrich {

std::optional<std::string> container_id_of(const std::string& dir_name) {
  auto m = detail::match_cgroup_dir(dir_name, "");
  if (!m || m->kind == detail::PathMatch::Unit) return std::nullopt;
  return m->id;
}

}  // namespace ctrace::enrich
