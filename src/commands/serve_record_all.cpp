// serve --record-all: the containers' regions, their names, and the post-mortems (see
// serve_record_all.hpp; the kernel side is record_all.bpf.c).
#include "commands/serve_record_all.hpp"

#include <fnmatch.h>

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "ctrace/commands/dump.hpp"
#include "ctrace/core/error.hpp"
#include "ctrace/core/escape.hpp"
#include "ctrace/core/log.hpp"
#include "ctrace/core/time.hpp"
#include "ctrace/enrich/container_info.hpp"
#include "ctrace/enrich/flags.hpp"
#include "ctrace/enrich/names.hpp"
#include "ctrace/output/formatter.hpp"
#include "ctrace/probe/event_loop.hpp"

namespace ctrace::commands {

namespace {

using nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

// A failure's events come together (an OOM kill, then the victim's death; a worker's crash,
// then its init's exit): they are gathered this long into one post-mortem.
constexpr auto kSettle = std::chrono::milliseconds(300);
constexpr size_t kTaskEvents = 200;        // the dying task's last enters and exits
constexpr size_t kContainerEvents = 1000;  // the container's
constexpr uint64_t kErrorWindowNs = 10'000'000'000;  // errno counts of the last 10 s
constexpr size_t kExecs = 20;

// si_code values of a fault (SEGV_*, BUS_*, ILL_*, FPE_*, TRAP_* are > 0 for those signals).
bool is_fault(int sig, int code) {
  return code > 0 && (sig == 4 || sig == 5 || sig == 7 || sig == 8 || sig == 11);
}

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
      if (!o.triggers.empty() && now - o.first >= kSettle) postmortem(o);
  }

  // {"pid","tid","pid_ns","comm","init"} of a trigger's task.
  static ordered_json task_object(const record_all_event& e) {
    return {{"pid", e.tgid},
            {"tid", e.tid},
            {"pid_ns", e.ns_pid},
            {"comm", std::string(e.comm)},
            {"init", (e.flags & RECORD_ALL_F_NS_INIT) != 0}};
  }

  // What happened, in a line: "killed by SIGSEGV (pid 8812 [worker], fault)". Raw: the logger
  // escapes it, the text file through escape_text().
  std::string summary(const record_all_event& e) const {
    std::string who = fmt::format("pid {} [{}]", e.tgid, e.comm);
    if (e.kind == RECORD_ALL_OOM) {
      std::string limit = e.memcg_limit_pages && e.memcg_limit_pages < (1ULL << 50) / 4096
                              ? fmt::format(", memory limit {} MiB", e.memcg_limit_pages * 4096 / (1 << 20))
                              : "";
      return fmt::format("OOM-killed: {}{}{}", who, limit,
                         (e.flags & RECORD_ALL_F_CGROUP_OOM) ? "" : ", the host's memory");
    }
    int sig = static_cast<int>(e.exit_code & 0x7f);
    if (!sig)
      return fmt::format("{} exited with {} ({})", (e.flags & RECORD_ALL_F_NS_INIT) ? "init" : "process",
                         (e.exit_code >> 8) & 0xff, who);
    std::string from;
    if (e.flags & RECORD_ALL_F_SENDER) {
      if (is_fault(sig, e.sender.code))
        from = ", fault";
      else if (e.flags & RECORD_ALL_F_FROM_KERNEL)
        from = ", by the kernel";
      else
        from = fmt::format(", sent by pid {} [{}]", e.sender.tgid, e.sender.comm);
    }
    return fmt::format("killed by {} ({}{}{})", enrich::signal_text(sig), who, from,
                       (e.exit_code & 0x80) ? ", core dumped" : "");
  }

  ordered_json trigger_object(const record_all_event& e) {
    ordered_json j;
    j["kind"] = e.kind == RECORD_ALL_OOM ? "oom" : ((e.exit_code & 0x7f) ? "signal" : "exit");
    j["summary"] = summary(e);
    j["time"] = format_utc(wall.to_wall_ns(e.ts_ns), TimePrecision::Micros);
    j["task"] = task_object(e);
    if (e.kind == RECORD_ALL_OOM) {
      j["oom"] = {{"cgroup_limit", (e.flags & RECORD_ALL_F_CGROUP_OOM) != 0},
                  {"memcg_limit_bytes", e.memcg_limit_pages * 4096},
                  {"memcg_usage_bytes", e.memcg_usage_pages * 4096},
                  {"rss_bytes", e.rss_pages * 4096},
                  {"total_vm_bytes", e.total_vm_pages * 4096}};
      return j;
    }
    int sig = static_cast<int>(e.exit_code & 0x7f);
    if (!sig) {
      j["exit_code"] = (e.exit_code >> 8) & 0xff;
      return j;
    }
    j["signal"] = enrich::signal_text(sig);
    j["core_dumped"] = (e.exit_code & 0x80) != 0;
    if (e.flags & RECORD_ALL_F_SENDER) {
      ordered_json s{{"kernel", (e.flags & RECORD_ALL_F_FROM_KERNEL) != 0},
                     {"fault", is_fault(sig, e.sender.code)},
                     {"si_code", e.sender.code}};
      if (!(e.flags & RECORD_ALL_F_FROM_KERNEL)) {
        s["pid"] = e.sender.tgid;
        s["comm"] = std::string(e.sender.comm);
        s["cgroup_id"] = e.sender.cgroup_id;
        if (auto c = resolver.lookup_cached(e.sender.cgroup_id)) s["container"] = c->display_name();
      }
      j["sender"] = s;
    }
    return j;
  }

  // The JSON objects of a dump's calls (render_dump's lines, the summary line left out).
  static ordered_json call_objects(const std::string& ndjson) {
    ordered_json out = ordered_json::array();
    std::istringstream in(ndjson);
    for (std::string line; std::getline(in, line);) {
      auto j = ordered_json::parse(line, nullptr, false);
      if (!j.is_discarded() && j.value("type", "") != "dump") out.push_back(std::move(j));
    }
    return out;
  }

  template <typename Pred>
  static std::vector<enrich::TraceEvent> last(const std::vector<enrich::TraceEvent>& events, size_t n, Pred keep) {
    std::vector<enrich::TraceEvent> out;
    for (auto it = events.rbegin(); it != events.rend() && out.size() < n; ++it)
      if (keep(*it)) out.push_back(*it);
    std::reverse(out.begin(), out.end());
    return out;
  }

  void postmortem(Owner& o) {
    auto d = all->dump(o.region, o.id);
    for (uint64_t cg : o.frozen) all->thaw(cg);  // the evidence is copied: the group may write again
    o.frozen.clear();
    auto triggers = std::move(o.triggers);
    o.triggers.clear();
    // the most telling first: an OOM kill explains the SIGKILL that follows it
    const record_all_event* cause = &triggers.front();
    for (const auto& t : triggers)
      if (t.kind == RECORD_ALL_OOM) {
        cause = &t;
        break;
      }
    const std::string reason = cause->kind == RECORD_ALL_OOM ? "oom" : ((cause->exit_code & 0x7f) ? "signal" : "exit");
    enrich::TraceContext ctx{names, formats, all->start_ns(), enrich::TimestampFormat::Wall, wall};
    auto task_events = last(d.events, kTaskEvents, [&](const enrich::TraceEvent& ev) { return ev.pid == cause->tgid; });
    auto events = last(d.events, kContainerEvents, [](const enrich::TraceEvent&) { return true; });
    auto summary_of = [&](const std::vector<enrich::TraceEvent>& evs) {
      enrich::DumpSummary s = d.summary();
      s.events = evs.size();
      return s;
    };

    ordered_json doc;
    doc["type"] = "postmortem";
    doc["time"] = format_utc(wall.to_wall_ns(cause->ts_ns), TimePrecision::Micros);
    doc["reason"] = reason;
    doc["summary"] = summary(*cause);
    ordered_json container{{"name", o.info.display_name()}, {"id", o.info.id},          {"runtime", o.info.runtime},
                           {"image", o.info.image},         {"cgroup", o.info.cgroup}, {"cgroup_id", o.id},
                           {"trace", o.trace}};
    if (!o.info.pod.empty()) {
      container["pod"] = o.info.pod;
      container["namespace"] = o.info.pod_namespace;
    }
    doc["container"] = container;
    doc["cause"] = trigger_object(*cause);
    ordered_json all_triggers = ordered_json::array();
    for (const auto& t : triggers) all_triggers.push_back(trigger_object(t));
    doc["events"] = all_triggers;
    // errno counts of the last seconds before the failure, by syscall
    std::map<std::pair<int, int64_t>, uint64_t> errors;
    for (const auto& ev : d.events)
      if (!ev.enter && is_syscall_error(ev.ret) && ev.ts_ns + kErrorWindowNs >= cause->ts_ns && ev.ts_ns <= cause->ts_ns)
        ++errors[{ev.nr, -ev.ret}];
    ordered_json errs = ordered_json::array();
    for (const auto& [k, n] : errors)
      errs.push_back({{"syscall", names.name(k.first)}, {"errno", enrich::errno_name(static_cast<int>(k.second))}, {"count", n}});
    doc["errors_last_10s"] = errs;
    auto execs_events = last(d.events, kExecs, [&](const enrich::TraceEvent& ev) {
      std::string n = names.name(ev.nr);
      return ev.enter && (n == "execve" || n == "execveat");
    });
    doc["execs"] = call_objects(render_dump(output::Format::Json, summary_of(execs_events), execs_events, ctx));
    doc["task_calls"] = call_objects(render_dump(output::Format::Json, summary_of(task_events), task_events, ctx));
    doc["calls"] = call_objects(render_dump(output::Format::Json, summary_of(events), events, ctx));
    auto c = all->counters();
    doc["recorder"] = {{"events", d.events.size()},  {"recorded", d.stats.recorded},
                       {"overwritten", d.stats.overwritten}, {"torn", d.torn},
                       {"lost", c.lost},                {"frozen_not_recorded", c.frozen}};

    std::string text = fmt::format("# post-mortem of {}: {}\n# time: {}\n", escape_text(o.info.display_name()),
                                   escape_text(summary(*cause)), doc["time"].get<std::string>());
    for (const auto& t : triggers)
      if (&t != cause) text += fmt::format("# also: {}\n", escape_text(summary(t)));
    for (const auto& e : errs)
      text += fmt::format("# errors in the last 10 s: {} {} x{}\n", e["syscall"].get<std::string>(),
                          e["errno"].get<std::string>(), e["count"].get<uint64_t>());
    text += fmt::format("\n# the last calls of pid {} [{}]\n", cause->tgid, escape_text(cause->comm));
    text += render_dump(output::Format::Text, summary_of(task_events), task_events, ctx);
    text += "\n# the last calls of the container\n";
    text += render_dump(output::Format::Text, summary_of(events), events, ctx);

    std::string where;
    if (store) {
      try {
        where = " — " + store->write(doc, text).string();
      } catch (const std::exception& ex) {
        where = fmt::format(" (post-mortem not written: {})", ex.what());
      }
    }
    std::string runtime = o.info.runtime.empty() ? "" : fmt::format(" ({} {})", o.info.runtime, o.info.id.substr(0, 12));
    spdlog::warn("container {}{} died: {}{}", o.info.display_name(), runtime, summary(*cause), where);
    std::lock_guard lock(metrics_mutex);
    ++postmortems[{o.info.display_name(), reason}];
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
