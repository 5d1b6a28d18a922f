#pragma once
// Session: what every tracing command does around its own probe, in order:
//   Session s(target_opts);        // BPF usable? resolve the target or start `-- CMD` (held)
//   ... open skeleton, configure_filter(rodata, s.target(), s.self_tgid()), load, attach ...
//   s.attached("Collecting events...");   // tell the user; let CMD run
//   EventLoop loop(s.stop()); s.watch(loop); ... loop.run();
//   return s.finish();             // wait for CMD; exit code (CMD's status, or 0)
#include <functional>
#include <memory>
#include <string>

#include "ctrace/core/stop.hpp"
#include "ctrace/probe/event_loop.hpp"
#include "ctrace/target/target.hpp"

namespace ctrace::commands {

class Session {
 public:
  explicit Session(const target::TargetOptions& opts);
  ~Session();

  const target::Target& target() const { return *target_; }
  const target::CgroupFs& cgroup_fs() const { return cgroup_fs_; }
  unsigned self_tgid() const;
  StopToken& stop() { return stop_; }

  // Probes are attached: prints `message` on stderr and lets `-- CMD` start.
  void attached(const std::string& message);
  // After load: how to point the kernel side at a new cgroup. With it, a target given as a
  // container (or with --wait) is followed when its cgroup is re-created; without it, or
  // for -c/--cgroup-id/-p without --wait, the removal of the target ends the run.
  void follow(std::function<void(const target::Target&)> retarget) { retarget_ = std::move(retarget); }
  // Adds CMD's exit (when there is one), the duration (when > 0) and the removal of the
  // target cgroup to the loop.
  void watch(probe::EventLoop& loop, double duration_sec);
  // Waits for CMD (signalling it if the user stopped ctrace first) and returns the exit code.
  int finish();
  bool has_command() const { return runner_ != nullptr; }

 private:
  void check_target();
  StopToken& stop_;
  target::TargetOptions opts_;
  target::CgroupFs cgroup_fs_;
  std::unique_ptr<target::TargetWatch> watch_;
  std::function<void(const target::Target&)> retarget_;
  std::unique_ptr<target::CommandRunner> runner_;
  std::unique_ptr<target::Target> target_;
};

// Terminal width of stdout, or `fallback` when stdout is not a tty.
int terminal_width(int fallback = 80);
// Terminal height (rows) of stdout, or `fallback` when stdout is not a tty.
int terminal_height(int fallback = 20);

}  // namespace ctrace::commands
