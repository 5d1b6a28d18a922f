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

#include "commands/host_groups.hpp"
#include "commands/registry.hpp"
#include "commands/top_model.hpp"
#include "ctrace/commands/session.hpp"
#include "ctrace/core/cli_checks.hpp"
#include "ctrace/core/error.hpp"
#include "ctrace/core/log.hpp"
#include "ctrace/core/time.hpp"
#include "ctrace/enrich/names.hpp"
#include "ctrace/output/terminal.hpp"
#include "ctrace/probe/event_loop.hpp"
#include "ctrace/probe/host_view.hpp"

namespace ctrace::commands {

namespace {

using top::Group;
using top::Row;

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
    for (const auto& k : top::sort_keys()) keys += (keys.empty() ? "" : "|") + k;
    app->add_option("-s,--sort", sort_, "sort by " + keys)
        ->check(CLI::IsMember(top::sort_keys()))
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
    group_by_ = top::parse_group_by(by_);
    names_.emplace(1024);
    Session session(target_);
    mount_ = session.cgroup_fs().mount;
    groups_.emplace(mount_, group_by_);
    probe::HostView view(session.target(), session.self_tgid(),
                         [this](const probe::CgroupEvent& e) { groups_->on_event(e); });
    view_ = &view;

    full_screen_ = format_ == output::Format::Text && ::isatty(STDOUT_FILENO);
    formatter_ = output::make_formatter(format_, stdout);
    formatter_->begin(schema());
    // The baseline before the user (or `-- CMD`) is told to go: nothing after it is missed.
    prev_ = view.read();
    session.attached(full_screen_ ? "Collecting... q or Ctrl-C to quit, s/S to change the sort"
                                  : "Collecting events... Ctrl-C to stop");

    std::optional<output::FullScreen> screen;
    probe::EventLoop loop(session.stop());
    loop.add_ring_buffer(view.events());
    loop.add_lost_counter(view.lost(), [this](uint64_t n) {
      if (format_ == output::Format::Json) formatter_->lost(n);
      spdlog::warn("{} cgroup creations or removals were missed: names of short-lived cgroups may be missing",
                   n);
    });
    session.watch(loop, duration_);
    auto period = std::chrono::milliseconds(static_cast<long>(interval_ * 1000 + 0.5));
    loop.every(period, [&] { tick(); });
    if (full_screen_) {
      screen.emplace(STDOUT_FILENO, STDIN_FILENO);
      screen_ = &*screen;
      draw();
      if (::isatty(STDIN_FILENO)) loop.on_readable(STDIN_FILENO, [&] { on_keys(session.stop()); });
    }
    StopReason why = loop.run();
    int code = session.finish();
    // The last stretch that no tick covered (what ran just before Ctrl-C or the end of -d),
    // unless nobody reads any more.
    if (!full_screen_ && why != StopReason::OutputClosed) tick(/*final=*/true);
    screen.reset();
    screen_ = nullptr;
    formatter_->end();
    if (uint64_t n = view.dropped().total())
      spdlog::warn("{} counts were dropped: a map was full (more than {} cgroups or {} cgroup/syscall pairs)",
                   n, probe::HostView::max_cgroups, probe::HostView::max_syscall_keys);
    return code;
  }

 private:
  Schema schema() const {
    Schema s;
    s.type = "top";
    const char* first = group_by_ == top::GroupBy::Pod      ? "POD"
                        : group_by_ == top::GroupBy::Cgroup ? "CGROUP"
                                                            : "CONTAINER";
    s.columns = {
        {"name", first, Align::Left},
        {"syscalls_per_s", "SYSCALLS/s", Align::Right, 0},
        {"errors_per_s", "ERRORS/s", Align::Right, 0},
        {"top_syscall_text", "TOP_SYSCALL(%)", Align::Left},
        {"read_text", "READ/s", Align::Right},
        {"write_text", "WRITE/s", Align::Right},
        {"opens_per_s", "OPENS/s", Align::Right, 0},
        {"connects_per_s", "CONNECTS/s", Align::Right, 0},
        {"ns_changes", "NS_CHANGES", Align::Right},
        {"cpu_text", "CPU%", Align::Right},
        {"memory_text", "MEM", Align::Right},
        {"status", "STATUS", Align::Left},
    };
    return s;
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
    probe::HostSnapshot now = view_->read();
    double seconds = std::chrono::duration<double>(now.time - prev_.time).count();
    auto delta = probe::diff(now, prev_);
    if (final && delta.empty()) return;  // the end fell on a tick: nothing left to show
    std::vector<uint64_t> ids;
    ids.reserve(now.cgroups.size());
    for (const auto& [id, _] : now.cgroups) ids.push_back(id);
    rows_now_ = top::fold(
        ids, delta, seconds, [this](uint64_t id) { return groups_->group_of(id); },
        [this](uint64_t id) { return groups_->removed(id); });
    add_resources(rows_now_);
    wall_ns_ = std::chrono::duration_cast<std::chrono::nanoseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    ++intervals_;
    emit();

    // Gone long enough: forget them in the kernel too, so that churn does not fill the maps.
    std::vector<uint64_t> expired = groups_->expire(kExitedGrace);
    for (uint64_t id : expired) now.cgroups.erase(id);
    view_->forget(expired);
    prev_ = std::move(now);
  }

  Record text_record(const Row& r) const {
    auto [nr, count] = r.delta.top_syscall();
    std::string top_text = "-";
    if (nr >= 0 && r.delta.syscalls)
      top_text = fmt::format("{} ({:.0f}%)", names_->name(nr),
                             100.0 * static_cast<double>(count) / static_cast<double>(r.delta.syscalls));
    Record rec;
    rec.set("name", r.group.name)
        .set("syscalls_per_s", r.per_sec(r.delta.syscalls))
        .set("errors_per_s", r.per_sec(r.delta.errors))
        .set("top_syscall_text", top_text)
        .set("read_text", top::human_bytes(r.per_sec(r.delta.read_bytes)))
        .set("write_text", top::human_bytes(r.per_sec(r.delta.write_bytes)))
        .set("opens_per_s", r.per_sec(r.delta.opens))
        .set("connects_per_s", r.per_sec(r.delta.connects))
        .set("ns_changes", r.delta.ns_changes_total())
        .set("cpu_text", r.cpu_pct ? fmt::format("{:.1f}", *r.cpu_pct) : "-")
        .set("memory_text", r.memory ? top::human_bytes(static_cast<double>(*r.memory)) : "-")
        .set("status", r.exited ? "exited" : "");
    return rec;
  }

  Record json_record(const Row& r) const {
    const auto& d = r.delta;
    auto [nr, count] = d.top_syscall();
    Record rec;
    rec.set("timestamp", format_utc(wall_ns_, TimePrecision::Millis))
        .set("interval", intervals_)
        .set("interval_s", r.seconds)
        .set(group_by_ == top::GroupBy::Pod      ? "pod"
             : group_by_ == top::GroupBy::Cgroup ? "cgroup"
                                                 : "container",
             r.group.name)
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
        .set("connect_results", Object{{"ok", d.connect_results[0]},
                                               {"refused", d.connect_results[1]},
                                               {"timeout", d.connect_results[2]},
                                               {"other", d.connect_results[3]}})
        .set("ns_changes",
             Object{
                 {"unshare", d.ns_changes[0]}, {"setns", d.ns_changes[1]}, {"clone", d.ns_changes[2]}})
        .set("cpu_pct", r.cpu_pct ? Value(*r.cpu_pct) : Value())
        .set("memory_bytes", r.memory ? Value(*r.memory) : Value())
        .set("exited", r.exited);
    return rec;
  }


  std::vector<Row> visible_rows(size_t limit) const {
    std::vector<Row> rows = rows_now_;
    top::sort_rows(rows, sort_);
    if (rows.size() > limit) rows.resize(limit);
    return rows;
  }

  void emit() {
    if (full_screen_) return draw();
    size_t limit = rows_ ? static_cast<size_t>(*rows_) : SIZE_MAX;
    auto rows = visible_rows(limit);
    if (format_ == output::Format::Json) {
      for (const auto& r : rows) formatter_->record(json_record(r));
      formatter_->flush();
      return;
    }
    Table t;
    for (const auto& r : rows) t.rows.push_back(text_record(r));
    std::fprintf(stdout, "%s\n", format_utc(wall_ns_, TimePrecision::Seconds).c_str());
    formatter_->table(t);
    std::fputc('\n', stdout);
    std::fflush(stdout);
  }

  // The table through the text formatter into memory, then one frame on the screen.
  void draw() {
    if (!screen_) return;
    int height = terminal_height(24);
    size_t limit = static_cast<size_t>(std::max(1, height - 3));
    if (rows_) limit = std::min(limit, static_cast<size_t>(*rows_));
    auto rows = visible_rows(limit);
    std::string body = output::render_to_string(output::Format::Text, [&](output::Formatter& f) {
      f.begin(schema());
      Table t;
      for (const auto& r : rows) t.rows.push_back(text_record(r));
      f.table(t);
    });
    int width = terminal_width(80);
    std::string frame =
        fmt::format("ctrace top - {}  every {}s  {} rows by {}  sort: {}  (s/S sort, q quit)\n",
                    intervals_ ? format_utc(wall_ns_) : std::string("waiting for the first interval"),
                    interval_, rows_now_.size(), by_, sort_);
    frame += "\n";
    // Lines longer than the terminal would wrap and scroll the frame: cut them.
    size_t start = 0;
    while (start < body.size()) {
      size_t nl = body.find('\n', start);
      if (nl == std::string::npos) nl = body.size();
      frame += body.substr(start, std::min(nl - start, static_cast<size_t>(width)));
      frame += '\n';
      start = nl + 1;
    }
    if (!frame.empty() && frame.back() == '\n') frame.pop_back();
    screen_->draw(frame);
  }

  void on_keys(StopToken& stop) {
    const auto& keys = top::sort_keys();
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

  top::GroupBy group_by_ = top::GroupBy::Container;
  std::filesystem::path mount_;
  std::optional<top::HostGroups> groups_;
  probe::HostView* view_ = nullptr;
  std::map<std::string, uint64_t> cpu_usage_;
  probe::HostSnapshot prev_;
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
