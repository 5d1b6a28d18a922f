// ctrace unshare: namespace creation (unshare, and optionally setns, clone, clone3) with
// decoded flags and the caller's container.
#include "commands/unshare.hpp"

#include <bpf/libbpf.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstring>
#include <map>

#include "ctrace/commands/command.hpp"
#include "ctrace/commands/stream.hpp"
#include "ctrace/core/error.hpp"
#include "ctrace/core/log.hpp"
#include "ctrace/enrich/cgroups.hpp"
#include "ctrace/enrich/clone_flags.hpp"
#include "ctrace/enrich/names.hpp"
#include "ctrace/probe/runner.hpp"
#include "unshare.lskel.hpp"

namespace ctrace::commands {

// The decoder of its events (no kernel needed: unit-tested and fuzzed, commands/NAME.hpp).

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

namespace {

constexpr const char* kExamples = R"(EXAMPLES:
  ctrace unshare                          # successful unshare(2) calls on the host
  ctrace unshare --all                    # failed ones too, with RET -1 and ERRNO
  ctrace unshare -x                       # failed ones only
  ctrace unshare --any --container web    # unshare, setns, clone with CLONE_NEW* in one container
  ctrace unshare --setns --show hostname  # setns too; show the caller's hostname, not its cgroup
  ctrace unshare --show container         # the container's name (docker, podman, k8s...)
  ctrace unshare -o json -d 60 | jq .     # one JSON object per call, for a minute
  ctrace unshare --clone -- unshare --fork --pid --uts true

clone and clone3 are reported only when they carry a CLONE_NEW* flag. For clone, RET is the
child's pid (the child's own return is not reported).)";

// The syscall nr of `name` for the rodata filter, -1 (never matches) when the native ABI lacks it.
int32_t syscall_nr(const char* name) {
  int nr = enrich::SyscallNames::nr_or_none(name);
  if (nr < 0) spdlog::warn("syscall {} is unknown to libseccomp here: it is not traced", name);
  return nr;
}

class UnshareCommand final : public Command {
 public:
  CLI::App* setup(CLI::App& root) override {
    auto* app =
        root.add_subcommand("unshare", "namespace creation: unshare, setns, clone with CLONE_NEW* flags");
    app->footer(kExamples);
    add_stream_options(*app, opts_);
    app->add_flag("-a,--all", failed_, "also show failed calls (RET -1 and ERRNO)");
    add_failed_option(*app, failed_only_);
    app->add_flag("--setns", setns_, "also show setns(2): FLAGS is nstype, FD_NS the fd's namespace");
    app->add_flag("--clone", clone_, "also show clone/clone3 calls that carry a CLONE_NEW* flag");
    app->add_flag("--any", any_, "unshare, setns and clone: --setns --clone");
    return app;
  }

  int run(const GlobalOptions&) override {
    if (any_) setns_ = clone_ = true;
    if (failed_only_) failed_ = true;  // the RET and ERRNO columns

    int32_t nr_unshare = syscall_nr("unshare"), nr_setns = setns_ ? syscall_nr("setns") : -1;
    int32_t nr_clone = clone_ ? syscall_nr("clone") : -1, nr_clone3 = clone_ ? syscall_nr("clone3") : -1;
    probe::Runner run(opts_.target, opts_.duration);
    auto& skel = run.load<unshare_lbpf>([&](unshare_lbpf* s) {
      s->rodata->targ_nr_unshare = nr_unshare;
      s->rodata->targ_nr_setns = nr_setns;
      s->rodata->targ_nr_clone = nr_clone;
      s->rodata->targ_nr_clone3 = nr_clone3;
      s->rodata->targ_failed = failed_;
      s->rodata->targ_failed_only = failed_only_;
      s->maps.unshare_events.max_entries = ring_buffer_bytes(opts_.buffer_pages);
    });

    enrich::CgroupNames cgroups(run.cgroup_fs().mount);
    auto containers = event_containers(run, !opts_.no_names);
    UnshareDecodeContext ctx{WallClock(), opts_.precision, [&](uint64_t id) { return cgroups.path_of(id); },
                             [&](uint64_t id) { return container_value(*containers, id); }};
    auto formatter = output::make_formatter(opts_.format, stream_stdout());
    formatter->begin(unshare_schema({opts_.precision, setns_, clone_, failed_, opts_.container_by}));
    int code = stream_events(run, skel.maps.unshare_events.map_fd, skel.maps.unshare_lost.map_fd, *formatter,
                             [&](const void* data, size_t size) {
                               if (size < sizeof(unshare_event)) return;
                               decode_unshare(*static_cast<const unshare_event*>(data), ctx,
                                              formatter->start_record());
                               formatter->finish_record();
                             });
    formatter->end();
    return code;
  }

 private:
  // unshare's defaults: whole seconds, the cgroup path (namespace changes are rare and the
  // cgroup says where they happened)
  StreamOptions opts_ = [] {
    StreamOptions o;
    o.precision = TimePrecision::Seconds;
    o.container_by = ContainerBy::CgroupPath;
    return o;
  }();
  bool failed_ = false;
  bool failed_only_ = false;
  bool setns_ = false;
  bool clone_ = false;
  bool any_ = false;
};

}  // namespace

std::unique_ptr<Command> make_unshare() {
  return std::make_unique<UnshareCommand>();
}

}  // namespace ctrace::commands
