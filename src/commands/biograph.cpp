// ctrace biograph: block I/O of a container per interval, drawn as a braille line chart.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <map>

#include "biograph.lskel.hpp"
#include "ctrace/commands/command.hpp"
#include "ctrace/core/cli_checks.hpp"
#include "ctrace/core/error.hpp"
#include "ctrace/core/log.hpp"
#include "ctrace/core/time.hpp"
#include "ctrace/hostview/sampler.hpp"
#include "ctrace/output/terminal.hpp"
#include "ctrace/probe/percpu.hpp"
#include "ctrace/probe/runner.hpp"
extern "C" {
#include "bpf/biograph.h"
}

namespace ctrace::commands {

namespace {

constexpr const char* kExamples = R"(EXAMPLES:
  ctrace biograph -t 500 --container web          # bytes every 500 ms, chart at Ctrl-C
  ctrace biograph -c mygroup --rw --latency       # read and write latency as two charts
  ctrace biograph -p 1234 --count -d 30           # I/Os per second of pid 1234's cgroup, 30 s
  ctrace biograph --live --container db           # redraw the chart every second
  ctrace biograph -o json -d 10 -c mygroup | jq . # one object per interval, then a summary
  ctrace biograph -- dd if=/dev/zero of=f bs=1M count=64 oflag=direct

What is counted: bios (bytes and I/Os, before the block layer merges or splits them) that
the target's tasks submit. Direct I/O (O_DIRECT) and reads that miss the page cache are
counted exactly. Buffered writes are NOT counted for the writer: the kernel's writeback
threads submit them later, outside the writer's cgroup (in hybrid cgroup mode the bio's own
cgroup is a v1 one and cannot be used). What fsync() in the target writes out itself is
counted; pages writeback had already started are not. Latency (--latency, AVG_LAT_US) is
request issue to completion, for the requests whose first bio the target submitted.)";

// The kernel's running totals, summed over CPUs, per direction.
using DirectionCounts = std::array<biograph_value, BIOGRAPH_DIRS>;

// What happened in one interval.
struct Interval {
  double start_s;  // since collecting began
  double duration_ms;
  int64_t end_wall_ns;
  DirectionCounts delta;
};

enum class Metric { Bytes, Count, Avg, Latency };

// The chart's canvas is width x height cells: bounded so that a typo cannot ask for gigabytes.
constexpr int kMinWidth = 16, kMaxWidth = 1000;
constexpr int kMinHeight = 3, kMaxHeight = 500;

uint64_t sum(const DirectionCounts& s, __u64 biograph_value::*field) {
  return s[BIOGRAPH_READ].*field + s[BIOGRAPH_WRITE].*field;
}

double ratio(uint64_t a, uint64_t b) {
  return b ? static_cast<double>(a) / static_cast<double>(b) : 0.0;
}

// The charted value of one direction (or both when `dirs` has two).
double metric_value(Metric m, const DirectionCounts& s, std::initializer_list<int> dirs) {
  uint64_t bytes = 0, ios = 0, lat_ns = 0, lat_count = 0;
  for (int d : dirs) {
    bytes += s[static_cast<size_t>(d)].bytes;
    ios += s[static_cast<size_t>(d)].ios;
    lat_ns += s[static_cast<size_t>(d)].lat_ns;
    lat_count += s[static_cast<size_t>(d)].lat_count;
  }
  switch (m) {
    case Metric::Count:
      return static_cast<double>(ios);
    case Metric::Avg:
      return ratio(bytes, ios);
    case Metric::Latency:
      return ratio(lat_ns, lat_count) / 1e3;
    case Metric::Bytes:
      break;
  }
  return static_cast<double>(bytes);
}

const char* metric_name(Metric m) {
  switch (m) {
    case Metric::Count:
      return "I/Os";
    case Metric::Avg:
      return "bytes per I/O";
    case Metric::Latency:
      return "average latency (us)";
    case Metric::Bytes:
      break;
  }
  return "bytes";
}

class BiographCommand final : public Command {
 public:
  CLI::App* setup(CLI::App& root) override {
    auto* app = root.add_subcommand("biograph", "block I/O of a container per interval, as a terminal chart");
    app->footer(kExamples);
    target::add_target_options(*app, target_);
    add_output_option(*app, format_, {output::Format::Graph, output::Format::Text, output::Format::Json});
    app->add_option("-t,--interval", interval_ms_, "one point every MS milliseconds")
        ->type_name("MS")
        ->check(CLI::Range(10, 3600 * 1000).description(""))
        ->default_str("1000");
    add_duration_option(*app, duration_);
    app->add_option("--width", width_,
                    fmt::format("chart width in columns, {}-{} (default: the terminal's, or 80)", kMinWidth,
                                kMaxWidth))
        ->type_name("N")
        ->check(cli::integer_between(kMinWidth, kMaxWidth));
    app->add_option("--height", height_,
                    fmt::format("chart height in lines, {}-{} (default: the terminal's, or 20)", kMinHeight,
                                kMaxHeight))
        ->type_name("N")
        ->check(cli::integer_between(kMinHeight, kMaxHeight));
    auto* count = app->add_flag("--count", count_, "chart I/Os per interval instead of bytes");
    auto* avg = app->add_flag("--avg", avg_, "chart bytes per I/O");
    auto* lat =
        app->add_flag("--latency", latency_, "chart the average request latency (issue to completion)");
    count->excludes(avg, lat);
    avg->excludes(lat);
    app->add_flag("--rw", rw_, "chart reads and writes as two series");
    app->add_flag("--live", live_, "redraw the chart every interval (only when stdout is a terminal)");
    app->add_flag(
           "--by-container", by_container_,
           "one chart (text/json: rows with a container field) per container, from the host view's maps")
        ->excludes(lat);
    return app;
  }

  int run(const GlobalOptions&) override {
    metric_ = count_ ? Metric::Count : avg_ ? Metric::Avg : latency_ ? Metric::Latency : Metric::Bytes;
    bool tty = ::isatty(STDOUT_FILENO);
    live_ = live_ && tty && format_ == output::Format::Graph;
    if (by_container_) return run_by_container(tty);

    probe::Runner run(target_, duration_);
    auto& skel = run.load<biograph_lbpf>([](biograph_lbpf*) {});
    run.on_retarget([&](const target::Target& t) {
      target_object_ = t.to_object();  // the summary names the cgroup followed
    });
    values_fd_ = skel.maps.biograph_values.map_fd;
    target_object_ = run.target().to_object();

    // A tty keeps a line for the shell prompt under the chart.
    formatter_ = output::make_formatter(
        format_, stdout,
        {width_.value_or(std::clamp(output::terminal_width(80), kMinWidth, kMaxWidth)),
         height_.value_or(std::clamp(tty ? output::terminal_height(21) - 1 : 20, kMinHeight, kMaxHeight)),
         live_});
    formatter_->begin(schema());

    start_ = std::chrono::steady_clock::now();
    interval_start_ = start_;
    int code = run.interval(fmt::format("Collecting events in {} ms... Ctrl-C to stop and show the {}",
                                        interval_ms_, format_ == output::Format::Graph ? "chart" : "totals"),
                            {std::chrono::milliseconds(interval_ms_), [&] { tick(); },
                             [&] {
                               if (dots_ && !live_) std::fputc('\n', stderr);
                               take_interval(true);
                               if (format_ == output::Format::Graph) draw();  // over the last live one
                               if (format_ == output::Format::Json) formatter_->table(summary());
                             }});
    formatter_->end();
    return code;
  }

 private:
  // --by-container: bytes and I/Os per container from the host view (the maps `top` reads);
  // it does not time requests, hence no --latency and no AVG_LAT_US.
  int run_by_container(bool tty) {
    probe::Runner run(target_, duration_);
    hostview::Sampler sampler(run.target(), run.self_tgid(), run.cgroup_fs().mount,
                              hostview::GroupBy::Container);
    target_object_ = run.target().to_object();
    formatter_ =
        output::make_formatter(format_, stdout,
                               {width_.value_or(output::terminal_width(80)),
                                height_.value_or(tty ? output::terminal_height(21) - 1 : 20), live_});
    Schema s = schema();
    s.columns.pop_back();  // AVG_LAT_US
    s.columns.insert(s.columns.begin() + 1, {"container", "CONTAINER", Align::Left, -1, "", 16});
    formatter_->begin(s);
    start_ = std::chrono::steady_clock::now();
    interval_start_ = start_;
    std::map<std::string, std::pair<std::string, std::vector<Interval>>> per;  // key -> name, intervals
    auto take = [&] {
      auto sample = sampler.next(/*idle=*/false);
      auto t_now = std::chrono::steady_clock::now();
      Interval base{std::chrono::duration<double>(interval_start_ - start_).count(),
                    std::chrono::duration<double, std::milli>(t_now - interval_start_).count(),
                    std::chrono::duration_cast<std::chrono::nanoseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count(),
                    {}};
      for (const auto& row : sample.rows) {
        if (!row.delta.read_ios && !row.delta.write_ios) continue;
        Interval iv = base;
        iv.delta[BIOGRAPH_READ].bytes = row.delta.read_bytes;
        iv.delta[BIOGRAPH_READ].ios = row.delta.read_ios;
        iv.delta[BIOGRAPH_WRITE].bytes = row.delta.write_bytes;
        iv.delta[BIOGRAPH_WRITE].ios = row.delta.write_ios;
        auto& entry = per[row.group.key];
        entry.first = row.group.name;
        entry.second.push_back(iv);
        if (format_ != output::Format::Graph) {
          Record rec = to_record(iv);
          std::erase_if(rec.fields,
                        [](const auto& f) { return f.first == "avg_lat_us" || f.first == "timed_requests"; });
          rec.fields.insert(rec.fields.begin() + 1, {"container", row.group.name});
          formatter_->record(rec);
        }
      }
      if (format_ != output::Format::Graph) formatter_->flush();
      interval_start_ = t_now;
    };
    auto draw_all = [&] {
      formatter_->frame();
      for (const auto& [key, entry] : per) {
        intervals_ = entry.second;
        Series s = series();
        s.title = "CONTAINER " + entry.first;
        formatter_->series(s);
      }
    };
    run.loop().add_ring_buffer(sampler.view().events());
    int code =
        run.interval(fmt::format("Collecting events in {} ms... Ctrl-C to stop and show the {} per container",
                                 interval_ms_, format_ == output::Format::Graph ? "charts" : "totals"),
                     {std::chrono::milliseconds(interval_ms_),
                      [&] {
                        take();
                        if (live_) draw_all();
                      },
                      [&] {
                        take();
                        if (format_ == output::Format::Graph) draw_all();
                      }});
    formatter_->end();
    return code;
  }

  Schema schema() const {
    Schema s;
    s.type = "interval";
    s.columns = {
        {"time", "TIME", Align::Left, -1, "", 24},
        {"read_bytes", "READ_BYTES", Align::Right, -1, "", 12},
        {"write_bytes", "WRITE_BYTES", Align::Right, -1, "", 12},
        {"ios", "IOS", Align::Right, -1, "", 8},
        {"avg_lat_us", "AVG_LAT_US", Align::Right, 1, "", 10},
    };
    return s;
  }

  DirectionCounts read_counts() const {
    DirectionCounts snap{};
    for (uint32_t dir = 0; dir < BIOGRAPH_DIRS; ++dir)
      if (!probe::sum_percpu_counters(values_fd_, &dir, snap[dir]))
        throw Error("cannot read the biograph counters: {}", errno_string(errno));
    return snap;
  }

  void tick() {
    take_interval(false);
    if (live_) {
      draw();
    } else {
      std::fputc('.', stderr);
      std::fflush(stderr);
      ++dots_;
    }
  }

  // The kernel's totals are never reset: an interval is the difference of two snapshots.
  void take_interval(bool last) {
    DirectionCounts now = read_counts();
    auto t_now = std::chrono::steady_clock::now();
    Interval iv{std::chrono::duration<double>(interval_start_ - start_).count(),
                std::chrono::duration<double, std::milli>(t_now - interval_start_).count(),
                std::chrono::duration_cast<std::chrono::nanoseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count(),
                {}};
    for (size_t d = 0; d < BIOGRAPH_DIRS; ++d) {
      iv.delta[d].bytes = now[d].bytes - prev_[d].bytes;
      iv.delta[d].ios = now[d].ios - prev_[d].ios;
      iv.delta[d].lat_ns = now[d].lat_ns - prev_[d].lat_ns;
      iv.delta[d].lat_count = now[d].lat_count - prev_[d].lat_count;
    }
    // Ctrl-C right after a tick leaves a sliver of an interval: keep it only if it holds data.
    bool empty = sum(iv.delta, &biograph_value::ios) == 0 && sum(iv.delta, &biograph_value::lat_count) == 0;
    if (last && !intervals_.empty() && empty && iv.duration_ms < interval_ms_ / 2.0) return;
    prev_ = now;
    interval_start_ = t_now;
    intervals_.push_back(iv);
    if (format_ != output::Format::Graph) {
      formatter_->record(to_record(iv));
      formatter_->flush();  // one row per interval: a pipe (| head -1) gets it now, not at exit
    }
  }

  Record to_record(const Interval& iv) const {
    const auto& r = iv.delta[BIOGRAPH_READ];
    const auto& w = iv.delta[BIOGRAPH_WRITE];
    Record rec;
    rec.set("time",
            format_utc(iv.end_wall_ns, interval_ms_ % 1000 ? TimePrecision::Millis : TimePrecision::Seconds))
        .set("start_s", iv.start_s)
        .set("duration_ms", iv.duration_ms)
        .set("read_bytes", r.bytes)
        .set("write_bytes", w.bytes)
        .set("read_ios", r.ios)
        .set("write_ios", w.ios)
        .set("ios", r.ios + w.ios)
        .set("avg_lat_us", ratio(r.lat_ns + w.lat_ns, r.lat_count + w.lat_count) / 1e3)
        .set("timed_requests", r.lat_count + w.lat_count);
    return rec;
  }

  Series series() const {
    Series s;
    s.x_label = "s";
    std::string unit = fmt::format("{} per {} ms", metric_name(metric_), interval_ms_);
    if (metric_ == Metric::Latency) unit = fmt::format("{}, every {} ms", metric_name(metric_), interval_ms_);
    if (rw_) {
      s.y = {{"read " + unit, {}}, {"write " + unit, {}}};
    } else {
      s.y = {{unit, {}}};
    }
    for (const auto& iv : intervals_) {
      s.x.push_back(iv.start_s);
      if (rw_) {
        s.y[0].second.push_back(metric_value(metric_, iv.delta, {BIOGRAPH_READ}));
        s.y[1].second.push_back(metric_value(metric_, iv.delta, {BIOGRAPH_WRITE}));
      } else {
        s.y[0].second.push_back(metric_value(metric_, iv.delta, {BIOGRAPH_READ, BIOGRAPH_WRITE}));
      }
    }
    return s;
  }

  void draw() {
    formatter_->frame();
    formatter_->series(series());
  }

  // JSON only: the whole run, per direction and in total.
  Table summary() const {
    DirectionCounts total{};
    double ms = 0;
    for (const auto& iv : intervals_) {
      ms += iv.duration_ms;
      for (size_t d = 0; d < BIOGRAPH_DIRS; ++d) {
        total[d].bytes += iv.delta[d].bytes;
        total[d].ios += iv.delta[d].ios;
        total[d].lat_ns += iv.delta[d].lat_ns;
        total[d].lat_count += iv.delta[d].lat_count;
      }
    }
    auto row = [](const char* name, const biograph_value& v) {
      Record r;
      r.set("direction", name)
          .set("bytes", v.bytes)
          .set("ios", v.ios)
          .set("avg_lat_us", ratio(v.lat_ns, v.lat_count) / 1e3)
          .set("timed_requests", v.lat_count);
      return r;
    };
    Table t;
    t.meta.emplace_back("type", "summary");  // overrides the interval records' type
    t.meta.emplace_back("target", target_object_);
    t.meta.emplace_back("interval_ms", interval_ms_);
    t.meta.emplace_back("intervals", intervals_.size());
    t.meta.emplace_back("duration_ms", ms);
    t.rows_key = "directions";
    t.rows = {row("read", total[BIOGRAPH_READ]), row("write", total[BIOGRAPH_WRITE])};
    Record all;
    all.set("read_bytes", total[BIOGRAPH_READ].bytes)
        .set("write_bytes", total[BIOGRAPH_WRITE].bytes)
        .set("bytes", sum(total, &biograph_value::bytes))
        .set("ios", sum(total, &biograph_value::ios))
        .set("avg_lat_us",
             ratio(sum(total, &biograph_value::lat_ns), sum(total, &biograph_value::lat_count)) / 1e3)
        .set("timed_requests", sum(total, &biograph_value::lat_count));
    t.total = std::move(all);
    return t;
  }

  target::TargetOptions target_;
  output::Format format_ = output::Format::Graph;
  int interval_ms_ = 1000;
  double duration_ = 0;
  std::optional<int> width_, height_;
  bool count_ = false, avg_ = false, latency_ = false, rw_ = false, live_ = false, by_container_ = false;

  Metric metric_ = Metric::Bytes;
  std::unique_ptr<output::Formatter> formatter_;
  Object target_object_;
  int values_fd_ = -1;
  DirectionCounts prev_{};
  std::chrono::steady_clock::time_point start_, interval_start_;
  std::vector<Interval> intervals_;
  int dots_ = 0;
};

}  // namespace

std::unique_ptr<Command> make_biograph() {
  return std::make_unique<BiographCommand>();
}

}  // namespace ctrace::commands
