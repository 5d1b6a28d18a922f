// serve --record-all: the containers' regions, their names, and the post-mortems (see
// serve_record_all.hpp; the kernel side is record_all.bpf.c).
#include "commands/serve_record_all.hpp"

#include <fnmatch.h>

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include "ctrace/core/error.hpp"
#include "ctrace/core/log.hpp"
#include "ctrace/core/time.hpp"
#include "ctrace/enrich/container_info.hpp"
#include "ctrace/enrich/names.hpp"
#include "ctrace/output/formatter.hpp"
#include "ctrace/probe/event_loop.hpp"

namespace ctrace::commands {

namespace {

using Clock = std::chrono::steady_clock;

struct Owner {
  uint64_t id = 0;  // its cgroup id, the owner in the kernel's table
  uint32_t region = 0;
  enrich::ContainerInfo info;
  std::string trace;  // its name in /list
  bool gone = false;  // its cgroup was removed
  Clock::time_point gone_at;
  std::vector<record_all_event> triggers;  // of a failure being gathered
  Clock::time_point first;
  std::set<uint64_t> frozen;  // cgroups the kernel froze for it
};

}  // namespace

struct RecordAllService::Impl {
  Impl(ServeApi& a, const target::CgroupFs& fs, const enrich::SyscallFormats& f, RecordAllServiceOptions o,
       StopToken& s)
      : api(a), cgroup_fs(fs), formats(f), opts(std::move(o)), stop(s), resolver(fs.mount) {}

  ServeApi& api;
  target::CgroupFs cgroup_fs;
  const enrich::SyscallFormats& formats;
  RecordAllServiceOptions opts;
  StopToken& stop;
  enrich::ContainerResolver resolver;
  enrich::SyscallNames names{512};
  WallClock wall;
  std::shared_ptr<probe::RecordAll> all;
  std::optional<PostmortemStore> store;
  std::map<uint64_t, Owner> owners;          // the containers recorded, by owner
  std::map<uint64_t, uint64_t> child_owner;  // cgroups made inside them
  bool full_warned = false;
  std::thread thread;
  std::mutex metrics_mutex;
  std::map<std::pair<std::string, std::string>, uint64_t> postmortems;  // (container, reason)

  bool matches(const enrich::ContainerInfo& info) const {
    if (opts.match.empty()) return true;
    for (const std::string& n : {info.name, info.id, info.display_name()})
      if (!n.empty() && ::fnmatch(opts.match.c_str(), n.c_str(), 0) == 0) return true;
    return false;
  }

  // The container whose own cgroup this is, if it is one we record.
  std::optional<enrich::ContainerInfo> container_of(const std::string& path) {
    auto info = resolver.lookup_path(path);
    if (!info || !info->is_container() || info->sandbox || info->cgroup != path || !matches(*info))
      return std::nullopt;
    return info;
  }

  void keep(uint64_t cgroup_id, uint32_t region, const enrich::ContainerInfo& info) {
    target::Target t;
    t.mode = target::Mode::Cgroup;
    t.cgroup_path = info.cgroup;
    t.cgroup_dir = cgroup_fs.mount / info.cgroup.substr(info.cgroup.empty() ? 0 : 1);
    t.cgroup_id = cgroup_id;
    t.exact = true;
    t.description = "container " + info.display_name();
    Owner o;
    o.id = cgroup_id;
    o.region = region;
    o.info = info;
    o.info.cgroup_id = cgroup_id;
    o.trace = api.adopt(info.display_name(), t, probe::region_recorder(all, region, cgroup_id));
    owners[cgroup_id] = std::move(o);
    all->keep(cgroup_id);
  }

  void give_back(uint64_t cgroup_id, std::optional<uint32_t> region) {
    all->forget(cgroup_id);
    if (region) all->release(*region);
  }

  // The oldest gone container's region back to the free ones, when few are left.
  void reclaim(bool now) {
    if (!now && owners.size() + 2 <= all->regions()) return;
    auto oldest = owners.end();
    for (auto it = owners.begin(); it != owners.end(); ++it)
      if (it->second.gone && it->second.triggers.empty() &&
          (oldest == owners.end() || it->second.gone_at < oldest->second.gone_at))
        oldest = it;
    if (oldest == owners.end()) return;
    spdlog::info("region of {} (gone) given to the next container", oldest->second.trace);
    api.drop(oldest->second.trace);
    all->release(oldest->second.region);
    owners.erase(oldest);
  }

  void on_event(const record_all_event& e) {
    switch (e.kind) {
      case RECORD_ALL_ASSIGNED: {
        auto info = container_of(e.path);
        if (!info) return give_back(e.cgroup_id, e.region);
        keep(e.cgroup_id, e.region, *info);
        reclaim(false);
        return;
      }
      case RECORD_ALL_CHILD:
        // made inside a container we keep; one we dropped since writes nowhere
        if (owners.count(e.owner))
          child_owner[e.cgroup_id] = e.owner;
        else
          give_back(e.cgroup_id, std::nullopt);
        return;
      case RECORD_ALL_FULL:
        if (!full_warned) {
          full_warned = true;
          spdlog::warn("recording budget full ({} containers of {}): {} is not recorded; raise --record-budget or "
                       "lower --record-size (counted in ctrace_record_budget_full_total)",
                       owners.size(), all->regions(), e.path);
        }
        reclaim(true);
        return;
      case RECORD_ALL_RMDIR: {
        child_owner.erase(e.cgroup_id);
        auto it = owners.find(e.cgroup_id);
        if (it == owners.end()) return;
        it->second.gone = true;
        it->second.gone_at = Clock::now();
        spdlog::info("container {} is gone; its ring stays until the space is needed", it->second.trace);
        return;
      }
      case RECORD_ALL_DEATH:
      case RECORD_ALL_OOM: {
        auto it = owners.find(e.owner);
        if (it == owners.end()) {
          all->thaw(e.cgroup_id);
          return;
        }
        Owner& o = it->second;
        if (o.triggers.empty()) o.first = Clock::now();
        o.triggers.push_back(e);
        o.frozen.insert(e.cgroup_id);
        return;
      }
      default:
        return;
    }
  }

  void tick() {
    auto now = Clock::now();
    for (auto& [id, o] : owners)
      if (!o.triggers.empty() && now - o.first >= kPostmortemSettle) postmortem(o);
  }

  void postmortem(Owner& o) {
    PostmortemInput in{std::move(o.triggers), all->dump(o.region, o.id), all->counters(), {}};
    o.triggers.clear();
    for (uint64_t cg : o.frozen) all->thaw(cg);  // the evidence is copied: the group may write again
    o.frozen.clear();
    in.container = {{"name", o.info.display_name()}, {"id", o.info.id},          {"runtime", o.info.runtime},
                    {"image", o.info.image},         {"cgroup", o.info.cgroup}, {"cgroup_id", o.id},
                    {"trace", o.trace}};
    if (!o.info.pod.empty()) {
      in.container["pod"] = o.info.pod;
      in.container["namespace"] = o.info.pod_namespace;
    }
    PostmortemContext ctx{names, formats, wall, all->start_ns(), [this](uint64_t cgroup_id) {
                            auto c = resolver.lookup_cached(cgroup_id);
                            return c ? c->display_name() : std::string();
                          }};
    Postmortem pm = make_postmortem(in, ctx);

    std::string where;
    if (store) {
      try {
        where = " — " + store->write(pm.doc, pm.text).string();
      } catch (const std::exception& ex) {
        where = fmt::format(" (post-mortem not written: {})", ex.what());
      }
    }
    std::string runtime = o.info.runtime.empty() ? "" : fmt::format(" ({} {})", o.info.runtime, o.info.id.substr(0, 12));
    spdlog::warn("container {}{} died: {}{}", o.info.display_name(), runtime, pm.summary, where);
    std::lock_guard lock(metrics_mutex);
    ++postmortems[{o.info.display_name(), pm.reason}];
  }

  void run() {
    probe::EventLoop loop(stop);
    loop.add_ring_buffer(all->events());
    loop.every(std::chrono::milliseconds(100), [this] { tick(); });
    try {
      loop.run();
    } catch (const std::exception& e) {
      spdlog::error("record-all stopped: {}", e.what());
    }
    // failures still being gathered are written down before the daemon ends
    for (auto& [id, o] : owners)
      if (!o.triggers.empty()) postmortem(o);
  }
};

RecordAllService::RecordAllService(ServeApi& api, const target::CgroupFs& cgroup_fs, unsigned self_tgid,
                                   const enrich::SyscallFormats& formats, RecordAllServiceOptions opts,
                                   StopToken& stop)
    : impl_(std::make_unique<Impl>(api, cgroup_fs, formats, std::move(opts), stop)) {
  Impl& m = *impl_;
  if (!m.opts.postmortem_dir.empty()) m.store.emplace(m.opts.postmortem_dir, m.opts.limits);
  m.all = std::make_shared<probe::RecordAll>(self_tgid, m.opts.recorder, formats,
                                             [&m](const record_all_event& e) { m.on_event(e); });
}

RecordAllService::~RecordAllService() {
  if (impl_->thread.joinable()) {
    impl_->stop.request_stop(StopReason::Terminated);
    impl_->thread.join();
  }
}

uint32_t RecordAllService::regions() const { return impl_->all->regions(); }

void RecordAllService::start() {
  Impl& m = *impl_;
  size_t adopted = 0;
  for (const auto& info : m.resolver.list()) {
    if (!info.is_container() || info.sandbox || !info.cgroup_id || !m.matches(info)) continue;
    auto region = m.all->assign(info.cgroup_id);
    if (!region) {
      spdlog::warn("recording budget full: {} of the running containers are recorded; raise --record-budget",
                   adopted);
      break;
    }
    m.keep(info.cgroup_id, *region, info);
    ++adopted;
  }
  notice(fmt::format("Recording every container{} (budget {}, {} each: {} at once; {} running now)",
                     m.opts.match.empty() ? "" : " named " + m.opts.match,
                     output::human_bytes(static_cast<double>(m.opts.recorder.budget_bytes)),
                     output::human_bytes(static_cast<double>(m.opts.recorder.size_bytes)), m.all->regions(), adopted));
  m.thread = std::thread([&m] { m.run(); });
}

void RecordAllService::collect(prometheus::Registry& registry) {
  auto& pm = output::counter_family(registry, "ctrace_postmortems_total");
  auto& full = output::counter_family(registry, "ctrace_record_budget_full_total");
  auto c = impl_->all->counters();
  full.Add({}).Increment(static_cast<double>(c.budget_full));
  std::lock_guard lock(impl_->metrics_mutex);
  for (const auto& [k, n] : impl_->postmortems)
    pm.Add({{"container", k.first}, {"reason", k.second}}).Increment(static_cast<double>(n));
}

uint64_t RecordAllService::lost_events() { return impl_->all->counters().lost; }

}  // namespace ctrace::commands
