#include "ctrace/commands/session.hpp"

#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "ctrace/core/log.hpp"
#include "ctrace/probe/skeleton.hpp"

namespace ctrace::commands {

Session::Session(const target::TargetOptions& opts) : stop_(StopToken::install()), opts_(opts) {
  probe::check_bpf_available();
  cgroup_fs_ = target::CgroupFs::discover();
  if (!opts.command.empty()) {
    runner_ = std::make_unique<target::CommandRunner>(opts.command, cgroup_fs_);
    target_ = std::make_unique<target::Target>(runner_->target());
  } else {
    target_ = std::make_unique<target::Target>(target::resolve(opts, cgroup_fs_));
  }
  if (target_->mode == target::Mode::Cgroup)
    spdlog::debug("target: {} = {} (id {}, level {}{})", target_->description, target_->cgroup_path,
                  target_->cgroup_id, target_->level, target_->exact ? ", exact" : "");
}

Session::~Session() = default;

unsigned Session::self_tgid() const { return static_cast<unsigned>(::getpid()); }

void Session::attached(const std::string& message) {
  if (!message.empty()) notice(message);
  if (runner_) runner_->start();
}

void Session::watch(probe::EventLoop& loop, double duration_sec) {
  if (runner_) loop.stop_when_readable(runner_->exit_fd(), StopReason::TargetExited);
  if (duration_sec > 0)
    loop.stop_after(std::chrono::milliseconds(static_cast<long>(duration_sec * 1000.0 + 0.5)));
  // `-- CMD`'s cgroup is ours until the end; the root cgroup cannot go away.
  if (!runner_ && target_->mode == target::Mode::Cgroup && target_->cgroup_dir != cgroup_fs_.mount) {
    watch_ = std::make_unique<target::TargetWatch>(*target_, opts_, cgroup_fs_);
    loop.on_readable(watch_->fd(), [this] { check_target(); });
    check_target();  // removed before the watch was set
  }
}

void Session::check_target() {
  target::Target next = *target_;
  auto change = watch_->read(next);
  if (change == target::TargetWatch::Change::Removed) {
    notice(fmt::format("target cgroup {} was removed", target_->cgroup_path));
    if (!watch_->follows() || !retarget_) {
      stop_.request_stop(StopReason::TargetExited);
      return;
    }
    notice(opts_.container.empty()
               ? fmt::format("waiting for {} to be created again (--wait)", target_->cgroup_path)
               : fmt::format("waiting for container {} to start again", opts_.container));
    change = watch_->read(next);  // it may be back already
  }
  if (change == target::TargetWatch::Change::Back) {
    retarget_(next);
    *target_ = std::move(next);
    notice(opts_.container.empty() ? fmt::format("cgroup {} was created again: following cgroup {}",
                                                 target_->cgroup_path, target_->cgroup_id)
                                   : fmt::format("container {} restarted: following cgroup {}",
                                                 opts_.container, target_->cgroup_id));
  }
}

int Session::finish() {
  if (!runner_) return 0;
  int sig = 0;
  switch (stop_.reason()) {
    case StopReason::Interrupted: sig = SIGINT; break;
    case StopReason::TargetExited: sig = 0; break;
    default: sig = SIGTERM; break;
  }
  return runner_->wait(sig);
}

int terminal_width(int fallback) {
  winsize ws{};
  if (::isatty(STDOUT_FILENO) && ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return fallback;
}

int terminal_height(int fallback) {
  winsize ws{};
  if (::isatty(STDOUT_FILENO) && ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0) return ws.ws_row;
  return fallback;
}

}  // namespace ctrace::commands
