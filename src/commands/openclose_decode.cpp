// ctrace openclose: the decoder of its events (no kernel needed: unit-tested and fuzzed).
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/socket.h>

#include <algorithm>
#include <filesystem>

#include "commands/openclose.hpp"
#include "ctrace/enrich/flags.hpp"
#include "ctrace/enrich/sockaddr.hpp"

namespace ctrace::commands {

namespace {

using output::Align;
using output::Record;

constexpr const char* kKindNames[OC_KINDS] = {"open",    "openat",  "openat2", "accept",
                                              "accept4", "connect", "close"};

}  // namespace

output::Schema openclose_schema(TimePrecision precision, ContainerBy container_by) {
  output::Schema s;
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

}  // namespace ctrace::commands
