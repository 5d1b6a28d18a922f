// ctrace top: every container at once, live. The kernel counts per cgroup (HostView);
// once per interval this diffs two snapshots, folds cgroups into containers, pods or
// cgroups, and draws one table (full screen on a terminal) or prints it (text, NDJSON).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <set>

#include "ctrace/commands/command.hpp"
#include "ctrace/core/cli_checks.hpp"
#include "ctrace/core/error.hpp"
#include "ctrace/core/log.hpp"
#include "ctrace/core/time.hpp"
#include "ctrace/enrich/names.hpp"
#include "ctrace/hostview/sampler.hpp"
#include "ctrace/output/terminal.hpp"
#include "ctrace/probe/runner.hpp"

namespace ctrace::commands {

namespace {

using hostview::Group;
using hostview::Row;

constexpr const char* kExamples = R"(EXAMPLES:
  ctrace top                                  # every container, redrawn every second; q quits, s/S sort
  ctrace top -s errors -n 10 -i 2             # the 10 containers with the most failed syscalls
  ctrace top --by pod                         # one row per Kubernetes pod
  ctrace top --by cgroup -c system.slice      # every cgroup below system.slice
  ctrace top -o json -d 60 | jq 'select(.errors_per_s > 100)'
  ctrace top -d 5 > top.txt                   # not a terminal: one table per interval

Rows are the task's own cgroup folded into its container (--by container), pod or left as
is (--by cgroup). A container whose cgroup is gone stays listed, marked exited, for 30 s.
CPU% and MEM come from the cgroup's cpu.stat and memory.current ("-" when the controller is
not enabled there).)";

// Exited rows stay this long after their last cgroup went away.
constexpr std::chrono::seconds kExitedGrace{30};

class TopCommand final : public Command {
 public:
  CLI::App* setup(CLI::App& root) override {
    auto* app =
        root.add_subcommand("top", "every container at once: syscalls, errors, I/O, opens, connects, live");
    app->footer(kExamples);
    target::add_target_options(*app, target_);
    add_output_option(*app, format_, {output::Format::Text, output::Format::Json});
    std::string keys;
    for (const auto& k : hostview::sort_keys()) keys += (keys.empty() ? "" : "|") + k;
    app->add_option("-s,--sort", sort_, "sort by " + keys)
        ->check(CLI::IsMember(hostview::sort_keys()))
        ->default_str(sort_);
    app->add_option("-n,-T,--top", rows_, "show only the first N rows")->check(cli::positive_integer());
    app->add_option("-i,--interval", interval_, "seconds between two tables (default 1)")
        ->type_name("SEC")
        ->check(cli::seconds());
    add_duration_option(*app, duration_);
    app->add_option("--by", by_, "one row per container|pod|cgroup")
        ->check(CLI::IsMember({"container", "pod", "cgroup"}))
        ->default_str(by_);
    return app;
  }

  int run(const GlobalOptions&) override {
    group_by_ = hostview::parse_group_by(by_);
    names_.emplace(1024);
    probe::Runner run(target_, duration_);
    mount_ = run.cgroup_fs().mount;
    // The baseline is taken here, before the user (or `-- CMD`) is told to go: nothing after it
    // is missed.
    hostview::Sampler sampler(run.target(), run.self_tgid(), mount_, group_by_);
    sampler_ = &sampler;

    full_screen_ = format_ == output::Format::Text && ::isatty(STDOUT_FILENO);
    formatter_ = output::make_formatter(format_, stdout);
    formatter_->begin(schema());

    std::optional<output::FullScreen> screen;
    auto& loop = run.loop();
    loop.add_ring_buffer(sampler.view().events());
    loop.add_lost_counter(sampler.view().lost(), [this](uint64_t n) {
      if (format_ == output::Format::Json) formatter_->lost(n);
      spdlog::warn("{} cgroup creations or removals were missed: names of short-lived cgroups may be missing",
                   n);
    });
    run.announce(full_screen_ ? "Collecting... q or Ctrl-C to quit, s/S to change the sort"
                              : "Collecting events... Ctrl-C to stop");
    if (full_screen_) {
      screen.emplace(STDOUT_FILENO, STDIN_FILENO);
      screen_ = &*screen;
      draw();
      if (::isatty(STDIN_FILENO)) loop.on_readable(STDIN_FILENO, [&] { on_keys(run.stop()); });
    }
    auto period = std::chrono::milliseconds(static_cast<long>(interval_ * 1000 + 0.5));
    // At the end, the last stretch that no tick covered (what ran just before Ctrl-C or the end
    // of -d), unless nobody reads any more.
    int code = run.interval("", {period, [&] { tick(); },
                                 [&] {
                                   if (!full_screen_) tick(/*final=*/true);
                                 }});
    screen.reset();
    screen_ = nullptr;
    formatter_->end();
    if (uint64_t n = sampler.view().dropped().total())
      spdlog::warn("{} counts were dropped: a map was full (more than {} cgroups or {} cgroup/syscall pairs)",
                   n, hostview::HostView::max_cgroups, hostview::HostView::max_syscall_keys);
    return code;
  }

 private:
  // One record per row for every format: JSON writes its fields, text the columns below.
  Schema schema() const {
    Schema s;
    s.type = "top";
    const char* first = group_by_ == hostview::GroupBy::Pod      ? "POD"
                        : group_by_ == hostview::GroupBy::Cgroup ? "CGROUP"
                                                                 : "CONTAINER";
    auto number = [](const Record& r, const char* key) {
      const Value* v = r.get(key);
      return v && std::holds_alternative<double>(v->v) ? std::get<double>(v->v) : 0.0;
    };
    auto bytes_or_dash = [](const char* key) {
      return [key](const Record& r) {
        const Value* v = r.get(key);
        if (!v || v->is_null()) return std::string("-");
        if (auto* d = std::get_if<double>(&v->v)) return output::human_bytes(*d);
        if (auto* u = std::get_if<uint64_t>(&v->v)) return output::human_bytes(static_cast<double>(*u));
        return std::string("-");
      };
    };
    Column top_syscall{"top_syscall", "TOP_SYSCALL(%)", Align::Left};
    top_syscall.text = [number](const Record& r) {
      const Value* name = r.get("top_syscall");
      const Value* calls = r.get("syscalls");
      if (!name || name->is_null() || !calls || std::get<uint64_t>(calls->v) == 0) return std::string("-");
      return fmt::format("{} ({:.0f}%)", std::get<std::string>(name->v), number(r, "top_syscall_pct"));
    };
    Column read{"read_bytes_per_s", "READ/s", Align::Right};
    read.text = bytes_or_dash("read_bytes_per_s");
    Column write{"write_bytes_per_s", "WRITE/s", Align::Right};
    write.text = bytes_or_dash("write_bytes_per_s");
    Column ns{"ns_changes", "NS_CHANGES", Align::Right};
    ns.text = [](const Record& r) {
      uint64_t total = 0;
      if (const Value* v = r.get("ns_changes"))
        for (const auto& [k, n] : std::get<Object>(v->v)) total += std::get<uint64_t>(n.v);
      return std::to_string(total);
    };
    // processes that ended badly in the interval: exit N, or killed by a signal (OOM victims too)
    Column failed{"failed", "FAILED", Align::Right};
    Column cpu{"cpu_pct", "CPU%", Align::Right};
    cpu.text = [](const Record& r) {
      const Value* v = r.get("cpu_pct");
      return v && !v->is_null() ? fmt::format("{:.1f}", std::get<double>(v->v)) : std::string("-");
    };
    Column mem{"memory_bytes", "MEM", Align::Right};
    mem.text = bytes_or_dash("memory_bytes");
    Column status{"exited", "STATUS", Align::Left};
    status.text = [](const Record& r) {
      const Value* v = r.get("exited");
      return v && std::get<bool>(v->v) ? std::string("exited") : std::string();
    };
    s.columns = {
        {name_key(), first, Align::Left},
        {"syscalls_per_s", "SYSCALLS/s", Align::Right, 0},
        {"errors_per_s", "ERRORS/s", Align::Right, 0},
        top_syscall,
        read,
        write,
        {"opens_per_s", "OPENS/s", Align::Right, 0},
        {"connects_per_s", "CONNECTS/s", Align::Right, 0},
        {"execs_per_s", "EXECS/s", Align::Right, 0},
        failed,
        ns,
        cpu,
        mem,
        status,
    };
    return s;
  }

  const char* name_key() const {
    return group_by_ == hostview::GroupBy::Pod      ? "pod"
           : group_by_ == hostview::GroupBy::Cgroup ? "cgroup"
                                                    : "container";
  }

  // cpu.stat usage_usec and memory.current of a cgroup, when the controllers are there.
  std::optional<uint64_t> read_number(const std::string& cgroup, const char* file, const char* key) const {
    std::ifstream in(mount_ / std::filesystem::path(cgroup).relative_path() / file);
    if (!in) return std::nullopt;
    std::string k;
    uint64_t v = 0;
    if (!key) return (in >> v) ? std::optional<uint64_t>(v) : std::nullopt;
    while (in >> k >> v)
      if (k == key) return v;
    return std::nullopt;
  }

  void add_resources(std::vector<Row>& rows) {
    std::map<std::string, uint64_t> usage;
    for (auto& r : rows) {
      if (r.exited || r.group.cgroup.empty() || r.group.cgroup.rfind("cgroup:", 0) == 0) continue;
      r.memory = read_number(r.group.cgroup, "memory.current", nullptr);
      auto u = read_number(r.group.cgroup, "cpu.stat", "usage_usec");
      if (!u) continue;
      usage[r.group.cgroup] = *u;
      auto p = cpu_usage_.find(r.group.cgroup);
      if (p != cpu_usage_.end() && *u >= p->second && r.seconds > 0)
        r.cpu_pct = static_cast<double>(*u - p->second) / (r.seconds * 1e6) * 100.0;
    }
    cpu_usage_ = std::move(usage);
  }

  void tick(bool final = false) {
    auto iv = sampler_->next(/*idle=*/true);
    if (final && !iv.active) return;  // the end fell on a tick: nothing left to show
    rows_now_ = std::move(iv.rows);
    add_resources(rows_now_);
    wall_ns_ = std::chrono::duration_cast<std::chrono::nanoseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    ++intervals_;
    emit();
    // Gone long enough: forget them in the kernel too, so that churn does not fill the maps.
    sampler_->expire(kExitedGrace);
  }

  Record record(const Row& r) const {
    const auto& d = r.delta;
    auto [nr, count] = d.top_syscall();
    Record rec;
    rec.set("timestamp", format_utc(wall_ns_, TimePrecision::Millis))
        .set("interval", intervals_)
        .set("interval_s", r.seconds)
        .set(name_key(), r.group.name)
        .set("id", r.group.id)
        .set("runtime", r.group.runtime)
        .set("pod", r.group.pod)
        .set("cgroup_path", r.group.cgroup)
        .set("syscalls", d.syscalls)
        .set("syscalls_per_s", r.per_sec(d.syscalls))
        .set("errors", d.errors)
        .set("errors_per_s", r.per_sec(d.errors))
        .set("top_syscall", nr >= 0 ? Value(names_->name(nr)) : Value())
        .set("top_syscall_pct", d.syscalls && nr >= 0
                                    ? 100.0 * static_cast<double>(count) / static_cast<double>(d.syscalls)
                                    : 0.0)
        .set("read_bytes", d.read_bytes)
        .set("read_bytes_per_s", r.per_sec(d.read_bytes))
        .set("write_bytes", d.write_bytes)
        .set("write_bytes_per_s", r.per_sec(d.write_bytes))
        .set("opens", d.opens)
        .set("opens_per_s", r.per_sec(d.opens))
        .set("connects", d.connects)
        .set("connects_per_s", r.per_sec(d.connects))
        .set("connect_results", Object{{"ok", d.connect_results[HOSTVIEW_CONNECT_OK]},
                                       {"refused", d.connect_results[HOSTVIEW_CONNECT_REFUSED]},
                                       {"timeout", d.connect_results[HOSTVIEW_CONNECT_TIMEOUT]},
                                       {"other", d.connect_results[HOSTVIEW_CONNECT_OTHER]}})
        .set("execs", d.execs)
        .set("execs_per_s", r.per_sec(d.execs))
        .set("exits", Object{{"ok", d.exits[HOSTVIEW_EXIT_OK]},
                             {"code", d.exits[HOSTVIEW_EXIT_CODE]},
                             {"signal", d.exits[HOSTVIEW_EXIT_SIGNAL]}})
        .set("oom_kills", d.oom_kills)
        .set("failed", d.exits[HOSTVIEW_EXIT_CODE] + d.exits[HOSTVIEW_EXIT_SIGNAL])
        .set("ns_changes", Object{{"unshare", d.ns_changes[HOSTVIEW_NS_UNSHARE]},
                                  {"setns", d.ns_changes[HOSTVIEW_NS_SETNS]},
                                  {"clone", d.ns_changes[HOSTVIEW_NS_CLONE]}})
        .set("cpu_pct", r.cpu_pct ? Value(*r.cpu_pct) : Value())
        .set("memory_bytes", r.memory ? Value(*r.memory) : Value())
        .set("exited", r.exited);
    return rec;
  }

  // The rows shown, sorted and cut to `limit`, as a table: one per interval.
  Table table(size_t limit) const {
    std::vector<Row> rows = rows_now_;
    hostview::sort_rows(rows, sort_);
    if (rows.size() > limit) rows.resize(limit);
    Table t;
    for (const auto& r : rows) t.rows.push_back(record(r));
    t.stream_rows = true;  // JSON: a line per row
    return t;
  }

  void emit() {
    if (full_screen_) return draw();
    Table t = table(rows_ ? static_cast<size_t>(*rows_) : SIZE_MAX);
    t.title = format_utc(wall_ns_, TimePrecision::Seconds);
    t.blank_after = true;
    formatter_->table(t);
  }

  // The table through the text formatter into memory, then one frame on the screen.
  void draw() {
    if (!screen_) return;
    int height = output::terminal_height(24);
    size_t limit = static_cast<size_t>(std::max(1, height - 3));
    if (rows_) limit = std::min(limit, static_cast<size_t>(*rows_));
    std::string body = output::render_to_string(output::Format::Text, [&](output::Formatter& f) {
      f.begin(schema());
      f.table(table(limit));
    });
    screen_->draw(
        fmt::format("ctrace top - {}  every {}s  {} rows by {}  sort: {}  (s/S sort, q quit)\n\n",
                    intervals_ ? format_utc(wall_ns_) : std::string("waiting for the first interval"),
                    interval_, rows_now_.size(), by_, sort_) +
        body);
  }

  void on_keys(StopToken& stop) {
    const auto& keys = hostview::sort_keys();
    for (int c; (c = screen_->read_key()) >= 0;) {
      if (c == 'q' || c == 'Q') {
        stop.request_stop(StopReason::Interrupted);
        return;
      }
      if (c == 's' || c == 'S') {
        auto it = std::find(keys.begin(), keys.end(), sort_);
        size_t i = it == keys.end() ? 0 : static_cast<size_t>(it - keys.begin());
        i = c == 's' ? (i + 1) % keys.size() : (i + keys.size() - 1) % keys.size();
        sort_ = keys[i];
      }
    }
    draw();
  }

  target::TargetOptions target_;
  output::Format format_ = output::Format::Text;
  std::string sort_ = "syscalls";
  std::optional<int> rows_;
  double interval_ = 1;
  double duration_ = 0;
  std::string by_ = "container";

  hostview::GroupBy group_by_ = hostview::GroupBy::Container;
  std::filesystem::path mount_;
  hostview::Sampler* sampler_ = nullptr;
  std::map<std::string, uint64_t> cpu_usage_;
  std::vector<Row> rows_now_;
  int64_t wall_ns_ = 0;
  int intervals_ = 0;
  bool full_screen_ = false;
  output::FullScreen* screen_ = nullptr;
  std::unique_ptr<output::Formatter> formatter_;
  std::optional<enrich::SyscallNames> names_;  // made in run(): every command constructs every Command
};

}  // namespace

std::unique_ptr<Command> make_top() {
  return std::make_unique<TopCommand>();
}

}  // namespace ctrace::commands
