#pragma once
// What the commands that stream one event per line share: `--buffer-pages`, the container
// column (hostname, `-C` cgroup id, `--cgroup-path`), the task fields every event starts
// with (bpf/task_info.h), the text of a return value, and the loop from ring buffer to
// formatter.
#include <linux/types.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>

#include "ctrace/core/time.hpp"
#include "ctrace/enrich/cgroups.hpp"
#include "ctrace/enrich/container_info.hpp"
#include "ctrace/output/formatter.hpp"
#include "ctrace/probe/runner.hpp"
extern "C" {
#include "bpf/task_info.h"
}

namespace CLI {
class App;
}

namespace ctrace::commands {

// The default ring: 512 pages (2 MiB with 4 KiB pages), about 11000 openclose events (short
// paths) or 15000 unshare events in flight. The kernel maps a ring's data pages twice, so it
// costs twice its size in RSS (within the 12 MB budget of a ring command). Measured with
// stream_flood.sh: unshare and openclose keep up with 400k events/s written as JSON with it
// (bench/README.md).
inline constexpr unsigned kDefaultBufferPages = 512;

// `--buffer-pages N`: ring buffer size in pages, a power of two.
void add_buffer_pages_option(CLI::App& app, unsigned& pages);

// The max_entries of a BPF ring buffer of `pages` pages (set between open and load).
uint32_t ring_buffer_bytes(unsigned pages);

// `--time-precision s|ms|us|ns`: the TIME column and JSON "time" string (ts_ns is always
// exact; note that jq 1.6 reads it as a double, which rounds it to 17 digits).
void add_time_precision_option(CLI::App& app, TimePrecision& precision, TimePrecision default_precision);
// The TIME column at that precision.
Column time_column(TimePrecision p);

// How events say which container they come from.
enum class ContainerBy { Hostname, CgroupId, CgroupPath, Name };

// `--show container|hostname|cgroup`, `-C/--cgroup-id-column` and `--cgroup-path` (= --show cgroup).
void add_container_by_options(CLI::App& app, ContainerBy& by);

// The text column for the container: HOSTNAME (or `header`), CGROUPID, CGROUP or CONTAINER.
Column container_column(ContainerBy by, const std::string& header = "HOSTNAME");

// Puts the task header of an event: time, ts_ns, hostname, cgroup_id,
// cgroup (with --cgroup-path), container (with a resolver), pid, tid, uid, gid, comm.
class TaskFields {
 public:
  TaskFields(WallClock clock, enrich::CgroupNames* cgroup_paths,
             enrich::ContainerResolver* containers = nullptr,
             TimePrecision precision = TimePrecision::Seconds)
      : clock_(clock), cgroup_paths_(cgroup_paths), containers_(containers), precision_(precision) {}
  void add(FieldSink& out, const ctrace_task_info& t) const;

 private:
  WallClock clock_;
  enrich::CgroupNames* cgroup_paths_;      // null: no "cgroup" field
  enrich::ContainerResolver* containers_;  // null: no "container" field
  TimePrecision precision_;
};

// The resolver that names the containers of a stream's events: those there are now are named
// before the first event, new ones in the background. `runtime_names` false (--no-names): path
// patterns only.
std::unique_ptr<enrich::ContainerResolver> event_containers(const probe::Runner& run, bool runtime_names);

// The "container" field of an event: the container's name from the resolver's cache (never
// waiting for it: null until resolved), null outside containers.
Value container_value(enrich::ContainerResolver& containers, uint64_t cgroup_id);

// A syscall return value as printed: "5", "0", "-ENOENT".
std::string ret_text(int64_t ret);

// A fixed-size C string field of a BPF event (may lack its NUL).
std::string_view c_string(const char* s, size_t max);

// A ring record of an event whose tail is sent only as far as it is used (a path, argv): at least
// its `fixed` first bytes, copied into `out` (at most sizeof out), the rest of `out` zeroed.
// False when the record is shorter than `fixed`.
template <typename Event>
bool event_from(const void* data, size_t size, size_t fixed, Event& out) {
  static_assert(std::is_trivially_copyable_v<Event>);
  if (size < fixed) return false;
  size = std::min(size, sizeof out);
  std::memcpy(&out, data, size);
  std::memset(reinterpret_cast<char*>(&out) + size, 0, sizeof out - size);
  return true;
}

// stdout for an event stream, before anything is written to it: a file or a pipe gets a 64 KiB
// buffer, so that a batch of events is one write (stream_events() flushes after each batch, so
// a slow stream still reaches a pipe event by event); a terminal stays line-buffered.
std::FILE* stream_stdout();

// What every event command takes, in one block (the same spelling everywhere): the target
// options, -o text|json, -d, --show/-C/--cgroup-path, --no-names, --time-precision and
// --buffer-pages. Commands with their own options add them after add_stream_options().
struct StreamOptions {
  target::TargetOptions target;
  output::Format format = output::Format::Text;
  double duration = 0;
  ContainerBy container_by = ContainerBy::Hostname;
  bool no_names = false;
  TimePrecision precision = TimePrecision::Micros;
  unsigned buffer_pages = kDefaultBufferPages;
};
void add_stream_options(CLI::App& app, StreamOptions& o);

// What names an event's task from the options: the cgroup paths (--cgroup-path), the container
// resolver and the task fields that use them (they point into this object: keep it in place).
class EventNames {
 public:
  EventNames(const probe::Runner& run, const StreamOptions& o);
  EventNames(const EventNames&) = delete;
  EventNames& operator=(const EventNames&) = delete;
  const TaskFields& task() const { return task_; }
  // Another task than the event's own (a signal's sender and target): hostname, cgroup_id,
  // cgroup, container, pid, ns_pid, tid, uid, comm under keys that start with `prefix`.
  void add_other(FieldSink& out, std::string_view prefix, const ctrace_task_info& t, uint32_t ns_pid);

 private:
  bool with_paths_;
  enrich::CgroupNames cgroup_paths_;
  std::unique_ptr<enrich::ContainerResolver> containers_;
  TaskFields task_;
};

// The stream driver (probe::Runner::stream) into a formatter: every event of the ring goes to
// `handle`, lost events to `out.lost()`, output is flushed after every batch. Returns the exit
// code; the caller prints what comes after the stream (a table) and calls out.end().
int stream_events(probe::Runner& run, int ring_fd, int lost_fd, output::Formatter& out,
                  probe::RingBuffer::Handler handle,
                  const std::string& message = "Collecting events... Ctrl-C to stop");

// The whole run of a command that streams one kind of event (exec, exit, signal, oomkill):
// load `Skel` (`configure` sets its rodata; the ring `maps(skel).first` is sized from
// --buffer-pages), name tasks from the options, and hand every record of at least `min_size`
// bytes to `decode(data, size, names, sink)`, one output record each. Returns the exit code.
template <typename Skel, typename Maps, typename Configure, typename Decode>
int run_event_stream(const StreamOptions& o, const Schema& schema, size_t min_size, Maps maps,
                     Configure configure, Decode decode) {
  probe::Runner run(o.target, o.duration);
  auto& skel = run.load<Skel>([&](Skel* s) {
    configure(s);
    maps(*s).first->max_entries = ring_buffer_bytes(o.buffer_pages);
  });
  EventNames names(run, o);
  auto out = output::make_formatter(o.format, stream_stdout());
  out->begin(schema);
  auto [events, lost] = maps(skel);
  int code = stream_events(run, events->map_fd, lost->map_fd, *out, [&](const void* data, size_t size) {
    if (size < min_size) return;
    decode(data, size, names, out->start_record());
    out->finish_record();
  });
  out->end();
  return code;
}

}  // namespace ctrace::commands
