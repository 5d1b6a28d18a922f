// ctrace stat: syscall count, latency and errors of a container, aggregated in the kernel.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>

#include "ctrace/commands/command.hpp"
#include "ctrace/core/cli_checks.hpp"
#include "ctrace/core/error.hpp"
#include "ctrace/core/log.hpp"
#include "ctrace/core/time.hpp"
#include "ctrace/enrich/names.hpp"
#include "ctrace/hostview/sampler.hpp"
#include "ctrace/output/terminal.hpp"
#include "ctrace/probe/percpu.hpp"
#include "ctrace/probe/runner.hpp"
#include "stat.lskel.hpp"
extern "C" {
#include "bpf/stat.h"
}

namespace ctrace::commands {

namespace {

constexpr const char* kExamples = R"(EXAMPLES:
  ctrace stat -c system.slice/docker-3f2a.scope   # a cgroup, relative to the cgroup2 mount
  ctrace stat --container 3f2a                    # a container by id prefix
  ctrace stat -p 1234 -L -T 10                    # the cgroup of pid 1234, top 10 with latency
  ctrace stat -s time -d 5 -o json | jq .         # 5 seconds, as one JSON document
  ctrace stat -i 1 --container web                # a table every second, like top
  ctrace stat -x -c mygroup                       # only failed calls
  ctrace stat --histogram read -- dd if=/dev/zero of=/dev/null count=100000
  ctrace stat -o graph -- sh -c 'ls -R /usr >/dev/null'

Counts are per syscall exit: calls that never return (exit, exit_group) are not counted.)";

// What one syscall did, summed over CPUs.
struct SyscallTotals {
  uint64_t count = 0, total_ns = 0, max_ns = 0, errors = 0;
  uint64_t hist[STAT_HIST_BUCKETS] = {};
};
using SyscallCounts = std::vector<SyscallTotals>;  // by syscall nr

class StatCommand final : public Command {
 public:
  CLI::App* setup(CLI::App& root) override {
    auto* app = root.add_subcommand("stat", "syscall statistics of a container: count, time, errors");
    app->footer(kExamples);
    target::add_target_options(*app, target_);
    add_output_option(*app, format_, {output::Format::Text, output::Format::Json, output::Format::Graph});
    app->add_option("-s,--sort", sort_, "sort by count|time|errors|name")
        ->check(CLI::IsMember({"count", "time", "errors", "name"}))
        ->default_str("count");
    app->add_option("-T,--top", top_, "show only the first N syscalls")->check(cli::positive_integer());
    app->add_option("-i,--interval", interval_, "print a table every SEC seconds (like top)")
        ->type_name("SEC")
        ->check(cli::seconds());
    add_duration_option(*app, duration_);
    app->add_flag("-L,--latency", latency_, "add AVG(us) and MAX(us) columns");
    app->add_option("--histogram", histogram_, "log2 latency histogram of this syscall at the end")
        ->type_name("SYSCALL");
    add_failed_option(*app, failures_, {"--failures"});
    app->add_flag("--by-container", by_container_,
                  "one table per container (counts and errors, from the host view's maps)");
    return app;
  }

  int run(const GlobalOptions&) override {
    if (by_container_) return run_by_container();
    int hist_nr = -1;
    if (!histogram_.empty()) {
      auto nr = enrich::SyscallNames::lookup(histogram_);
      if (!nr || *nr >= STAT_MAX_SYSCALLS)
        throw UsageError("unknown syscall '{}' for --histogram: give a name such as read or openat",
                         histogram_);
      hist_nr = *nr;
    }

    probe::Runner run(target_, duration_);
    auto& skel = run.load<stat_lbpf>([&](stat_lbpf* s) {
      s->rodata->targ_failures_only = failures_;
      s->rodata->targ_hist_nr = hist_nr;
    });
    run.on_retarget([&](const target::Target& t) {
      target_object_ = t.to_object();  // the documents from now on count the new cgroup
    });
    values_fd_ = skel.maps.stat_values.map_fd;
    probe::LostCounter lost(skel.maps.stat_lost.map_fd);

    formatter_ = output::make_formatter(format_, stdout, {output::terminal_width(), 20});
    formatter_->begin(schema());
    hist_nr_ = hist_nr;

    target_object_ = run.target().to_object();
    interval_start_ = std::chrono::steady_clock::now();
    int code = run.interval(
        "Collecting events... Ctrl-C to stop and show stat",
        {period(), [&] { print_interval(lost.total()); }, [&] { print_interval(lost.total()); }});
    formatter_->end();
    if (uint64_t n = lost.total())
      spdlog::warn("{} syscall entries could not be timed (task storage full); counts are low by that much",
                   n);
    return code;
  }

 private:
  // --by-container: the host view's per-(cgroup, syscall) counts folded into containers; the
  // host view does not time syscalls (see bench/README.md), so there are no time columns.
  int run_by_container() {
    if (latency_ || !histogram_.empty() || failures_ || sort_ == "time")
      throw UsageError("--by-container counts calls and errors only: drop -L, --histogram, -x and -s time");
    probe::Runner run(target_, duration_);
    hostview::Sampler sampler(run.target(), run.self_tgid(), run.cgroup_fs().mount,
                              hostview::GroupBy::Container);
    formatter_ = output::make_formatter(format_, stdout, {output::terminal_width(), 20});
    Schema schema;
    schema.type = "stat";
    schema.columns = {{"name", "SYSCALL", Align::Left},
                      {"count", "COUNT", Align::Right},
                      {"count_pct", "(%)", Align::Right, 2, "%"},
                      {"errors", "ERRORS", Align::Right}};
    formatter_->begin(schema);
    target_object_ = run.target().to_object();
    run.loop().add_ring_buffer(sampler.view().events());
    auto print = [&] {
      auto iv = sampler.next(/*idle=*/false);
      hostview::sort_rows(iv.rows, sort_ == "errors" ? "errors" : sort_ == "name" ? "name" : "syscalls");
      for (const auto& row : iv.rows) formatter_->table(container_table(row, iv.seconds * 1000));
      ++intervals_;
    };
    int code = run.interval("Collecting events... Ctrl-C to stop and show stat per container",
                            {period(), print, print});
    formatter_->end();
    if (uint64_t n = sampler.view().dropped().total())
      spdlog::warn("{} counts were dropped: a map was full (more than {} cgroups or {} cgroup/syscall pairs)",
                   n, hostview::HostView::max_cgroups, hostview::HostView::max_syscall_keys);
    return code;
  }

  Table container_table(const hostview::Row& row, double duration_ms) {
    const auto& d = row.delta;
    std::vector<std::pair<uint32_t, hostview::SyscallCount>> calls(d.per_syscall.begin(),
                                                                   d.per_syscall.end());
    auto name_of = [&](uint32_t nr) { return names_.name(static_cast<int>(nr)); };
    std::sort(calls.begin(), calls.end(), [&](const auto& a, const auto& b) {
      uint64_t ka = sort_ == "errors" ? a.second.errors : a.second.count;
      uint64_t kb = sort_ == "errors" ? b.second.errors : b.second.count;
      if (sort_ != "name" && ka != kb) return ka > kb;
      return name_of(a.first) < name_of(b.first);
    });
    if (top_ && calls.size() > static_cast<size_t>(*top_)) calls.resize(static_cast<size_t>(*top_));
    Table t;
    t.rows_key = "syscalls";
    t.label_key = "name";
    t.bar_key = sort_ == "errors" ? "errors" : "count";
    uint64_t all = d.syscalls;
    for (const auto& [nr, c] : calls) {
      Record r;
      r.set("name", name_of(nr))
          .set("nr", nr)
          .set("count", c.count)
          .set("count_pct", all ? 100.0 * static_cast<double>(c.count) / static_cast<double>(all) : 0.0)
          .set("errors", c.errors);
      t.rows.push_back(std::move(r));
    }
    Record total;
    total.set("name", "ALL").set("count", d.syscalls).set("errors", d.errors);
    t.total = std::move(total);
    Object container{{"name", row.group.name}, {"id", row.group.id},         {"runtime", row.group.runtime},
                     {"pod", row.group.pod},   {"cgroup", row.group.cgroup}, {"exited", row.exited}};
    t.meta.emplace_back("container", container);
    t.meta.emplace_back("target", target_object_);
    t.meta.emplace_back("duration_ms", duration_ms);
    if (interval_ > 0) t.meta.emplace_back("interval", intervals_ + 1);
    // whose table follows (text and graph), a section of its own
    t.title = "CONTAINER " + row.group.name;
    if (!row.group.runtime.empty())
      t.title += " (" + row.group.runtime + " " + row.group.id.substr(0, 12) + ")";
    if (row.exited) t.title += " exited";
    t.blank_before = true;
    return t;
  }

  Schema schema() const {
    Schema s;
    s.type = "stat";
    s.columns = {
        {"name", "SYSCALL", Align::Left},
        {"count", "COUNT", Align::Right},
        {"count_pct", "(%)", Align::Right, 2, "%"},
        {"elapsed_ms", "ELAPSED(ms)", Align::Right, 3},
        {"elapsed_pct", "(%)", Align::Right, 2, "%"},
        {"errors", "ERRORS", Align::Right},
    };
    if (latency_) {
      s.columns.push_back({"avg_us", "AVG(us)", Align::Right, 3});
      s.columns.push_back({"max_us", "MAX(us)", Align::Right, 3});
    }
    return s;
  }

  // -i SEC, 0 when there is one table at the end.
  std::chrono::milliseconds period() const {
    return std::chrono::milliseconds(static_cast<long>(interval_ * 1000 + 0.5));
  }

  SyscallCounts read_counts() const {
    SyscallCounts snap(STAT_MAX_SYSCALLS);
    for (uint32_t nr = 0; nr < STAT_MAX_SYSCALLS; ++nr)
      probe::sum_percpu<stat_value>(values_fd_, &nr, snap[nr], [](SyscallTotals& t, const stat_value& v) {
        t.count += v.count;
        t.total_ns += v.total_ns;
        t.max_ns = std::max<uint64_t>(t.max_ns, v.max_ns);
        t.errors += v.errors;
        for (int b = 0; b < STAT_HIST_BUCKETS; ++b) t.hist[b] += v.hist[b];
      });
    return snap;
  }

  // Prints what happened since the previous table: the kernel's counters are never reset,
  // so an interval is the difference of two snapshots (max is since the start).
  void print_interval(uint64_t lost_total) {
    SyscallCounts now = read_counts();
    auto t_now = std::chrono::steady_clock::now();
    SyscallCounts delta(now.size());
    for (size_t nr = 0; nr < now.size(); ++nr) {
      const SyscallTotals& a = now[nr];
      const SyscallTotals b = prev_.empty() ? SyscallTotals{} : prev_[nr];
      delta[nr] = {a.count - b.count, a.total_ns - b.total_ns, a.max_ns, a.errors - b.errors, {}};
      for (int i = 0; i < STAT_HIST_BUCKETS; ++i) delta[nr].hist[i] = a.hist[i] - b.hist[i];
    }
    auto ms = std::chrono::duration<double, std::milli>(t_now - interval_start_).count();
    formatter_->table(make_table(delta, ms, lost_total - lost_reported_));
    lost_reported_ = lost_total;
    prev_ = std::move(now);
    interval_start_ = t_now;
    ++intervals_;
  }

  Table make_table(const SyscallCounts& snap, double duration_ms, uint64_t lost) const {
    uint64_t all_count = 0, all_ns = 0, all_err = 0, all_max = 0;
    std::vector<uint32_t> nrs;
    for (uint32_t nr = 0; nr < snap.size(); ++nr) {
      if (!snap[nr].count) continue;
      nrs.push_back(nr);
      all_count += snap[nr].count;
      all_ns += snap[nr].total_ns;
      all_err += snap[nr].errors;
      all_max = std::max(all_max, snap[nr].max_ns);
    }
    auto key = [&](uint32_t nr) -> uint64_t {
      const SyscallTotals& t = snap[nr];
      return sort_ == "time" ? t.total_ns : sort_ == "errors" ? t.errors : t.count;
    };
    std::sort(nrs.begin(), nrs.end(), [&](uint32_t a, uint32_t b) {
      if (sort_ != "name" && key(a) != key(b)) return key(a) > key(b);
      return names_.name(static_cast<int>(a)) < names_.name(static_cast<int>(b));
    });
    if (top_ && nrs.size() > static_cast<size_t>(*top_)) nrs.resize(static_cast<size_t>(*top_));

    auto pct = [](uint64_t part, uint64_t whole) {
      return whole ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : 0.0;
    };
    Table table;
    table.rows_key = "syscalls";
    table.label_key = "name";
    table.bar_key = sort_ == "time" ? "elapsed_ms" : sort_ == "errors" ? "errors" : "count";
    for (uint32_t nr : nrs) {
      const SyscallTotals& t = snap[nr];
      Record r;
      r.set("name", names_.name(static_cast<int>(nr)))
          .set("nr", nr)
          .set("count", t.count)
          .set("count_pct", pct(t.count, all_count))
          .set("elapsed_ms", static_cast<double>(t.total_ns) / 1e6)
          .set("elapsed_pct", pct(t.total_ns, all_ns))
          .set("errors", t.errors)
          .set("avg_us", t.count ? static_cast<double>(t.total_ns) / static_cast<double>(t.count) / 1e3 : 0.0)
          .set("max_us", static_cast<double>(t.max_ns) / 1e3);
      table.rows.push_back(std::move(r));
    }
    Record total;
    total.set("name", "ALL")
        .set("count", all_count)
        .set("elapsed_ms", static_cast<double>(all_ns) / 1e6)
        .set("errors", all_err)
        .set("avg_us", all_count ? static_cast<double>(all_ns) / static_cast<double>(all_count) / 1e3 : 0.0)
        .set("max_us", static_cast<double>(all_max) / 1e3);
    table.total = std::move(total);
    table.meta.emplace_back("target", target_object_);
    table.meta.emplace_back("duration_ms", duration_ms);
    if (interval_ > 0) {
      // a table per interval says when it was taken
      int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
      table.title = format_utc(now, TimePrecision::Millis);
      table.meta.emplace_back("time", table.title);
      table.meta.emplace_back("interval", intervals_ + 1);
    }
    table.empty_text = "no syscalls";
    table.lost = lost;
    if (hist_nr_ >= 0) table.histograms.push_back(histogram(snap[static_cast<size_t>(hist_nr_)]));
    return table;
  }

  Histogram histogram(const SyscallTotals& t) const {
    Histogram h;
    h.title = names_.name(hist_nr_);
    h.unit = "usecs";
    int last = -1;
    for (int b = 0; b < STAT_HIST_BUCKETS; ++b)
      if (t.hist[b]) last = b;
    // bucket 0 holds 0 us; bucket b holds [2^(b-1), 2^b - 1] us
    for (int b = 0; b <= last; ++b) {
      uint64_t low = b == 0 ? 0 : (1ULL << (b - 1));
      uint64_t high = b == 0 ? 0 : (1ULL << b) - 1;
      h.buckets.push_back({low, high, t.hist[b]});
    }
    return h;
  }

  target::TargetOptions target_;
  output::Format format_ = output::Format::Text;
  std::string sort_ = "count";
  std::optional<int> top_;
  double interval_ = 0;
  double duration_ = 0;
  bool latency_ = false;
  std::string histogram_;
  bool failures_ = false;
  bool by_container_ = false;

  enrich::SyscallNames names_{STAT_MAX_SYSCALLS};
  std::unique_ptr<output::Formatter> formatter_;
  Object target_object_;
  int values_fd_ = -1;
  int hist_nr_ = -1;
  SyscallCounts prev_;
  std::chrono::steady_clock::time_point interval_start_;
  uint64_t lost_reported_ = 0;
  int intervals_ = 0;
};

}  // namespace

std::unique_ptr<Command> make_stat() {
  return std::make_unique<StatCommand>();
}

}  // namespace ctrace::commands
