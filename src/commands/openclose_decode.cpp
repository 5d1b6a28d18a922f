// ctrace openclose: the decoder of its events (no kernel needed: unit-tested and fuzzed).
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <filesystem>

#include "commands/openclose.hpp"
#include "ctrace/enrich/flags.hpp"
#include "ctrace/enrich/sockaddr.hpp"

namespace ctrace::commands {

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
  if (size < offsetof(openclose_event, data)) return false;
  size = std::min(size, sizeof out);
  std::memcpy(&out, data, size);
  std::memset(reinterpret_cast<char*>(&out) + size, 0, sizeof out - size);
  return true;
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

}  // namespace ctrace::commands
