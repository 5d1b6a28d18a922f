#include "ctrace/target/target.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>

#include "ctrace/core/cgroup.hpp"
#include "ctrace/core/cli_checks.hpp"
#include "ctrace/core/error.hpp"

namespace fs = std::filesystem;

namespace ctrace::target {

std::vector<CLI::Option*> add_target_selectors(CLI::App& app, TargetOptions& opts) {
  auto* c = app.add_option("-c,--cgroup", opts.cgroup,
                           "cgroup v2 directory: absolute, or relative to the cgroup2 mount")
                ->type_name("CGDIR")
                ->group("Target");
  auto* id = app.add_option("--cgroup-id", opts.cgroup_id, "cgroup v2 id (as in bpftool cgroup tree)")
                 ->type_name("ID")
                 ->check(cli::unsigned_integer())
                 ->group("Target");
  auto* p = app.add_option("-p,--pid", opts.pid, "the cgroup v2 of this process")
                ->type_name("PID")
                ->check(cli::positive_integer())
                ->group("Target");
  auto* ct = app.add_option("--container", opts.container,
                            "container id (prefix of >= 4 chars) or cgroup directory name: docker, "
                            "podman, containerd, CRI-O, kubepods")
                 ->type_name("ID|NAME")
                 ->group("Target");
  std::vector<CLI::Option*> all{c, id, p, ct};
  for (auto* a : all)
    for (auto* b : all)
      if (a != b) a->excludes(b);
  return all;
}

void add_target_options(CLI::App& app, TargetOptions& opts) {
  auto all = add_target_selectors(app, opts);
  app.add_flag("--exact", opts.exact, "match only that cgroup, not its subtree")->group("Target");
  auto* cmd = app.add_option("command", opts.command,
                             "-- CMD ARGS...: run CMD in a new cgroup and trace it until it exits "
                             "(CMD's stdout goes to stderr)")
                  ->type_name("-- CMD ARGS")
                  ->group("Target");
  for (auto* a : all) {
    a->excludes(cmd);
    cmd->excludes(a);
  }
}

output::Object Target::to_object() const {
  output::Object o;
  switch (mode) {
    case Mode::All:
      o.emplace_back("mode", "all");
      break;
    case Mode::Cgroup:
      o.emplace_back("mode", "cgroup");
      o.emplace_back("cgroup", cgroup_path);
      o.emplace_back("cgroup_id", cgroup_id);
      o.emplace_back("exact", exact);
      break;
    case Mode::Uts:
      o.emplace_back("mode", "uts");
      o.emplace_back("uts_ns", uts_inum);
      break;
  }
  if (!description.empty()) o.emplace_back("description", description);
  return o;
}

CgroupFs CgroupFs::discover() {
  CgroupFs fs;
  fs.mount = cgroup::find_cgroup2_mount(fs.mounts_file);
  return fs;
}

namespace {

Target from_dir(const fs::path& dir, const CgroupFs& cfs, bool exact, std::string description) {
  Target t;
  t.mode = Mode::Cgroup;
  t.cgroup_dir = dir;
  auto rel = dir.lexically_relative(cfs.mount).generic_string();
  t.cgroup_path = (rel.empty() || rel == ".") ? "/" : "/" + rel;
  t.cgroup_id = cgroup::cgroup_id(dir);
  t.level = cgroup::level_of(cfs.mount, dir);
  t.exact = exact;
  t.description = std::move(description);
  return t;
}

fs::path resolve_cgroup_dir(const std::string& arg, const CgroupFs& cfs) {
  fs::path p(arg);
  if (arg.empty()) throw UsageError("-c needs a cgroup directory");
  if (p.is_relative()) p = cfs.mount / p;
  p = p.lexically_normal();
  std::error_code ec;
  fs::path real = fs::weakly_canonical(p, ec);
  if (!ec) p = real;

  auto mount = cgroup::mount_of(p, cfs.mounts_file);
  std::string type = mount ? mount->type : "";
  if (type == "cgroup")
    throw UsageError("{} is on a cgroup v1 hierarchy ({}); ctrace needs cgroup v2: give the same group "
                     "under {} (e.g. -c {})",
                     arg, mount->dir.string(), cfs.mount.string(),
                     (cfs.mount / p.lexically_relative(mount->dir)).lexically_normal().string());
  if (type != "cgroup2")
    throw UsageError("{} is not in a cgroup filesystem: cgroup v2 is mounted at {}; give a directory "
                     "under it or a path relative to it",
                     arg, cfs.mount.string());
  if (!fs::exists(p, ec))
    throw UsageError("cgroup {} does not exist: list them with 'ls {}' or use --container ID", p.string(),
                     cfs.mount.string());
  if (!fs::is_directory(p, ec))
    throw UsageError("{} is not a directory: -c takes a cgroup v2 directory under {}", p.string(),
                     cfs.mount.string());
  return p;
}

bool is_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool strip(std::string_view& s, std::string_view prefix, std::string_view suffix) {
  if (s.size() < prefix.size() + suffix.size()) return false;
  if (s.substr(0, prefix.size()) != prefix) return false;
  if (s.substr(s.size() - suffix.size()) != suffix) return false;
  s = s.substr(prefix.size(), s.size() - prefix.size() - suffix.size());
  return true;
}

}  // namespace

std::optional<std::string> container_id_of(const std::string& dir_name) {
  std::string_view s = dir_name;
  // conmon and similar helper scopes sit beside the container; they are not it.
  if (s.find("conmon") != std::string_view::npos) return std::nullopt;
  for (auto [prefix, suffix] : {std::pair{"docker-", ".scope"}, std::pair{"cri-containerd-", ".scope"},
                                std::pair{"crio-", ".scope"}, std::pair{"libpod-", ".scope"},
                                std::pair{"libpod-", ""}}) {
    std::string_view id = s;
    if (strip(id, prefix, suffix) && id.size() >= 4 && is_hex(id)) return std::string(id);
  }
  // kubepods pods: kubepods-burstable-pod<uid>.slice (systemd) or pod<uid> (cgroupfs)
  // ("kubepods" itself contains "pod": the uid follows the last "-pod")
  auto pod = s.rfind("-pod");
  if (s.rfind("kubepods", 0) == 0 && pod != std::string_view::npos && s.size() > 6 &&
      s.substr(s.size() - 6) == ".slice" && pod + 4 < s.size() - 6) {
    std::string uid(s.substr(pod + 4, s.size() - 6 - pod - 4));
    std::replace(uid.begin(), uid.end(), '_', '-');
    return uid;
  }
  if (s.rfind("pod", 0) == 0 && s.size() > 3 + 8 && s.find('-') != std::string_view::npos) return std::string(s.substr(3));
  // docker's cgroupfs driver and others: a plain directory named by the id
  if (s.size() >= 12 && s.size() <= 64 && is_hex(s)) return std::string(s);
  return std::nullopt;
}

std::vector<ContainerMatch> find_containers(const fs::path& mount, const std::string& query) {
  std::vector<ContainerMatch> out;
  std::error_code ec;
  constexpr int kMaxDepth = 12;
  for (auto it = fs::recursive_directory_iterator(mount, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code ec2;
    if (!it->is_directory(ec2) || it->is_symlink(ec2)) continue;
    if (it.depth() >= kMaxDepth) it.disable_recursion_pending();
    std::string name = it->path().filename().string();
    auto id = container_id_of(name);
    bool by_id = id && query.size() >= 4 && id->rfind(query, 0) == 0;
    if (by_id || name == query) out.push_back({id ? *id : name, it->path()});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.dir < b.dir; });
  return out;
}

Target resolve(const TargetOptions& opts, const CgroupFs& cfs) {
  if (!opts.cgroup.empty()) {
    auto dir = resolve_cgroup_dir(opts.cgroup, cfs);
    return from_dir(dir, cfs, opts.exact, "cgroup " + opts.cgroup);
  }
  if (opts.cgroup_id) {
    auto dir = cgroup::find_by_id(cfs.mount, *opts.cgroup_id);
    if (!dir)
      throw UsageError("no cgroup with id {} under {}: list ids with 'bpftool cgroup tree'", *opts.cgroup_id,
                       cfs.mount.string());
    return from_dir(*dir, cfs, opts.exact, fmt::format("cgroup id {}", *opts.cgroup_id));
  }
  if (opts.pid) {
    auto rel = cgroup::cgroup_of_pid(*opts.pid, cfs.proc);
    if (!rel) throw UsageError("no process with pid {} (or it has no cgroup v2 entry in /proc/{}/cgroup)", *opts.pid, *opts.pid);
    fs::path dir = cfs.mount / fs::path(*rel).relative_path();
    if (!fs::is_directory(dir))
      throw UsageError("process {} is in cgroup {} which is not under {}", *opts.pid, *rel, cfs.mount.string());
    return from_dir(dir.lexically_normal(), cfs, opts.exact, fmt::format("pid {}", *opts.pid));
  }
  if (!opts.container.empty()) {
    if (opts.container.find('/') != std::string::npos)
      throw UsageError("--container takes an id or a name, not a path: use -c {}", opts.container);
    auto matches = find_containers(cfs.mount, opts.container);
    if (matches.empty())
      throw UsageError("no container matches '{}' under {} (looked for docker-ID.scope, libpod-ID, "
                       "cri-containerd-ID.scope, crio-ID.scope, kubepods pods and ID directories; an id "
                       "prefix needs at least 4 characters)",
                       opts.container, cfs.mount.string());
    if (matches.size() > 1) {
      std::string list;
      for (size_t i = 0; i < matches.size() && i < 10; ++i)
        list += (i ? ", " : "") + matches[i].dir.lexically_relative(cfs.mount).string();
      if (matches.size() > 10) list += fmt::format(", ... ({} in all)", matches.size());
      throw UsageError("container '{}' is ambiguous, it matches: {}; give more of the id", opts.container, list);
    }
    return from_dir(matches[0].dir, cfs, opts.exact, "container " + matches[0].id);
  }
  return Target{};
}

}  // namespace ctrace::target
