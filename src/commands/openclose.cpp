// ctrace openclose: files and sockets a container opens, accepts, connects and closes.
#include "commands/openclose.hpp"

#include <bpf/libbpf.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <cstdio>
#include <sstream>

#include "commands/openclose_lskel.h"
#include "commands/registry.hpp"
#include "ctrace/commands/session.hpp"
#include "ctrace/core/error.hpp"
#include "ctrace/core/log.hpp"
#include "ctrace/enrich/flags.hpp"
#include "ctrace/enrich/names.hpp"
#include "ctrace/enrich/sockaddr.hpp"
#include "ctrace/probe/skeleton.hpp"

namespace ctrace::commands {

namespace {

using output::Align;
using output::Column;
using output::Record;

constexpr const char* kKindNames[OC_KINDS] = {"open",    "openat",  "openat2", "accept",
                                              "accept4", "connect", "close"};

constexpr const char* kExamples = R"(EXAMPLES:
  ctrace openclose -I                             # every container, not the host
  ctrace openclose -I -C                          # containers told apart by cgroup id
  ctrace openclose --container web --failed       # failed calls of one container
  ctrace openclose --syscall connect,accept4 -c system.slice/docker-3f2a.scope
  ctrace openclose --full-path -o json -- sh -c 'cd /etc && cat hostname'

RET is the fd (open, accept, connect: 0) or -ERRNO. Paths are as passed, up to 255 bytes;
--full-path resolves relative ones through /proc/PID/cwd when the event is printed (best
effort: the task may have changed directory or exited by then).)";

// The host's UTS namespace, for -I: the one of PID 1 in the /proc ctrace sees. Reading it
// needs ptrace access to PID 1; when that is refused (no CAP_SYS_PTRACE over it), the
// kernel's initial UTS namespace, whose inode is fixed (PROC_UTS_INIT_INO), stands in.
constexpr uint32_t kInitUtsInum = 0xEFFFFFFEU;

uint32_t host_uts_inum(const std::string& proc) {
  struct stat st {};
  std::string p = proc + "/1/ns/uts";
  int rc = ::stat(p.c_str(), &st);
  int err = errno;
  if (rc == 0) return static_cast<uint32_t>(st.st_ino);
  if (err == EACCES || err == EPERM) {
    spdlog::debug("{}: {}; -I hides the initial UTS namespace ({})", p, errno_string(err), kInitUtsInum);
    return kInitUtsInum;
  }
  throw Error("reading the host's UTS namespace ({}): {}; -I needs the host's /proc", p, errno_string(err));
}

class OpenCloseCommand final : public Command {
 public:
  CLI::App* setup(CLI::App& root) override {
    auto* app = root.add_subcommand("openclose", "files and sockets opened, accepted, connected and closed");
    app->footer(kExamples);
    target::add_target_options(*app, target_);
    add_output_option(*app, format_, {output::Format::Text, output::Format::Json});
    add_duration_option(*app, duration_);
    add_container_by_options(*app, container_by_);
    add_names_option(*app, no_names_);
    add_time_precision_option(*app, precision_, TimePrecision::Micros);
    app->add_flag("-I,--ignore-host-ns", ignore_host_, "hide events of tasks in the host's UTS namespace");
    add_failed_option(*app, failed_);
    app->add_option("--syscall", syscall_list_,
                    "trace only these: open,openat,openat2,accept,accept4,connect,close")
        ->type_name("LIST");
    app->add_flag("--full-path", full_path_, "resolve relative paths against the task's cwd (best effort)");
    add_buffer_pages_option(*app, buffer_pages_);
    return app;
  }

  int run(const GlobalOptions&) override {
    std::array<int, OC_KINDS> nrs = resolve_syscalls();
    Session session(target_);
    probe::Skeleton<openclose_lbpf> skel(CTRACE_LSKEL_OPS(openclose), "openclose");
    openclose_lbpf_config config{};
    probe::configure_filter(&config, &config, session.target(), session.self_tgid());
    for (int k = 0; k < OC_KINDS; ++k) config.targ_nrs[k] = nrs[static_cast<size_t>(k)];
    if (ignore_host_) config.targ_host_uts_inum = host_uts_inum("/proc");
    config.targ_failed_only = failed_;
    config.ring_bytes = ring_buffer_bytes(buffer_pages_);
    skel.load([&](openclose_lbpf* s) { openclose_lbpf_configure(s, &config); });
    skel.attach();
    session.follow(
        [&](const target::Target& t) { openclose_lbpf_retarget(skel.get(), t.cgroup_id, t.level); });

    enrich::CgroupNames cgroup_paths(session.cgroup_fs().mount);
    auto containers = event_containers(session, !no_names_);
    TaskFields task(WallClock(), container_by_ == ContainerBy::CgroupPath ? &cgroup_paths : nullptr,
                    containers.get(), precision_);
    OpenCloseContext ctx{&task, full_path_, "/proc"};
    auto out = output::make_formatter(format_, stream_stdout());
    out->begin(schema());
    session.attached("Collecting events... Ctrl-C to stop");
    int code = stream_events(session, duration_, openclose_lbpf_events_fd(skel.get()),
                             openclose_lbpf_lost_fd(skel.get()), *out, [&](const void* data, size_t size) {
                               if (size < sizeof(openclose_event)) return;
                               out->record(decode_openclose(*static_cast<const openclose_event*>(data), ctx));
                             });
    out->end();
    return code;
  }

 private:
  // Syscall numbers per kind, -1 for kinds not asked for or missing on this architecture.
  std::array<int, OC_KINDS> resolve_syscalls() const {
    // one string split here: a vector option would swallow the `-- CMD` that follows
    std::vector<std::string> names;
    std::stringstream list(syscall_list_);
    for (std::string s; std::getline(list, s, ',');)
      if (!s.empty()) names.push_back(s);
    std::array<int, OC_KINDS> nrs;
    nrs.fill(-1);
    for (int k = 0; k < OC_KINDS; ++k) {
      bool wanted = names.empty();
      for (const auto& s : names) wanted = wanted || s == kKindNames[k];
      if (wanted) nrs[static_cast<size_t>(k)] = enrich::SyscallNames::lookup(kKindNames[k]).value_or(-1);
    }
    for (const auto& s : names)
      if (std::find(std::begin(kKindNames), std::end(kKindNames), s) == std::end(kKindNames))
        throw UsageError(
            "unknown syscall '{}' for --syscall: use open, openat, openat2, accept, accept4, connect, close",
            s);
    return nrs;
  }

  output::Schema schema() const {
    output::Schema s;
    s.type = "openclose";
    s.columns = {
        time_column(precision_),
        container_column(container_by_),
        {"pid", "PID", Align::Left, -1, "", 7},
        {"uid", "UID", Align::Left, -1, "", 6},
        {"gid", "GID", Align::Left, -1, "", 6},
        {"syscall", "SYSCALL", Align::Left, -1, "", 8},
        {"result", "RET", Align::Right, -1, "", 13},
        {"comm", "COMM", Align::Left, -1, "", 16},
        {"detail", "DETAIL", Align::Left},
    };
    return s;
  }

  target::TargetOptions target_;
  output::Format format_ = output::Format::Text;
  double duration_ = 0;
  ContainerBy container_by_ = ContainerBy::Hostname;
  bool no_names_ = false;
  TimePrecision precision_ = TimePrecision::Micros;
  bool ignore_host_ = false;
  bool failed_ = false;
  bool full_path_ = false;
  std::string syscall_list_;
  unsigned buffer_pages_ = kDefaultBufferPages;
};

}  // namespace

const char* openclose_kind_name(unsigned kind) {
  return kind < OC_KINDS ? kKindNames[kind] : "?";
}

std::string resolve_full_path(const std::filesystem::path& proc, unsigned pid, int dirfd,
                              const std::string& path) {
  if (path.empty() || path.front() == '/') return path;
  auto base = proc / std::to_string(pid);
  base /=
      dirfd == AT_FDCWD ? std::filesystem::path("cwd") : std::filesystem::path("fd") / std::to_string(dirfd);
  std::error_code ec;
  auto dir = std::filesystem::read_symlink(base, ec);
  if (ec || dir.empty() || !dir.is_absolute()) return path;
  return (dir / path).lexically_normal().string();
}

Record decode_openclose(const openclose_event& e, const OpenCloseContext& ctx) {
  Record r;
  if (ctx.task) ctx.task->add(r, e.task);
  r.set("syscall", openclose_kind_name(e.kind))
      .set("ret", static_cast<int64_t>(e.ret))
      .set("result", ret_text(e.ret));
  switch (e.kind) {
    case OC_OPEN:
    case OC_OPENAT:
    case OC_OPENAT2: {
      std::string path = c_string(e.data, sizeof e.data);
      int dirfd = e.kind == OC_OPEN ? AT_FDCWD : e.fd;
      r.set("path", path)
          .set("flags", static_cast<uint64_t>(e.flags))
          .set("flags_names", enrich::open_flag_names(e.flags));
      if (e.kind != OC_OPEN) r.set("dirfd", dirfd);
      if (ctx.full_path) {
        std::string full = resolve_full_path(ctx.proc, e.task.pid, dirfd, path);
        r.set("full_path", full).set("detail", full);
      } else {
        r.set("detail", path);
      }
      break;
    }
    case OC_ACCEPT:
    case OC_ACCEPT4:
    case OC_CONNECT: {
      r.set("fd", e.fd);
      auto addr = enrich::decode_sockaddr(e.data, std::min<size_t>(e.addr_len, sizeof e.data));
      if (addr) {
        r.set("peer", addr->text()).set("family", enrich::family_name(addr->family));
        if (addr->family == AF_INET || addr->family == AF_INET6)
          r.set("address", addr->address).set("port", addr->port);
        r.set("detail", addr->text());
      } else {
        r.set("detail", fmt::format("fd={}", e.fd));
      }
      break;
    }
    case OC_CLOSE:
      r.set("fd", e.fd).set("detail", fmt::format("fd={}", e.fd));
      break;
    default:
      r.set("detail", "");
      break;
  }
  return r;
}

std::unique_ptr<Command> make_openclose() {
  return std::make_unique<OpenCloseCommand>();
}

}  // namespace ctrace::commands
