#include "ctrace/target/target.hpp"

#include <fmt/format.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>
#include <utility>

#include "ctrace/core/cgroup.hpp"
#include "ctrace/core/cli_checks.hpp"
#include "ctrace/core/error.hpp"
#include "ctrace/core/unique_fd.hpp"
#include "ctrace/enrich/container_info.hpp"
#include "ctrace/enrich/uts.hpp"

namespace fs = std::filesystem;

namespace ctrace::target {

std::vector<CLI::Option*> add_target_selectors(CLI::App& app, TargetOptions& opts) {
  // An empty value would leave the option unset: the whole host would be traced.
  auto not_empty = [](const char* what) {
    return CLI::Validator(
        [what](std::string& s) -> std::string {
          return s.empty() ? fmt::format("needs {}, got an empty string", what) : std::string();
        },
        "", "");
  };
  auto* c = app.add_option("-c,--cgroup", opts.cgroup,
                           "cgroup v2 directory: absolute, or relative to the cgroup2 mount")
                ->type_name("CGDIR")
                ->check(not_empty("a cgroup directory such as system.slice/nginx.service"))
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
                            "container name (as 'ctrace ps' shows it, or POD/NAME), id (prefix of >= 4 "
                            "chars) or cgroup directory name: docker, podman, containerd, CRI-O, kubepods")
                 ->type_name("ID|NAME")
                 ->check(not_empty("a container id or name"))
                 ->group("Target");
  std::vector<CLI::Option*> all{c, id, p, ct};
  for (auto* a : all)
    for (auto* b : all)
      if (a != b) a->excludes(b);
  return all;
}

void add_target_options(CLI::App& app, TargetOptions& opts) {
  auto all = add_target_selectors(app, opts);
  all.push_back(app.add_option("--uts", opts.uts,
                               "the processes of one UTS namespace, by hostname or namespace inode (works "
                               "where containers have no cgroup v2 of their own)")
                    ->type_name("HOSTNAME|INUM")
                    ->group("Target"));
  for (auto* a : all)
    if (a != all.back()) {
      a->excludes(all.back());
      all.back()->excludes(a);
    }
  app.add_flag("--exact", opts.exact, "match only that cgroup, not its subtree")->group("Target");
  app.add_flag("--wait", opts.wait,
               "when the target cgroup is removed, wait for it to be created again at the same path and "
               "trace the new one (default: print the summary and exit 0; --container always follows)")
      ->group("Target");
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

Object Target::to_object() const {
  Object o;
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
    throw UsageError(
        "{} is on a cgroup v1 hierarchy ({}); ctrace needs cgroup v2: give the same group "
        "under {} (e.g. -c {})",
        arg, mount->dir.string(), cfs.mount.string(),
        (cfs.mount / p.lexically_relative(mount->dir)).lexically_normal().string());
  if (type != "cgroup2")
    throw UsageError(
        "{} is not in a cgroup filesystem: cgroup v2 is mounted at {}; give a directory "
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

}  // namespace

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
    auto id = enrich::container_id_of(name);
    bool by_id = id && query.size() >= 4 && id->rfind(query, 0) == 0;
    if (by_id || name == query) out.push_back({id ? *id : name, it->path()});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.dir < b.dir; });
  return out;
}

namespace {

// A container known only on a cgroup v1 hierarchy (Docker with cgroupfs v1): its directory
// there, if the query names one. Only the first v1 hierarchy is walked: they mirror each other.
std::optional<fs::path> v1_only_match(const CgroupFs& cfs, const std::string& query) {
  std::ifstream mounts(cfs.mounts_file);
  std::string dev, dir, type;
  for (std::string line; std::getline(mounts, line);) {
    std::istringstream in(line);
    if (!(in >> dev >> dir >> type) || type != "cgroup") continue;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it.depth() >= 8) it.disable_recursion_pending();
      std::string name = it->path().filename().string();
      auto id = enrich::container_id_of(name);
      if (name == query || (id && query.size() >= 4 && id->rfind(query, 0) == 0)) return it->path();
    }
    break;
  }
  return std::nullopt;
}

Target resolve_container(const TargetOptions& opts, const CgroupFs& cfs) {
  const std::string& query = opts.container;
  // Names first (the runtimes' own), then what cgroup directory names say.
  enrich::ContainerResolver resolver(cfs.mount);
  auto named = resolver.find(query);
  if (named.size() > 1) {
    std::string list;
    for (size_t i = 0; i < named.size() && i < 10; ++i)
      list += fmt::format("{}{} ({}, {})", i ? ", " : "", named[i].display_name(),
                          named[i].runtime.empty() ? "?" : named[i].runtime, named[i].cgroup.substr(1));
    if (named.size() > 10) list += fmt::format(", ... ({} in all)", named.size());
    throw UsageError("container '{}' is ambiguous, it matches: {}; give more of the id or POD/NAME", query,
                     list);
  }
  if (named.size() == 1) {
    const auto& c = named[0];
    std::string desc =
        !c.id.empty() && c.id.rfind(query, 0) == 0 ? "container " + c.id : "container " + c.display_name();
    return from_dir(cfs.mount / fs::path(c.cgroup).relative_path(), cfs, opts.exact, desc);
  }
  if (query.find('/') != std::string::npos)
    throw UsageError("no container is named '{}' (POD/NAME), and --container is not a path: use -c {}", query,
                     query);
  auto matches = find_containers(cfs.mount, query);
  if (matches.empty()) {
    if (auto v1 = v1_only_match(cfs, query))
      throw UsageError(
          "container '{}' is only on cgroup v1 ({}): ctrace filters by cgroup v2; trace it by its "
          "UTS namespace instead: --uts HOSTNAME",
          query, v1->string());
    throw UsageError(
        "no container matches '{}' under {} (looked for names in 'ctrace ps', docker-ID.scope, "
        "libpod-ID, cri-containerd-ID.scope, crio-ID.scope, kubepods pods and ID directories; an id "
        "prefix needs at least 4 characters; names come from the runtimes' sockets and state under /run "
        "and /var/lib: when ctrace runs in a container, mount /run read-only)",
        query, cfs.mount.string());
  }
  if (matches.size() > 1) {
    std::string list;
    for (size_t i = 0; i < matches.size() && i < 10; ++i)
      list += (i ? ", " : "") + matches[i].dir.lexically_relative(cfs.mount).string();
    if (matches.size() > 10) list += fmt::format(", ... ({} in all)", matches.size());
    throw UsageError("container '{}' is ambiguous, it matches: {}; give more of the id", query, list);
  }
  return from_dir(matches[0].dir, cfs, opts.exact, "container " + matches[0].id);
}

Target resolve_uts(const std::string& arg, const CgroupFs& cfs) {
  auto namespaces = enrich::uts_namespaces(cfs.proc);
  std::vector<enrich::UtsNamespace> hits;
  bool by_inum = !arg.empty() && arg.find_first_not_of("0123456789") == std::string::npos;
  for (const auto& ns : namespaces)
    if (by_inum ? std::to_string(ns.inum) == arg : ns.hostname == arg) hits.push_back(ns);
  if (hits.empty() && by_inum)
    throw UsageError("no process is in UTS namespace {}: list them with 'lsns -t uts'", arg);
  if (hits.empty())
    throw UsageError(
        "no UTS namespace has the hostname '{}': list them with 'lsns -t uts' and 'ctrace ps -o json' "
        "(hostname), or give the namespace inode",
        arg);
  if (hits.size() > 1) {
    std::string list;
    for (size_t i = 0; i < hits.size() && i < 10; ++i)
      list +=
          fmt::format("{}{} (pid {}, {} processes)", i ? ", " : "", hits[i].inum, hits[i].pid, hits[i].tasks);
    throw UsageError(
        "hostname '{}' is ambiguous, these UTS namespaces have it: {}; give the inode: --uts INUM", arg,
        list);
  }
  Target t;
  t.mode = Mode::Uts;
  t.uts_inum = hits[0].inum;
  t.description = by_inum ? fmt::format("uts {}", arg) : fmt::format("uts {} ({})", arg, hits[0].inum);
  return t;
}

}  // namespace

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
    if (!rel)
      throw UsageError("no process with pid {} (or it has no cgroup v2 entry in /proc/{}/cgroup)", *opts.pid,
                       *opts.pid);
    if (fs::path(*rel).relative_path().empty())
      throw UsageError(
          "process {} is in the root cgroup: that is the whole host, not a container; run "
          "without a target to trace the host, or give the container's cgroup with -c",
          *opts.pid);
    fs::path dir = cfs.mount / fs::path(*rel).relative_path();
    std::error_code ec;  // a name longer than the kernel allows (ENAMETOOLONG) is not one either
    if (!fs::is_directory(dir, ec))
      throw UsageError("process {} is in cgroup {} which is not under {}", *opts.pid, *rel,
                       cfs.mount.string());
    return from_dir(dir.lexically_normal(), cfs, opts.exact, fmt::format("pid {}", *opts.pid));
  }
  if (!opts.container.empty()) return resolve_container(opts, cfs);
  if (!opts.uts.empty()) return resolve_uts(opts.uts, cfs);
  return Target{};
}

namespace {
constexpr uint32_t kWatchMask = IN_DELETE | IN_CREATE | IN_ONLYDIR;
// Bounds of the tree watched while a container is gone (find_containers() looks as deep).
constexpr int kTreeDepth = 12;
constexpr size_t kTreeWatches = 4096;
}  // namespace

// --container NAME with a new id: resolve() on a thread, asked again while it works (asks
// coalesce), the answer kept for read() and an eventfd written.
struct TargetWatch::NameLookup {
  NameLookup(const TargetOptions& o, const CgroupFs& f) : opts(o), fs(f) {
    done = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (done < 0) throw Error("eventfd: {}", errno_string(errno));
    thread = std::thread([this] { run(); });
  }
  ~NameLookup() {
    {
      std::lock_guard lock(mutex);
      stop = true;
    }
    cv.notify_one();
    thread.join();  // a lookup in flight ends at the runtime client's deadline
    ::close(done);
  }
  void ask() {
    {
      std::lock_guard lock(mutex);
      asked = true;
    }
    cv.notify_one();
  }
  std::optional<Target> take() {
    std::lock_guard lock(mutex);
    return std::exchange(found, std::nullopt);
  }
  void run() {
    std::unique_lock lock(mutex);
    for (;;) {
      cv.wait(lock, [this] { return asked || stop; });
      if (stop) return;
      asked = false;
      lock.unlock();
      std::optional<Target> t;
      try {
        t = resolve(opts, fs);
      } catch (const Error&) {
        // not there (yet): the next mkdir asks again
      }
      lock.lock();
      if (t) {
        found = std::move(t);
        uint64_t one = 1;
        [[maybe_unused]] ssize_t n = ::write(done, &one, sizeof one);
      }
    }
  }

  const TargetOptions opts;
  const CgroupFs fs;
  int done = -1;
  std::mutex mutex;
  std::condition_variable cv;
  bool asked = false, stop = false;
  std::optional<Target> found;
  std::thread thread;
};

TargetWatch::TargetWatch(const Target& target, const TargetOptions& opts, const CgroupFs& fs)
    : opts_(opts), fs_(fs), dir_(target.cgroup_dir), follow_(!opts.container.empty() || opts.wait) {
  UniqueFd ep(::epoll_create1(EPOLL_CLOEXEC)), in(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  if (ep.get() < 0 || in.get() < 0) throw Error("watching the target: {}", errno_string(errno));
  if (::inotify_add_watch(in.get(), dir_.parent_path().c_str(), kWatchMask) < 0)
    throw Error("watching {} for the removal of the target: {}", dir_.parent_path().string(),
                errno_string(errno));
  epoll_event ev{};
  ev.events = EPOLLIN;
  if (::epoll_ctl(ep.get(), EPOLL_CTL_ADD, in.get(), &ev) != 0)
    throw Error("watching the target: {}", errno_string(errno));
  if (follow_ && !opts.container.empty()) {
    lookup_ = std::make_unique<NameLookup>(opts, fs);
    if (::epoll_ctl(ep.get(), EPOLL_CTL_ADD, lookup_->done, &ev) != 0)
      throw Error("watching the target: {}", errno_string(errno));
  }
  fd_ = ep.release();
  inotify_ = in.release();
  id_ = target.cgroup_id;
}

TargetWatch::~TargetWatch() {
  lookup_.reset();
  ::close(inotify_);
  ::close(fd_);
}

bool TargetWatch::gone() const {
  // a cgroup removed and created again between two reads has another id
  try {
    return cgroup::cgroup_id(dir_) != id_;
  } catch (const Error&) {
    return true;
  }
}

std::optional<Target> TargetWatch::find_again() {
  try {
    std::error_code ec;
    // The directory back where it was: the same cgroup path, and for a container the same id
    // (docker, podman, containerd and CRI-O keep it across a restart) — followed at once, from
    // the runtime's first calls in it, before any name lookup.
    if (fs::is_directory(dir_, ec) && (opts_.container.empty() || enrich::container_id_of(dir_.filename())))
      return from_dir(dir_, fs_, opts_.exact, "");
  } catch (const Error&) {
    // not (or no longer) there
  }
  if (!lookup_) return std::nullopt;
  // a new id: by its name, on the lookup's thread; an answer is taken while its cgroup is there
  if (auto t = lookup_->take()) {
    try {
      if (t->cgroup_id != id_ && cgroup::cgroup_id(t->cgroup_dir) == t->cgroup_id) return t;
    } catch (const Error&) {
      // gone again
    }
  }
  lookup_->ask();
  return std::nullopt;
}

void TargetWatch::watch_tree(const fs::path& dir, int depth) {
  if (depth > kTreeDepth || tree_.size() >= kTreeWatches) return;
  int wd = ::inotify_add_watch(inotify_, dir.c_str(), kWatchMask);
  if (wd < 0) return;  // removed meanwhile: nothing to watch
  tree_[wd] = {dir, depth};
  // Watched before listed: a directory made between the two is seen either way.
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code ec2;
    if (it->is_directory(ec2) && !it->is_symlink(ec2)) watch_tree(it->path(), depth + 1);
  }
}

void TargetWatch::unwatch_tree() {
  for (const auto& [wd, where] : tree_) ::inotify_rm_watch(inotify_, wd);
  tree_.clear();
}

TargetWatch::Change TargetWatch::read(Target& target) {
  // The events only say that something changed in a watched directory: what matters is read
  // from the tree itself, so a lost or coalesced event changes nothing. A directory created
  // in the watched tree is watched in turn.
  if (lookup_) {
    uint64_t n = 0;
    [[maybe_unused]] ssize_t r = ::read(lookup_->done, &n, sizeof n);
  }
  alignas(inotify_event) char buf[4096];
  for (ssize_t n; (n = ::read(inotify_, buf, sizeof buf)) > 0;) {
    for (ssize_t off = 0; off < n;) {
      const auto* ev = reinterpret_cast<const inotify_event*>(buf + off);
      off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
      if (!(ev->mask & IN_CREATE) || !(ev->mask & IN_ISDIR) || !ev->len) continue;
      auto it = tree_.find(ev->wd);
      if (it != tree_.end()) {
        auto [dir, depth] = it->second;  // a copy: watch_tree() adds to tree_
        watch_tree(dir / ev->name, depth + 1);
      }
    }
  }
  if (!removed_) {
    if (!gone()) return Change::None;
    removed_ = true;
    // A container may come back under another parent: watch the whole tree until it does.
    if (follow_ && !opts_.container.empty()) watch_tree(fs_.mount, 0);
    return Change::Removed;
  }
  auto t = follow_ ? find_again() : std::nullopt;
  if (!t) return Change::None;
  t->description = target.description;
  unwatch_tree();
  ::inotify_add_watch(inotify_, t->cgroup_dir.parent_path().c_str(), kWatchMask);
  dir_ = t->cgroup_dir;
  id_ = t->cgroup_id;
  removed_ = false;
  target = std::move(*t);
  return Change::Back;
}

}  // namespace ctrace::target
