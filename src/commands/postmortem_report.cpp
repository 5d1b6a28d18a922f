// A post-mortem from a failure's kernel events and its container's recording (postmortem.hpp),
// the same for serve --record-all and record --postmortem.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <sstream>

#include "ctrace/commands/dump.hpp"
#include "ctrace/commands/postmortem.hpp"
#include "ctrace/core/escape.hpp"
#include "ctrace/enrich/flags.hpp"
#include "ctrace/output/formatter.hpp"

namespace ctrace::commands {

namespace {

using nlohmann::ordered_json;

constexpr size_t kTaskEvents = 200;        // the dying task's last enters and exits
constexpr size_t kContainerEvents = 1000;  // the container's
constexpr uint64_t kErrorWindowNs = 10'000'000'000;  // errno counts of the last 10 s
constexpr size_t kExecs = 20;

// si_code values of a fault (SEGV_*, BUS_*, ILL_*, FPE_*, TRAP_* are > 0 for those signals).
bool is_fault(int sig, int code) {
  return code > 0 && (sig == 4 || sig == 5 || sig == 7 || sig == 8 || sig == 11);
}

const char* reason_of(const record_all_event& e) {
  return e.kind == RECORD_ALL_OOM ? "oom" : ((e.exit_code & 0x7f) ? "signal" : "exit");
}

// What happened, in a line: "killed by SIGSEGV (pid 8812 [worker], fault)". Raw: the logger
// escapes it, the text through escape_text().
std::string summary(const record_all_event& e) {
  std::string who = fmt::format("pid {} [{}]", e.tgid, e.comm);
  if (e.kind == RECORD_ALL_OOM) {
    std::string limit = e.memcg_limit_pages && e.memcg_limit_pages < (1ULL << 50) / 4096
                            ? fmt::format(", memory limit {} MiB", e.memcg_limit_pages * 4096 / (1 << 20))
                            : "";
    return fmt::format("OOM-killed: {}{}{}", who, limit, (e.flags & RECORD_ALL_F_CGROUP_OOM) ? "" : ", the host's memory");
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
  return fmt::format("killed by {} ({}{}{})", enrich::signal_text(sig), who, from, (e.exit_code & 0x80) ? ", core dumped" : "");
}

ordered_json trigger_object(const record_all_event& e, const PostmortemContext& ctx) {
  ordered_json j;
  j["kind"] = reason_of(e);
  j["summary"] = summary(e);
  j["time"] = format_utc(ctx.wall.to_wall_ns(e.ts_ns), TimePrecision::Micros);
  j["task"] = {{"pid", e.tgid},
               {"tid", e.tid},
               {"pid_ns", e.ns_pid},
               {"comm", std::string(e.comm)},
               {"init", (e.flags & RECORD_ALL_F_NS_INIT) != 0}};
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
      if (ctx.container_of)
        if (std::string c = ctx.container_of(e.sender.cgroup_id); !c.empty()) s["container"] = c;
    }
    j["sender"] = s;
  }
  return j;
}

// The JSON objects of a dump's calls (render_dump's lines, the summary line left out).
ordered_json call_objects(const std::string& ndjson) {
  ordered_json out = ordered_json::array();
  std::istringstream in(ndjson);
  for (std::string line; std::getline(in, line);) {
    auto j = ordered_json::parse(line, nullptr, false);
    if (!j.is_discarded() && j.value("type", "") != "dump") out.push_back(std::move(j));
  }
  return out;
}

template <typename Pred>
std::vector<enrich::TraceEvent> last(const std::vector<enrich::TraceEvent>& events, size_t n, Pred keep) {
  std::vector<enrich::TraceEvent> out;
  for (auto it = events.rbegin(); it != events.rend() && out.size() < n; ++it)
    if (keep(*it)) out.push_back(*it);
  std::reverse(out.begin(), out.end());
  return out;
}

}  // namespace

Postmortem make_postmortem(const PostmortemInput& in, const PostmortemContext& ctx) {
  const auto& d = in.dump;
  const auto& triggers = in.triggers;
  // the most telling first: an OOM kill explains the SIGKILL that follows it
  const record_all_event* cause = &triggers.front();
  for (const auto& t : triggers)
    if (t.kind == RECORD_ALL_OOM) {
      cause = &t;
      break;
    }
  Postmortem pm;
  pm.reason = reason_of(*cause);
  pm.summary = summary(*cause);
  enrich::TraceContext tctx{ctx.names, ctx.formats, ctx.start_ns, enrich::TimestampFormat::Wall, ctx.wall};
  auto task_events = last(d.events, kTaskEvents, [&](const enrich::TraceEvent& ev) { return ev.pid == cause->tgid; });
  auto events = last(d.events, kContainerEvents, [](const enrich::TraceEvent&) { return true; });
  auto summary_of = [&](const std::vector<enrich::TraceEvent>& evs) {
    enrich::DumpSummary s = d.summary();
    s.events = evs.size();
    return s;
  };

  ordered_json& doc = pm.doc;
  doc["type"] = "postmortem";
  doc["time"] = format_utc(ctx.wall.to_wall_ns(cause->ts_ns), TimePrecision::Micros);
  doc["reason"] = pm.reason;
  doc["summary"] = pm.summary;
  doc["container"] = in.container;
  doc["cause"] = trigger_object(*cause, ctx);
  ordered_json all_triggers = ordered_json::array();
  for (const auto& t : triggers) all_triggers.push_back(trigger_object(t, ctx));
  doc["events"] = all_triggers;
  // errno counts of the last seconds before the failure, by syscall
  std::map<std::pair<int, int64_t>, uint64_t> errors;
  for (const auto& ev : d.events)
    if (!ev.enter && is_syscall_error(ev.ret) && ev.ts_ns + kErrorWindowNs >= cause->ts_ns && ev.ts_ns <= cause->ts_ns)
      ++errors[{ev.nr, -ev.ret}];
  ordered_json errs = ordered_json::array();
  for (const auto& [k, n] : errors)
    errs.push_back({{"syscall", ctx.names.name(k.first)},
                    {"errno", enrich::errno_name(static_cast<int>(k.second))},
                    {"count", n}});
  doc["errors_last_10s"] = errs;
  auto execs = last(d.events, kExecs, [&](const enrich::TraceEvent& ev) {
    std::string n = ctx.names.name(ev.nr);
    return ev.enter && (n == "execve" || n == "execveat");
  });
  doc["execs"] = call_objects(render_dump(output::Format::Json, summary_of(execs), execs, tctx));
  doc["task_calls"] = call_objects(render_dump(output::Format::Json, summary_of(task_events), task_events, tctx));
  doc["calls"] = call_objects(render_dump(output::Format::Json, summary_of(events), events, tctx));
  doc["recorder"] = {{"events", d.events.size()},          {"recorded", d.stats.recorded},
                     {"overwritten", d.stats.overwritten}, {"torn", d.torn},
                     {"lost", in.counters.lost},           {"frozen_not_recorded", in.counters.frozen}};

  std::string name = in.container.value("name", "");
  pm.text = fmt::format("# post-mortem of {}: {}\n# time: {}\n", escape_text(name), escape_text(pm.summary),
                        doc["time"].get<std::string>());
  for (const auto& t : triggers)
    if (&t != cause) pm.text += fmt::format("# also: {}\n", escape_text(summary(t)));
  for (const auto& e : errs)
    pm.text += fmt::format("# errors in the last 10 s: {} {} x{}\n", e["syscall"].get<std::string>(),
                           e["errno"].get<std::string>(), e["count"].get<uint64_t>());
  pm.text += fmt::format("\n# the last calls of pid {} [{}]\n", cause->tgid, escape_text(cause->comm));
  pm.text += render_dump(output::Format::Text, summary_of(task_events), task_events, tctx);
  pm.text += "\n# the last calls of the container\n";
  pm.text += render_dump(output::Format::Text, summary_of(events), events, tctx);
  return pm;
}

}  // namespace ctrace::commands
