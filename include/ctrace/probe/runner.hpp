#pragma once
// Runner: the life of a command's probe, the same for every command, in this order:
//   probe::Runner run(target_, duration_);     // BPF usable? the target, or `-- CMD` (held)
//   auto& skel = run.load<stat_lbpf>([&](stat_lbpf* s) { /* its globals and map sizes */ });
//   ... the command's decoder and formatter ...
//   return run.stream(...);                    // or run.interval(...), run.dump(...)
// load() sets the container filter (common.bpf.h) before the command's own globals, loads and
// attaches, and makes the running programs follow the target when it is re-created. A driver
// tells the user the probes are attached, lets `-- CMD` start, runs the event loop until Ctrl-C,
// SIGTERM/SIGHUP, -d, CMD's exit, a closed output or the loss of the target, reports lost events
// and returns the exit code (CMD's status with `-- CMD`, else 0).
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ctrace/core/stop.hpp"
#include "ctrace/probe/event_loop.hpp"
#include "ctrace/probe/skeleton.hpp"
#include "ctrace/target/target.hpp"

namespace ctrace::probe {

class Runner {
 public:
  // `duration_sec` > 0: the drivers stop after it (-d).
  explicit Runner(const target::TargetOptions& opts, double duration_sec = 0);
  ~Runner();
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  const target::Target& target() const { return *target_; }
  const target::CgroupFs& cgroup_fs() const { return cgroup_fs_; }
  unsigned self_tgid() const;
  // `-- CMD`'s pid (0: none).
  pid_t command_pid() const;
  StopToken& stop() { return stop_; }
  // For what a command watches besides its probe (a terminal's keys, the host view's ring),
  // added before the driver runs.
  EventLoop& loop() { return loop_; }

  // Opens, configures (the filter, then `configure(T*)` for the program's own globals and map
  // sizes), loads and attaches a light skeleton, kept until the runner goes.
  template <typename T, typename Configure>
  T& load(Configure&& configure) {
    auto skel = std::make_shared<Skeleton<T>>();
    skel->load([&](T* s) {
      configure_filter(s, target(), self_tgid());
      configure(s);
    });
    skel->attach();
    T* raw = skel->get();
    on_retarget([raw](const target::Target& t) { retarget(raw, t); });
    probes_.push_back(std::move(skel));
    return *raw;
  }
  // What else follows the target when its cgroup is re-created (a recorder, the host view, the
  // target a document names). Without any, the removal of the target ends the run.
  void on_retarget(std::function<void(const target::Target&)> f) { retargets_.push_back(std::move(f)); }

  // Says now what a driver would say when it starts (before a full-screen view takes the
  // terminal); the driver then says nothing.
  void announce(const std::string& message);

  // Drivers. `message` goes to stderr once the probes are attached ("Collecting events...").
  // stream: each event of the ring buffer `ring_fd` to `on_event`; the per-CPU counter
  // `lost_fd` (CTRACE_LOST_COUNTER) read at every wake-up, a delta to `on_lost`, the total
  // in a warning at the end; `after_batch` after every batch read (a pipe's flush).
  struct Stream {
    int ring_fd = -1;
    int lost_fd = -1;
    RingBuffer::Handler on_event;
    std::function<void(uint64_t)> on_lost;
    std::function<void()> after_batch;
  };
  int stream(const std::string& message, Stream s);

  // interval: `tick` every `period` (none when zero), then `last` once the run ended and CMD
  // has exited (its last calls are in), unless nobody reads the output any more.
  struct Interval {
    std::chrono::milliseconds period{0};
    std::function<void()> tick;
    std::function<void()> last;
  };
  int interval(const std::string& message, Interval i);

  // dump: until stopped, `dump` on SIGUSR1 (and the run goes on) and once at the end (unless
  // the output was closed). With `until_empty`, the run also ends when the target cgroup
  // becomes empty: it had a process (or `recorded()` says events came) and has none now.
  struct Dump {
    std::function<void()> dump;
    bool until_empty = false;
    std::function<bool()> recorded;
  };
  int dump(const std::string& message, Dump d);

 private:
  // The probes are attached: say so, start CMD, run the loop; returns why it stopped.
  StopReason run(const std::string& message);
  // Waits for CMD (signalling it if the user stopped ctrace first): the exit code.
  int finish();
  void check_target();

  StopToken& stop_;
  target::TargetOptions opts_;
  target::CgroupFs cgroup_fs_;
  std::unique_ptr<target::CommandRunner> command_;
  std::unique_ptr<target::Target> target_;
  std::unique_ptr<target::TargetWatch> watch_;
  EventLoop loop_;
  std::chrono::milliseconds duration_{0};
  bool announced_ = false;
  std::vector<std::function<void(const target::Target&)>> retargets_;
  std::vector<std::shared_ptr<void>> probes_;  // the skeletons load() made
};

}  // namespace ctrace::probe
