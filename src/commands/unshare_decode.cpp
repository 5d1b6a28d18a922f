#include "commands/unshare_decode.hpp"

#include <cstring>

#include "ctrace/enrich/clone_flags.hpp"
#include "ctrace/enrich/names.hpp"

namespace ctrace::commands {

namespace {

enrich::CloneFlagsAbi abi_of(uint32_t call) {
  return call == UNSHARE_CALL_CLONE    ? enrich::CloneFlagsAbi::Clone
         : call == UNSHARE_CALL_CLONE3 ? enrich::CloneFlagsAbi::Clone3
                                       : enrich::CloneFlagsAbi::Unshare;
}

}  // namespace

const char* unshare_call_name(uint32_t call) {
  switch (call) {
    case UNSHARE_CALL_UNSHARE:
      return "unshare";
    case UNSHARE_CALL_SETNS:
      return "setns";
    case UNSHARE_CALL_CLONE:
      return "clone";
    case UNSHARE_CALL_CLONE3:
      return "clone3";
  }
  return "?";
}

Schema unshare_schema(const UnshareColumns& c) {
  Schema s;
  s.type = "unshare";
  s.columns.push_back(time_column(c.precision));
  s.columns.push_back({"tid", "TID", Align::Right, -1, "", 7});
  s.columns.push_back({"comm", "COMM", Align::Left, -1, "", 16});
  if (c.setns || c.clone) s.columns.push_back({"call", "CALL", Align::Left, -1, "", 7});
  s.columns.push_back({"ret", "RET", Align::Right, -1, "", c.clone ? 7 : 4});  // clone: the child pid
  if (c.failed) s.columns.push_back({"errno", "ERRNO", Align::Left, -1, "", 7});
  s.columns.push_back({"flags", "FLAGS", Align::Left, -1, "", 10, true});
  if (c.setns) s.columns.push_back({"fd_ns", "FD_NS", Align::Left, -1, "", 6});
  s.columns.push_back({"flags_names", "FLAGS(human)", Align::Left, -1, "", 44});
  if (c.container_by == ContainerBy::CgroupPath)
    s.columns.push_back({"cgroup", "CONTAINER", Align::Left});
  else
    s.columns.push_back(container_column(c.container_by));
  return s;
}

void decode_unshare(const unshare_event& e, const UnshareDecodeContext& ctx, FieldSink& out) {
  int64_t wall_ns = ctx.clock.to_wall_ns(e.ts_ns);
  // The kernel returns -errno; user space sees -1 and errno, so that is what we show.
  bool failed = is_syscall_error(e.ret);
  out.put("time", utc_text(wall_ns, ctx.precision).view());
  out.put("ts_ns", wall_ns);
  out.put("tid", e.tid);
  out.put("pid", e.pid);
  out.put("comm", c_string(e.comm, sizeof e.comm));
  out.put("call", unshare_call_name(e.call));
  out.put("ret", failed ? int64_t{-1} : static_cast<int64_t>(e.ret));
  if (failed)
    out.put("errno", enrich::errno_name(static_cast<int>(-e.ret)));
  else
    out.put("errno", Value());
  out.put("flags", static_cast<uint64_t>(e.flags));
  out.put("flags_names", enrich::clone_flag_names(e.flags, abi_of(e.call)));
  if (e.call == UNSHARE_CALL_SETNS) {
    std::string kind = enrich::ns_kind_name(e.fd_ns_type);
    if (kind.empty())
      out.put("fd_ns", Value());
    else
      out.put("fd_ns", kind);
  }
  out.put("cgroup_id", static_cast<uint64_t>(e.cgroup_id));
  out.put("cgroup", ctx.cgroup_path ? ctx.cgroup_path(e.cgroup_id) : std::string());
  if (ctx.container) out.put("container", ctx.container(e.cgroup_id));
  out.put("hostname", c_string(e.hostname, sizeof e.hostname));
}

}  // namespace ctrace::commands
