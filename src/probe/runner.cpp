#include "ctrace/probe/runner.hpp"

#include <signal.h>
#include <unistd.h>

#include <fstream>

#include "ctrace/core/log.hpp"
#include "ctrace/core/unique_fd.hpp"

namespace ctrace::probe {

namespace {

// "populated 0" in cgroup.events: the cgroup has no process left.
bool cgroup_empty(const std::filesystem::path& dir) {
  std::ifstream in(dir / "cgroup.events");
  std::string key;
  int value = 1;
  while (in >> key >> value)
    if (key == "populated") return value == 0;
  return false;
}

}  // namespace

Runner::Runner(const target::TargetOptions& opts, double duration_sec)
    : stop_(StopToken::install()),
      opts_(opts),
      loop_(stop_),
      duration_(static_cast<long>(duration_sec * 1000.0 + 0.5)) {
  check_bpf_available();
  cgroup_fs_ = target::CgroupFs::discover();
  if (!opts.command.empty()) {
    command_ = std::make_unique<target::CommandRunner>(opts.command, cgroup_fs_);
    target_ = std::make_unique<target::Target>(command_->target());
  } else {
    target_ = std::make_unique<target::Target>(target::resolve(opts, cgroup_fs_));
  }
  if (target_->mode == target::Mode::Cgroup)
    spdlog::debug("target: {} = {} (id {}, level {}{})", target_->description, target_->cgroup_path,
                  target_->cgroup_id, target_->level, target_->exact ? ", exact" : "");
}

Runner::~Runner() = default;

unsigned Runner::self_tgid() const {
  return static_cast<unsigned>(::getpid());
}

pid_t Runner::command_pid() const {
  return command_ ? command_->pid() : 0;
}

StopReason Runner::run(const std::string& message) {
  if (command_) loop_.stop_when_readable(command_->exit_fd(), StopReason::TargetExited);
  if (duration_.count() > 0) loop_.stop_after(duration_);
  // `-- CMD`'s cgroup is ours until the end; the root cgroup cannot go away.
  if (!command_ && target_->mode == target::Mode::Cgroup && target_->cgroup_dir != cgroup_fs_.mount) {
    watch_ = std::make_unique<target::TargetWatch>(*target_, opts_, cgroup_fs_);
    loop_.on_readable(watch_->fd(), [this] { check_target(); });
    check_target();  // removed before the watch was set
  }
  announce(message);
  if (command_) command_->start();
  return loop_.run();
}

void Runner::check_target() {
  target::Target next = *target_;
  auto change = watch_->read(next);
  if (change == target::TargetWatch::Change::Removed) {
    notice(fmt::format("target cgroup {} was removed", target_->cgroup_path));
    if (!watch_->follows() || retargets_.empty()) {
      stop_.request_stop(StopReason::TargetExited);
      return;
    }
    notice(opts_.container.empty()
               ? fmt::format("waiting for {} to be created again (--wait)", target_->cgroup_path)
               : fmt::format("waiting for container {} to start again", opts_.container));
    change = watch_->read(next);  // it may be back already
  }
  if (change == target::TargetWatch::Change::Back) {
    for (const auto& f : retargets_) f(next);
    *target_ = std::move(next);
    notice(opts_.container.empty() ? fmt::format("cgroup {} was created again: following cgroup {}",
                                                 target_->cgroup_path, target_->cgroup_id)
                                   : fmt::format("container {} restarted: following cgroup {}",
                                                 opts_.container, target_->cgroup_id));
  }
}

void Runner::announce(const std::string& message) {
  if (!announced_ && !message.empty()) notice(message);
  announced_ = true;
}

int Runner::finish() {
  if (!command_) return 0;
  int sig = 0;
  switch (stop_.reason()) {
    case StopReason::Interrupted:
      sig = SIGINT;
      break;
    case StopReason::TargetExited:
      sig = 0;
      break;
    default:
      sig = SIGTERM;
      break;
  }
  return command_->wait(sig);
}

int Runner::stream(const std::string& message, Stream s) {
  RingBuffer ring(s.ring_fd, std::move(s.on_event));
  LostCounter lost(s.lost_fd);
  loop_.add_ring_buffer(ring);
  loop_.add_lost_counter(lost, std::move(s.on_lost));
  if (s.after_batch) loop_.after_each_wake(std::move(s.after_batch));
  run(message);
  int code = finish();
  if (uint64_t n = lost.total()) spdlog::warn("{} events lost in total", n);
  return code;
}

int Runner::interval(const std::string& message, Interval i) {
  if (i.period.count() > 0) loop_.every(i.period, std::move(i.tick));
  StopReason why = run(message);
  int code = finish();  // CMD's last calls are in before the last read
  if (why != StopReason::OutputClosed && i.last) i.last();
  return code;
}

int Runner::dump(const std::string& message, Dump d) {
  UniqueFd usr1 = signal_eventfd(SIGUSR1);
  loop_.on_readable(usr1.get(), [&] {
    uint64_t n = 0;
    [[maybe_unused]] ssize_t r = ::read(usr1.get(), &n, sizeof n);
    d.dump();
  });
  if (d.until_empty) {
    // "becomes empty": it had a process (seen populated, or events recorded) and has none now
    loop_.every(std::chrono::milliseconds(200), [this, &d, seen = false]() mutable {
      bool empty = cgroup_empty(target_->cgroup_dir);
      seen = seen || !empty || (d.recorded && d.recorded());
      if (seen && empty) stop_.request_stop(StopReason::TargetExited);
    });
  }
  StopReason why = run(message);
  int code = finish();
  if (why != StopReason::OutputClosed) d.dump();
  reset_signal(SIGUSR1);
  return code;
}

}  // namespace ctrace::probe
