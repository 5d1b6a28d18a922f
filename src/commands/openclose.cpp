// ctrace openclose: files and sockets a container opens, accepts, connects and closes.
#include "commands/openclose.hpp"

#include <bpf/libbpf.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "ctrace/commands/command.hpp"
#include "ctrace/core/error.hpp"
#include "ctrace/core/log.hpp"
#include "ctrace/enrich/flags.hpp"
#include "ctrace/enrich/names.hpp"
#include "ctrace/enrich/sockaddr.hpp"
#include "ctrace/enrich/uts.hpp"
#include "ctrace/probe/runner.hpp"
#include "openclose.lskel.hpp"

namespace ctrace::commands {

// The decoder of its events (no kernel needed: unit-tested and fuzzed, commands/NAME.hpp).

namespace {

constexpr const char* kKindNames[OC_KINDS] = {"open",    "openat",  "openat2", "accept",
                                              "accept4", "connect", "close"};

}  // namespace

Schema openclose_schema(TimePrecision precision, ContainerBy container_by) {
  Schema s;
  s.type = "openclose";
  s.columns = {
      time_column(precision),
      container_column(container_by),
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

bool openclose_event_from(const void* data, size_t size, openclose_event& out) {
  return event_from(data, size, offsetof(openclose_event, data), out);
}

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

const Strings& OpenCloseContext::flag_names(uint64_t flags) const {
  if (!last_flags.names || last_flags.flags != flags) {
    last_flags.flags = flags;
    last_flags.names = enrich::open_flag_names(flags);
  }
  return *last_flags.names;
}

void decode_openclose(const openclose_event& e, const OpenCloseContext& ctx, FieldSink& out) {
  if (ctx.task) ctx.task->add(out, e.task);
  out.put("syscall", openclose_kind_name(e.kind));
  out.put("ret", static_cast<int64_t>(e.ret));
  out.put("result", ret_text(e.ret));
  switch (e.kind) {
    case OC_OPEN:
    case OC_OPENAT:
    case OC_OPENAT2: {
      std::string_view path = c_string(e.data, sizeof e.data);
      int dirfd = e.kind == OC_OPEN ? AT_FDCWD : e.fd;
      out.put("path", path);
      out.put("flags", static_cast<uint64_t>(e.flags));
      out.put("flags_names", ctx.flag_names(e.flags));
      if (e.kind != OC_OPEN) out.put("dirfd", dirfd);
      if (ctx.full_path) {
        std::string full = resolve_full_path(ctx.proc, e.task.pid, dirfd, std::string(path));
        out.put("full_path", full);
        out.put("detail", full);
      } else {
        out.put("detail", path);
      }
      break;
    }
    case OC_ACCEPT:
    case OC_ACCEPT4:
    case OC_CONNECT: {
      out.put("fd", e.fd);
      auto addr = enrich::decode_sockaddr(e.data, std::min<size_t>(e.addr_len, sizeof e.data));
      if (addr) {
        std::string peer = addr->text();
        out.put("peer", peer);
        out.put("family", enrich::family_name(addr->family));
        if (addr->family == AF_INET || addr->family == AF_INET6) {
          out.put("address", addr->address);
          out.put("port", addr->port);
        }
        out.put("detail", peer);
      } else {
        out.put("detail", fmt::format("fd={}", e.fd));
      }
      break;
    }
    case OC_CLOSE:
      out.put("fd", e.fd);
      out.put("detail", fmt::format("fd={}", e.fd));
      break;
    default:
      out.put("detail", "");
      break;
  }
}

namespace {

constexpr const char* kExamples = R"(EXAMPLES:
  ctrace openclose -I                             # every container, not the host
  ctrace openclose -I -C                          # containers told apart by cgroup id
  ctrace openclose --container web --failed       # failed calls of one container
  ctrace openclose --syscall connect,accept4 -c system.slice/docker-3f2a.scope
  ctrace openclose --full-path -o json -- sh -c 'cd /etc && cat hostname'

RET is the fd (open, accept, connect: 0) or -ERRNO. Paths are as passed, up to 255 bytes;
--full-path resolves relative ones through /proc/PID/cwd when the event is printed (best
effort: the task may have changed directory or exited by then).)";

class OpenCloseCommand final : public Command {
 public:
  CLI::App* setup(CLI::App& root) override {
    auto* app = root.add_subcommand("openclose", "files and sockets opened, accepted, connected and closed");
    app->footer(kExamples);
    add_stream_options(*app, opts_);
    app->add_flag("-I,--ignore-host-ns", ignore_host_, "hide events of tasks in the host's UTS namespace");
    add_failed_option(*app, failed_);
    app->add_option("--syscall", syscall_list_,
                    "trace only these: open,openat,openat2,accept,accept4,connect,close")
        ->type_name("LIST");
    app->add_flag("--full-path", full_path_, "resolve relative paths against the task's cwd (best effort)");
    return app;
  }

  int run(const GlobalOptions&) override {
    std::array<int, OC_KINDS> nrs = resolve_syscalls();
    uint32_t host_uts = ignore_host_ ? enrich::host_uts_inum() : 0;
    openclose_event event;
    OpenCloseContext ctx{nullptr, full_path_, "/proc"};
    return run_event_stream<openclose_lbpf>(
        opts_, openclose_schema(opts_.precision, opts_.container_by), offsetof(openclose_event, data),
        [](openclose_lbpf& s) {
          return std::pair{&s.maps.openclose_events, &s.maps.openclose_lost};
        },
        [&](openclose_lbpf* s) {
          for (int k = 0; k < OC_KINDS; ++k) s->rodata->targ_nrs[k] = nrs[static_cast<size_t>(k)];
          s->rodata->targ_host_uts_inum = host_uts;
          s->rodata->targ_failed_only = failed_;
        },
        [&](const void* data, size_t size, EventNames& names, FieldSink& out) {
          openclose_event_from(data, size, event);  // at least its fixed part: whole
          ctx.task = &names.task();
          decode_openclose(event, ctx, out);
        });
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
    auto known = [](const std::string& s) {
      for (unsigned k = 0; k < OC_KINDS; ++k)
        if (s == openclose_kind_name(k)) return true;
      return false;
    };
    for (unsigned k = 0; k < OC_KINDS; ++k) {
      bool wanted = names.empty();
      for (const auto& s : names) wanted = wanted || s == openclose_kind_name(k);
      if (wanted) nrs[k] = enrich::SyscallNames::nr_or_none(openclose_kind_name(k));
    }
    for (const auto& s : names)
      if (!known(s))
        throw UsageError(
            "unknown syscall '{}' for --syscall: use open, openat, openat2, accept, accept4, connect, close",
            s);
    return nrs;
  }

  StreamOptions opts_;
  bool ignore_host_ = false;
  bool failed_ = false;
  bool full_path_ = false;
  std::string syscall_list_;
};

}  // namespace

std::unique_ptr<Command> make_openclose() {
  return std::make_unique<OpenCloseCommand>();
}

}  // namespace ctrace::commands
