#include "ctrace/enrich/container_info.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "container_sources.hpp"
#include "ctrace/core/cgroup.hpp"
#include "ctrace/core/error.hpp"
#include "ctrace/enrich/unix_http.hpp"
#include "ctrace/enrich/uts.hpp"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace ctrace::enrich {

std::string ContainerInfo::display_name() const {
  if (!name.empty()) return name;
  if (!id.empty()) return id.substr(0, 12);
  return cgroup;
}

Object ContainerInfo::to_object() const {
  auto opt = [](const std::string& s) -> Value { return s.empty() ? Value{} : Value{s}; };
  Object o;
  o.emplace_back("id", opt(id));
  o.emplace_back("name", display_name());
  o.emplace_back("runtime", opt(runtime));
  o.emplace_back("image", opt(image));
  o.emplace_back("pod", opt(pod));
  o.emplace_back("namespace", opt(pod_namespace));
  o.emplace_back("pod_uid", opt(pod_uid));
  if (!qos.empty()) o.emplace_back("qos", qos);
  o.emplace_back("cgroup", cgroup);
  o.emplace_back("cgroup_id", cgroup_id);
  o.emplace_back("pids", pids);
  o.emplace_back("hostname", opt(hostname));
  return o;
}

namespace {

// Bounds: a host has at most a few thousand containers; the caches hold at most this many
// cgroups each and start over when full (a full walk rebuilds what is still there).
constexpr size_t kMaxCached = 8192;
constexpr int kMaxDepth = 12;
constexpr auto kRetryFirst = std::chrono::seconds(1);
constexpr auto kRetryMax = std::chrono::seconds(30);
constexpr auto kRescanEvery = std::chrono::milliseconds(500);
// A Docker or podman name can change (docker rename): looked at again this often.
constexpr auto kRenameCheck = std::chrono::seconds(10);
constexpr auto kHttpTimeout = std::chrono::milliseconds(1000);
constexpr size_t kMaxQueuedJobs = 1024;

std::string normalize(std::string p) {
  if (p.empty() || p[0] != '/') p.insert(0, "/");
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

std::vector<std::string> split(const std::string& p) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i < p.size()) {
    size_t j = p.find('/', i);
    if (j == std::string::npos) j = p.size();
    if (j > i) parts.push_back(p.substr(i, j - i));
    i = j + 1;
  }
  return parts;
}

std::vector<int> pids_in(const fs::path& dir) {
  std::vector<int> out;
  std::ifstream f(dir / "cgroup.procs");
  for (int p; f >> p;) out.push_back(p);
  return out;
}

}  // namespace

struct ContainerResolver::Impl {
  struct Entry {
    std::optional<ContainerInfo> info;
    bool complete = false;
    Clock::time_point retry_at;
    Clock::duration backoff = kRetryFirst;
    std::string alias;  // a nested cgroup: the container cgroup it folds into
    bool deferred = false;  // its runtime's socket is being asked on the worker thread
  };
  // A container that only a runtime's API can name, asked by the worker without `mutex`.
  struct SocketJob {
    std::string path;
    ContainerInfo info;
  };

  fs::path mount;
  RuntimePaths paths;
  bool names;
  std::mutex mutex;
  std::unordered_map<uint64_t, std::string> id_paths;
  Clock::time_point scanned_at;
  std::unordered_map<std::string, Entry> cache;
  std::vector<detail::RuncState> runc;
  Clock::time_point runc_at;
  // lookup_cached(): what the event path reads, under its own lock so that it never waits for a
  // resolution; cgroup ids waiting for the background thread (bounded), and the thread.
  struct Fast {
    std::optional<ContainerInfo> info;
    bool complete = false;
    Clock::time_point retry_at;
  };
  std::mutex fast_mutex;
  std::unordered_map<uint64_t, Fast> fast;
  std::unordered_set<uint64_t> queued;
  std::deque<SocketJob> socket_jobs;
  std::unordered_set<std::string> socket_queued;
  std::condition_variable wake;
  bool stopping = false;
  std::thread worker;

  ~Impl() {
    {
      std::lock_guard lock(fast_mutex);
      stopping = true;
    }
    wake.notify_all();
    if (worker.joinable()) worker.join();
  }

  // Call with fast_mutex held.
  void start_worker() {
    if (!worker.joinable()) worker = std::thread([this] { work(); });
    wake.notify_one();
  }

  void work() {
    std::unique_lock fl(fast_mutex);
    for (;;) {
      wake.wait(fl, [&] { return stopping || !queued.empty() || !socket_jobs.empty(); });
      if (stopping) return;
      if (!socket_jobs.empty()) {
        SocketJob job = std::move(socket_jobs.front());
        socket_jobs.pop_front();
        fl.unlock();
        std::string hostname = job.info.hostname;  // the live task's, which the API's does not replace
        from_sockets(job.info);
        if (!hostname.empty()) job.info.hostname = hostname;
        finish(job);
        fl.lock();
        continue;
      }
      uint64_t id = *queued.begin();
      fl.unlock();
      Fast f;
      {
        std::lock_guard lock(mutex);
        if (const std::string* path = path_of(id)) {
          f.info = lookup_path(*path, false);
          if (const Entry* e = entry_of(*path)) {
            f.complete = e->complete;
            f.retry_at = e->retry_at;
          }
        } else {
          f.retry_at = Clock::now() + kRetryFirst;  // gone, or not there yet
        }
      }
      fl.lock();
      if (fast.size() >= kMaxCached) fast.clear();
      fast[id] = std::move(f);
      queued.erase(id);
    }
  }

  // The cache entry of a path, a nested cgroup's being its container's.
  const Entry* entry_of(const std::string& raw) const {
    auto e = cache.find(normalize(raw));
    if (e != cache.end() && !e->second.alias.empty()) e = cache.find(e->second.alias);
    return e == cache.end() ? nullptr : &e->second;
  }

  // When a named container is looked at again: a name its runtime can change, now and then.
  static Clock::time_point next_check(const ContainerInfo& info, Clock::time_point now) {
    bool renamable = info.is_container() && (info.runtime == "docker" || info.runtime == "podman");
    return renamable ? now + kRenameCheck : Clock::time_point::max();
  }

  // A socket's answer: into the cache, and into what the event path reads. Without a name (a
  // 404 while a container starts, a timeout) it changes nothing a name was already given.
  void finish(const SocketJob& job) {
    bool named = !job.info.name.empty();
    auto now = Clock::now();
    std::lock_guard lock(mutex);
    if (auto e = cache.find(job.path); e != cache.end() && e->second.deferred) {
      e->second.deferred = false;
      if (named || !e->second.complete) e->second.info = job.info;
      if (named) {
        e->second.complete = true;
        e->second.retry_at = next_check(job.info, now);
      }
    }
    std::lock_guard fl(fast_mutex);
    socket_queued.erase(job.path);  // under `mutex` too, so that defer() never waits for a job that ended
    for (auto& kv : fast)
      if (Fast& f = kv.second; f.info && f.info->cgroup == job.path && (named || !f.complete)) {
        f.info = job.info;
        if (named) {
          f.complete = true;
          f.retry_at = next_check(job.info, now);
        }
      }
  }

  // Call with `mutex` held; the worker asks the socket and calls finish().
  // A full queue: nothing is deferred, and the entry is retried as a miss is.
  void defer(Entry& e, const std::string& path) {
    std::lock_guard fl(fast_mutex);
    if (!socket_queued.insert(path).second) {
      e.deferred = true;  // already asked: its answer will do
    } else if (socket_jobs.size() < kMaxQueuedJobs) {
      e.deferred = true;
      socket_jobs.push_back({path, *e.info});
      start_worker();
    } else {
      socket_queued.erase(path);
    }
  }

  const std::string* path_of(uint64_t id) {
    if (auto it = id_paths.find(id); it != id_paths.end()) return &it->second;
    // A new cgroup: walk again, but not once per event of a cgroup that is gone.
    if (Clock::now() - scanned_at < kRescanEvery) return nullptr;
    rescan();
    auto it = id_paths.find(id);
    return it == id_paths.end() ? nullptr : &it->second;
  }

  void rescan() {
    scanned_at = Clock::now();
    if (id_paths.size() > kMaxCached) id_paths.clear();
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(mount, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      std::error_code e2;
      if (!it->is_directory(e2) || it->is_symlink(e2)) continue;
      if (it.depth() >= kMaxDepth) it.disable_recursion_pending();
      try {
        id_paths[cgroup::cgroup_id(it->path())] = "/" + it->path().lexically_relative(mount).generic_string();
      } catch (const Error&) {
        // removed while walking
      }
    }
  }

  const std::vector<detail::RuncState>& runc_states(bool refresh) {
    if (refresh || runc_at == Clock::time_point{} || Clock::now() - runc_at > kRescanEvery) {
      runc = detail::scan_runc_states(paths, mount);
      runc_at = Clock::now();
    }
    return runc;
  }

  const detail::RuncState* runc_by(const std::string& id, const std::string& cgroup) {
    for (const auto& s : runc)
      if ((!id.empty() && s.id == id) || (!cgroup.empty() && s.cgroup == cgroup)) return &s;
    return nullptr;
  }

  // `wait` false: what the path and the runtimes' files say now; a name only a socket gives
  // is asked on the worker thread (defer) and is in the cache when it comes.
  std::optional<ContainerInfo> lookup_path(const std::string& raw, bool wait) {
    std::string path = normalize(raw);
    auto now = Clock::now();
    auto it = cache.find(path);
    if (it != cache.end()) {
      // A nested cgroup stands for its container: one entry holds the container's info.
      if (!it->second.alias.empty()) return lookup_path(it->second.alias, wait);
      // complete: retry_at is the next rename check, or never
      if (now < it->second.retry_at || (it->second.deferred && !wait)) return it->second.info;
    }
    if (cache.size() >= kMaxCached) {
      cache.clear();
      it = cache.end();
    }
    auto located = locate(path);
    if (located && located->cgroup != path) {
      cache[path].alias = located->cgroup;
      return lookup_path(located->cgroup, wait);
    }
    Clock::duration backoff = it != cache.end() ? it->second.backoff : kRetryFirst;
    // A rename check: the name known stands until the runtime gives one (maybe the same).
    std::optional<ContainerInfo> named;
    if (it != cache.end() && it->second.complete && it->second.info && !it->second.info->name.empty())
      named = it->second.info;
    Entry& e = cache[path];
    e.info = located;
    e.deferred = false;
    if (e.info) {
      from_cgroup(*e.info);
      if (names && e.info->is_container()) from_files(*e.info);
      if (names) from_tasks(*e.info);
      if (names && e.info->is_container() && wants_socket(*e.info)) {
        if (wait)
          from_sockets(*e.info);
        else
          defer(e, path);
      }
    }
    e.complete = !names || (e.info && (!e.info->name.empty() || !e.info->is_container()));
    if (named && !e.complete) {
      e.info = std::move(named);
      e.complete = true;
    }
    if (e.complete) {
      e.retry_at = names && e.info ? next_check(*e.info, now) : Clock::time_point::max();
      return e.info;
    }
    // A miss or a container without its name yet: look again later, less often each time.
    e.backoff = std::min<Clock::duration>(backoff * 2, kRetryMax);
    e.retry_at = now + backoff;
    return e.info;
  }

  // The container (or systemd unit) a cgroup path belongs to, from the path alone (and the
  // runc states' cgroups for runc containers in plain cgroups).
  std::optional<ContainerInfo> locate(const std::string& path) {
    auto parts = split(path);
    if (names) runc_states(false);
    std::optional<ContainerInfo> found;
    std::string unit_path, unit_name, pod_uid;
    for (size_t n = parts.size(); n > 0; --n) {
      std::string prefix;
      for (size_t i = 0; i < n; ++i) prefix += "/" + parts[i];
      auto m = detail::match_cgroup_dir(parts[n - 1], n >= 2 ? parts[n - 2] : "");
      if (!found && m && m->kind == detail::PathMatch::Container) {
        found = ContainerInfo{};
        found->id = m->id;
        found->runtime = m->runtime;
        found->cgroup = prefix;
      } else if (!found && names) {
        if (const auto* st = runc_by("", prefix)) {
          found = ContainerInfo{};
          found->id = st->id;
          found->runtime = st->runtime;
          found->cgroup = prefix;
        }
      }
      if (m && m->kind == detail::PathMatch::Unit && unit_path.empty()) {
        unit_path = prefix;
        unit_name = m->id;
      }
      if (m && m->kind == detail::PathMatch::Pod && pod_uid.empty()) pod_uid = m->id;
    }
    if (!found && !unit_path.empty()) {
      found = ContainerInfo{};
      found->name = unit_name;
      found->runtime = "systemd";
      found->cgroup = unit_path;
    }
    if (found && !pod_uid.empty()) {
      found->pod_uid = pod_uid;
      found->qos = detail::qos_of_path(found->cgroup);
    }
    return found;
  }

  void from_cgroup(ContainerInfo& info) {
    try {
      info.cgroup_id = cgroup::cgroup_id(mount / fs::path(info.cgroup).relative_path());
    } catch (const Error&) {
      info.cgroup_id = 0;  // gone: what the path says is still worth a name
    }
  }

  // The runtimes' own files, cheapest first (a runc container is named by its id).
  void from_files(ContainerInfo& info) {
    const auto* st = runc_by(info.id, "");
    if (st) {
      if (info.runtime.empty()) info.runtime = st->runtime;
      info.hostname = st->hostname;
      detail::apply_annotations(info, st->annotations);
    }
    const fs::path& root = paths.root;
    if (info.name.empty() && (info.runtime == "docker" || info.runtime.empty())) {
      std::ifstream f(root / paths.docker_containers / info.id / "config.v2.json");
      if (f && detail::apply_docker_json(info, {std::istreambuf_iterator<char>(f), {}}))
        info.runtime = "docker";
    }
    if (info.name.empty() && (info.runtime == "podman" || info.runtime.empty()) &&
        detail::apply_podman_storage(info, paths))
      info.runtime = "podman";
    if (info.name.empty() && info.runtime == "runc") info.name = info.id;
  }

  // The runtime sockets that could name what no file named: docker's, then podman's.
  std::vector<std::pair<fs::path, std::string>> sockets_for(const ContainerInfo& info) const {
    std::vector<std::pair<fs::path, std::string>> out;
    if (!info.name.empty()) return out;
    std::error_code ec;
    for (const auto& [sock, runtime] : {std::pair{&paths.docker_socket, "docker"}, {&paths.podman_socket, "podman"}})
      if ((info.runtime == runtime || info.runtime.empty()) && fs::exists(paths.root / *sock, ec))
        out.emplace_back(paths.root / *sock, runtime);
    return out;
  }
  bool wants_socket(const ContainerInfo& info) const { return !sockets_for(info).empty(); }

  // GET /containers/ID/json on each (blocks up to kHttpTimeout each); reads only what the
  // constructor set, so the worker calls it without `mutex`.
  void from_sockets(ContainerInfo& info) const {
    for (const auto& [sock, runtime] : sockets_for(info)) {
      if (!info.name.empty()) break;
      std::string target = runtime == "docker" ? "/containers/" + info.id + "/json"
                                                : "/v4.0.0/libpod/containers/" + info.id + "/json";
      auto r = unix_http_request(sock, "GET", target, kHttpTimeout);
      if (r && r->status == 200 && detail::apply_docker_json(info, r->body)) info.runtime = runtime;
    }
  }

  // Hostname and UTS namespace from a live task of the container, as the kernel has them.
  void from_tasks(ContainerInfo& info) {
    fs::path dir = mount / fs::path(info.cgroup).relative_path();
    std::error_code ec;
    std::vector<int> pids = pids_in(dir);
    for (auto it = fs::recursive_directory_iterator(dir, ec);
         pids.empty() && !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
      if (it->is_directory(ec)) pids = pids_in(it->path());
    for (int pid : pids) {
      auto inum = uts_inum_of(pid);
      if (!inum) continue;
      info.uts_inum = *inum;
      if (auto h = uts_hostname_of(pid)) info.hostname = *h;
      break;
    }
  }
};

ContainerResolver::ContainerResolver(fs::path mount, RuntimePaths paths, bool names)
    : impl_(std::make_unique<Impl>()) {
  impl_->mount = std::move(mount);
  impl_->paths = std::move(paths);
  impl_->names = names;
}

ContainerResolver::~ContainerResolver() = default;

std::optional<ContainerInfo> ContainerResolver::lookup(uint64_t cgroup_id) {
  std::lock_guard lock(impl_->mutex);
  const std::string* path = impl_->path_of(cgroup_id);
  if (!path) return std::nullopt;
  return impl_->lookup_path(*path, true);
}

std::optional<ContainerInfo> ContainerResolver::lookup_cached(uint64_t cgroup_id) {
  constexpr size_t kMaxQueued = 1024;
  auto& im = *impl_;
  std::lock_guard lock(im.fast_mutex);
  auto it = im.fast.find(cgroup_id);
  bool again = it == im.fast.end() || Clock::now() >= it->second.retry_at;
  if (again && im.queued.size() < kMaxQueued && im.queued.insert(cgroup_id).second) im.start_worker();
  if (it == im.fast.end()) return std::nullopt;
  return it->second.info;
}

std::optional<ContainerInfo> ContainerResolver::lookup_path(const std::string& cgroup_path, bool wait) {
  std::lock_guard lock(impl_->mutex);
  return impl_->lookup_path(cgroup_path, wait);
}

std::vector<ContainerInfo> ContainerResolver::list(bool all, bool wait) {
  std::lock_guard lock(impl_->mutex);
  auto& im = *impl_;
  std::vector<ContainerInfo> out;
  std::unordered_map<std::string, size_t> index;  // container cgroup -> row
  std::error_code ec;
  auto visit = [&](const fs::path& dir) {
    std::string rel = "/" + dir.lexically_relative(im.mount).generic_string();
    if (rel == "/.") rel = "/";
    auto pids = static_cast<uint32_t>(pids_in(dir).size());
    auto info = rel == "/" ? std::nullopt : im.lookup_path(rel, wait);
    try {
      uint64_t id = cgroup::cgroup_id(dir);
      if (im.id_paths.size() < kMaxCached) im.id_paths[id] = rel;
      // What ps/top just resolved, the event path finds without waiting.
      const Impl::Entry* e = rel == "/" ? nullptr : im.entry_of(rel);
      std::lock_guard fl(im.fast_mutex);
      if (im.fast.size() < kMaxCached)
        im.fast[id] = e ? Impl::Fast{info, e->complete, e->retry_at} : Impl::Fast{info, true, Clock::time_point::max()};
    } catch (const Error&) {
      // not a cgroup (fixture trees) or removed while walking
    }
    if (!info) {
      if (!all || pids == 0) return;
      info = ContainerInfo{};
      info->cgroup = rel;
      try {
        info->cgroup_id = cgroup::cgroup_id(dir);
      } catch (const Error&) {
        return;
      }
    }
    if (info->sandbox && !all) return;
    if (!info->is_container() && !all && pids == 0 && info->cgroup == rel) return;
    auto [it, fresh] = index.emplace(info->cgroup, out.size());
    if (fresh) {
      out.push_back(*info);
      out.back().pids = 0;
    }
    out[it->second].pids += pids;
  };
  visit(im.mount);
  for (auto it =
           fs::recursive_directory_iterator(im.mount, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code e2;
    if (!it->is_directory(e2) || it->is_symlink(e2)) continue;
    if (it.depth() >= kMaxDepth) it.disable_recursion_pending();
    visit(it->path());
  }
  // A systemd unit without processes is only a unit file's leftover.
  std::erase_if(out, [&](const ContainerInfo& c) { return !all && !c.is_container() && c.pids == 0; });
  auto rank = [](const ContainerInfo& c) { return c.is_container() ? 0 : c.runtime == "systemd" ? 1 : 2; };
  std::sort(out.begin(), out.end(), [&](const ContainerInfo& a, const ContainerInfo& b) {
    if (rank(a) != rank(b)) return rank(a) < rank(b);
    if (a.display_name() != b.display_name()) return a.display_name() < b.display_name();
    return a.cgroup < b.cgroup;
  });
  return out;
}

std::vector<ContainerInfo> ContainerResolver::find(const std::string& query) {
  std::vector<ContainerInfo> exact, prefix;
  std::optional<ContainerInfo> pod;  // "NAMESPACE/POD" or "POD": the pod's cgroup, its containers' parent
  bool pods_differ = false;
  for (auto& c : list(false)) {
    std::string dir = fs::path(c.cgroup).filename().string();
    if (!c.pod.empty() && (c.pod == query || c.pod_namespace + "/" + c.pod == query)) {
      std::string parent = fs::path(c.cgroup).parent_path().generic_string();
      if (pod && pod->cgroup != parent) pods_differ = true;
      if (!pod) {
        pod = ContainerInfo{};
        pod->name = c.pod;
        pod->runtime = c.runtime;
        pod->pod = c.pod;
        pod->pod_namespace = c.pod_namespace;
        pod->pod_uid = c.pod_uid;
        pod->qos = c.qos;
        pod->cgroup = parent;
        try {
          pod->cgroup_id = cgroup::cgroup_id(impl_->mount / fs::path(parent).relative_path());
        } catch (const Error&) {
          pod->cgroup_id = 0;
        }
      }
      pod->pids += c.pids;
    }
    bool by_name = c.name == query || c.id == query || dir == query ||
                   (!c.pod.empty() &&
                    (c.pod + "/" + c.name == query ||
                     (!c.pod_namespace.empty() && c.pod_namespace + "/" + c.pod + "/" + c.name == query)));
    if (by_name)
      exact.push_back(std::move(c));
    else if (query.size() >= 4 && c.id.rfind(query, 0) == 0)
      prefix.push_back(std::move(c));
  }
  // A container's name wins over a pod's, and a name over the start of another container's id.
  if (exact.empty() && pod && !pods_differ) exact.push_back(std::move(*pod));
  return exact.empty() ? prefix : exact;
}

void ContainerResolver::invalidate(uint64_t cgroup_id) {
  std::lock_guard lock(impl_->mutex);
  auto& im = *impl_;
  if (cgroup_id == 0) {
    std::erase_if(im.cache, [](const auto& kv) { return !kv.second.complete; });
    im.scanned_at = {};
    im.runc_at = {};
    std::lock_guard fl(im.fast_mutex);
    std::erase_if(im.fast, [](const auto& kv) { return !kv.second.complete; });
    return;
  }
  im.scanned_at = {};
  if (auto it = im.id_paths.find(cgroup_id); it != im.id_paths.end()) im.cache.erase(it->second);
  std::lock_guard fl(im.fast_mutex);
  im.fast.erase(cgroup_id);
}

}  // namespace ctrace::enrich
