// ctrace oomkill: the OOM killer's victims, their memory cgroup's limit, cgroup or global OOM.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <climits>

#include "commands/lifecycle.hpp"
#include "ctrace/commands/command.hpp"
#include "ctrace/probe/runner.hpp"
#include "oomkill.lskel.hpp"

namespace ctrace::commands {

namespace {

// A page counter's max: PAGE_COUNTER_MAX (LONG_MAX / PAGE_SIZE) when unlimited.
Value limit_bytes(uint64_t pages, uint64_t page_size) {
  if (page_size == 0 || pages >= static_cast<uint64_t>(LONG_MAX) / page_size) return {};
  return pages * page_size;
}

const char* kind_name(unsigned kind) {
  switch (kind) {
    case OOMKILL_CGROUP:
      return "cgroup";
    case OOMKILL_GLOBAL:
      return "global";
  }
  return "unknown";
}

}  // namespace

void decode_oomkill(const oomkill_event& e, const TaskFields* task, uint64_t page_size, FieldSink& out) {
  if (task) task->add(out, e.victim);
  out.put("ns_pid", e.victim_ns_pid);
  out.put("kind", kind_name(e.kind));
  out.put("total_vm", static_cast<uint64_t>(e.total_vm_pages * page_size));
  out.put("anon_rss", static_cast<uint64_t>(e.anon_rss_pages * page_size));
  out.put("file_rss", static_cast<uint64_t>(e.file_rss_pages * page_size));
  out.put("shmem_rss", static_cast<uint64_t>(e.shmem_rss_pages * page_size));
  out.put("pgtables", static_cast<uint64_t>(e.pgtables_bytes));
  out.put("oom_score_adj", static_cast<int64_t>(e.oom_score_adj));
  out.put("memcg_id", static_cast<uint64_t>(e.memcg_id));
  out.put("memcg_limit", limit_bytes(e.memcg_limit_pages, page_size));
  out.put("memcg_usage", static_cast<uint64_t>(e.memcg_usage_pages * page_size));
  if (e.kind == OOMKILL_CGROUP) {
    out.put("oom_memcg_id", static_cast<uint64_t>(e.oom_memcg_id));
    out.put("oom_memcg_limit", limit_bytes(e.oom_memcg_limit_pages, page_size));
    out.put("oom_memcg_usage", static_cast<uint64_t>(e.oom_memcg_usage_pages * page_size));
    out.put("oom_memcg_level", e.memcg_level);
  }
  out.put("trigger_pid", e.trigger_pid);
  out.put("trigger_tid", e.trigger_tid);
  out.put("trigger_comm", c_string(e.trigger_comm, sizeof e.trigger_comm));
  out.put("trigger_cgroup_id", static_cast<uint64_t>(e.trigger_cgroup_id));
}

namespace {

constexpr const char* kExamples = R"(EXAMPLES:
  ctrace oomkill                                  # every container (and the host)
  ctrace oomkill --container web -o json | jq .

One line per process the OOM killer chose. KIND is "cgroup" when a memory cgroup hit its limit
(LIMIT is that cgroup's memory.max, or memory.limit_in_bytes on a v1 memory hierarchy), "global"
when the whole machine ran out. RSS is the victim's anonymous memory, TRIGGER the process whose
allocation ran into the OOM (often another one).)";

std::string bytes_text(const Record& r, const char* key) {
  const auto* v = r.get(key);
  const auto* u = v ? std::get_if<uint64_t>(&v->v) : nullptr;
  return u ? output::human_bytes(static_cast<double>(*u)) : std::string("-");
}

class OomKillCommand final : public Command {
 public:
  CLI::App* setup(CLI::App& root) override {
    auto* app = root.add_subcommand("oomkill", "the OOM killer's victims, their memory limit, cgroup or global");
    app->footer(kExamples);
    add_stream_options(*app, opts_);
    return app;
  }

  int run(const GlobalOptions&) override {
    const uint64_t page_size = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
    return run_event_stream<oomkill_lbpf>(
        opts_, schema(), sizeof(oomkill_event),
        [](oomkill_lbpf& s) { return std::pair{&s.maps.oomkill_events, &s.maps.oomkill_lost}; },
        [](oomkill_lbpf*) {},
        [&](const void* data, size_t, EventNames& names, FieldSink& out) {
          decode_oomkill(*static_cast<const oomkill_event*>(data), &names.task(), page_size, out);
        });
  }

 private:
  Schema schema() const {
    Schema s;
    s.type = "oomkill";
    Column rss{"anon_rss", "RSS", Align::Right, -1, "", 10};
    rss.text = [](const Record& r) { return bytes_text(r, "anon_rss"); };
    Column limit{"memcg_limit", "LIMIT", Align::Right, -1, "", 10};
    limit.text = [](const Record& r) {
      return bytes_text(r, r.get("oom_memcg_limit") ? "oom_memcg_limit" : "memcg_limit");
    };
    Column trigger{"trigger_pid", "TRIGGER", Align::Left};
    trigger.text = [](const Record& r) { return r.raw("trigger_comm") + "/" + r.raw("trigger_pid"); };
    s.columns = {
        time_column(opts_.precision),
        container_column(opts_.container_by),
        {"pid", "PID", Align::Left, -1, "", 7},
        {"comm", "COMM", Align::Left, -1, "", 16},
        {"kind", "KIND", Align::Left, -1, "", 7},
        rss,
        limit,
        trigger,
    };
    return s;
  }

  StreamOptions opts_;
};

}  // namespace

std::unique_ptr<Command> make_oomkill() {
  return std::make_unique<OomKillCommand>();
}

}  // namespace ctrace::commands
