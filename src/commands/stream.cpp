#include "ctrace/commands/stream.hpp"

#include <bpf/libbpf.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstring>
#include <map>

#include "ctrace/commands/command.hpp"
#include "ctrace/core/error.hpp"
#include "ctrace/core/log.hpp"
#include "ctrace/enrich/names.hpp"

namespace ctrace::commands {

void add_buffer_pages_option(CLI::App& app, unsigned& pages) {
  pages = kDefaultBufferPages;
  app.add_option("--buffer-pages", pages, "ring buffer size in memory pages, a power of two")
      ->type_name("N")
      ->check(CLI::Validator(
          [](std::string& s) -> std::string {
            unsigned long n = 0;
            try {
              n = std::stoul(s);
            } catch (...) {
              return "--buffer-pages takes a number of pages such as 64";
            }
            if (n == 0 || (n & (n - 1)) || n > (1UL << 20))
              return "--buffer-pages must be a power of two between 1 and 1048576, such as 64";
            return {};
          },
          "", ""))
      ->default_str(std::to_string(kDefaultBufferPages));
}

uint32_t ring_buffer_bytes(unsigned pages) {
  // --buffer-pages is at most 2^20 pages: 4 GiB would not fit max_entries
  uint64_t bytes = static_cast<uint64_t>(pages) * static_cast<uint64_t>(::getpagesize());
  if (bytes > (1ULL << 31))
    throw UsageError("--buffer-pages {} is more than 2 GiB: use at most {}", pages,
                     (1ULL << 31) / ::getpagesize());
  return static_cast<uint32_t>(bytes);
}

void add_time_precision_option(CLI::App& app, TimePrecision& precision, TimePrecision default_precision) {
  static const std::map<std::string, TimePrecision> kNames = {{"s", TimePrecision::Seconds},
                                                              {"ms", TimePrecision::Millis},
                                                              {"us", TimePrecision::Micros},
                                                              {"ns", TimePrecision::Nanos}};
  precision = default_precision;
  std::string default_name;
  for (const auto& [name, p] : kNames)
    if (p == default_precision) default_name = name;
  app.add_option("--time-precision", precision, "TIME precision: s|ms|us|ns")
      ->type_name("P")
      ->transform(CLI::Validator(
          [](std::string& s) -> std::string {
            auto it = kNames.find(s);
            if (it == kNames.end()) return fmt::format("unknown precision '{}': use s, ms, us or ns", s);
            s = std::to_string(static_cast<int>(it->second));
            return {};
          },
          "", ""))
      ->default_str(default_name);
}

Column time_column(TimePrecision p) {
  // "2026-04-21T10:42:32Z" plus ".123", ".123456" or ".123456789"
  static constexpr int kWidth[] = {20, 24, 27, 30};
  return {"time", "TIME", Align::Left, -1, "", kWidth[static_cast<int>(p)]};
}

void add_container_by_options(CLI::App& app, ContainerBy& by) {
  auto* show =
      app.add_option_function<std::string>(
             "--show",
             [&by](const std::string& what) {
               by = what == "container" ? ContainerBy::Name
                    : what == "cgroup"  ? ContainerBy::CgroupPath
                                        : ContainerBy::Hostname;
             },
             "what the container column shows: container (name from its runtime), hostname (UTS) or cgroup "
             "(path)")
          ->type_name("WHAT")
          ->check(CLI::IsMember({"container", "hostname", "cgroup"}));
  auto* id = app.add_flag_callback(
      "-C,--cgroup-id-column", [&by] { by = ContainerBy::CgroupId; },
      "tell containers apart by cgroup v2 id instead of UTS hostname");
  auto* path = app.add_flag_callback(
      "--cgroup-path", [&by] { by = ContainerBy::CgroupPath; },
      "tell containers apart by cgroup v2 path instead of UTS hostname");
  for (auto* a : {show, id, path})
    for (auto* b : {show, id, path})
      if (a != b) a->excludes(b);
}

Column container_column(ContainerBy by, const std::string& header) {
  switch (by) {
    case ContainerBy::CgroupId:
      return {"cgroup_id", "CGROUPID", Align::Right, -1, "", 8};
    case ContainerBy::CgroupPath:
      return {"cgroup", "CGROUP", Align::Left, -1, "", 32, false, Elide::Start};
    case ContainerBy::Name:
      return {"container", "CONTAINER", Align::Left, -1, "", 16, false, Elide::End};
    case ContainerBy::Hostname:
      break;
  }
  // UTS hostnames go up to 64 bytes: the column keeps their start
  return {"hostname", header, Align::Left, -1, "", 20, false, Elide::End};
}

std::string_view c_string(const char* s, size_t max) {
  return {s, strnlen(s, max)};
}

void TaskFields::add(FieldSink& out, const ctrace_task_info& t) const {
  int64_t wall = clock_.to_wall_ns(t.ts_ns);
  out.put("time", utc_text(wall, precision_).view());
  out.put("ts_ns", wall);
  out.put("hostname", c_string(t.hostname, sizeof t.hostname));
  out.put("cgroup_id", static_cast<uint64_t>(t.cgroup_id));
  if (cgroup_paths_) out.put("cgroup", cgroup_paths_->path_of(t.cgroup_id));
  if (containers_) out.put("container", container_value(*containers_, t.cgroup_id));
  out.put("pid", t.pid);
  out.put("tid", t.tid);
  out.put("uid", t.uid);
  out.put("gid", t.gid);
  out.put("comm", c_string(t.comm, sizeof t.comm));
}

void add_stream_options(CLI::App& app, StreamOptions& o) {
  target::add_target_options(app, o.target);
  add_output_option(app, o.format, {output::Format::Text, output::Format::Json});
  add_duration_option(app, o.duration);
  add_container_by_options(app, o.container_by);
  add_names_option(app, o.no_names);
  add_time_precision_option(app, o.precision, o.precision);  // the default: what the command set
  add_buffer_pages_option(app, o.buffer_pages);
}

EventNames::EventNames(const probe::Runner& run, const StreamOptions& o)
    : with_paths_(o.container_by == ContainerBy::CgroupPath),
      cgroup_paths_(run.cgroup_fs().mount),
      containers_(event_containers(run, !o.no_names)),
      task_(WallClock(), with_paths_ ? &cgroup_paths_ : nullptr, containers_.get(), o.precision) {}

void EventNames::add_other(FieldSink& out, std::string_view prefix, const ctrace_task_info& t, uint32_t ns_pid) {
  std::string key(prefix);
  auto put = [&](std::string_view name, const auto& v) {
    key.resize(prefix.size());
    key += name;
    out.put(key, v);
  };
  put("hostname", c_string(t.hostname, sizeof t.hostname));
  put("cgroup_id", static_cast<uint64_t>(t.cgroup_id));
  if (with_paths_) put("cgroup", cgroup_paths_.path_of(t.cgroup_id));
  put("container", container_value(*containers_, t.cgroup_id));
  put("pid", t.pid);
  put("ns_pid", ns_pid);
  put("tid", t.tid);
  put("uid", t.uid);
  put("comm", c_string(t.comm, sizeof t.comm));
}

std::unique_ptr<enrich::ContainerResolver> event_containers(const probe::Runner& run, bool runtime_names) {
  auto containers = std::make_unique<enrich::ContainerResolver>(run.cgroup_fs().mount, enrich::RuntimePaths{},
                                                                runtime_names);
  containers->list(true);
  return containers;
}

Value container_value(enrich::ContainerResolver& containers, uint64_t cgroup_id) {
  auto c = containers.lookup_cached(cgroup_id);
  if (!c) return {};
  return c->display_name();
}

std::string ret_text(int64_t ret) {
  if (is_syscall_error(ret)) return "-" + enrich::errno_name(static_cast<int>(-ret));
  return std::to_string(ret);
}

std::FILE* stream_stdout() {
  static bool done = false;
  // glibc ignores the size when it allocates the buffer itself (it takes st_blksize, 4 KiB):
  // one write per 10 events of a flood instead of per batch
  static char buffer[64 * 1024];
  if (!done && !::isatty(STDOUT_FILENO)) std::setvbuf(stdout, buffer, _IOFBF, sizeof buffer);
  done = true;
  return stdout;
}

int stream_events(probe::Runner& run, int ring_fd, int lost_fd, output::Formatter& out,
                  probe::RingBuffer::Handler handle, const std::string& message) {
  return run.stream(message, {ring_fd, lost_fd, std::move(handle), [&out](uint64_t n) { out.lost(n); },
                              [&out] { out.flush(); }});
}

}  // namespace ctrace::commands
