// ctrace unshare: namespace creation (unshare, and optionally setns, clone, clone3) with
// decoded flags and the caller's container.
#include <bpf/libbpf.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <map>

#include "commands/registry.hpp"
#include "commands/unshare_decode.hpp"
#include "ctrace/commands/stream.hpp"
#include "ctrace/core/error.hpp"
#include "ctrace/core/log.hpp"
#include "ctrace/enrich/cgroups.hpp"
#include "ctrace/enrich/names.hpp"
#include "ctrace/probe/runner.hpp"
#include "unshare.lskel.hpp"

namespace ctrace::commands {

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
    target::add_target_options(*app, target_);
    add_output_option(*app, format_, {output::Format::Text, output::Format::Json});
    add_duration_option(*app, duration_);
    app->add_flag("-a,--all", failed_, "also show failed calls (RET -1 and ERRNO)");
    add_failed_option(*app, failed_only_);
    app->add_flag("--setns", setns_, "also show setns(2): FLAGS is nstype, FD_NS the fd's namespace");
    app->add_flag("--clone", clone_, "also show clone/clone3 calls that carry a CLONE_NEW* flag");
    app->add_flag("--any", any_, "unshare, setns and clone: --setns --clone");
    add_container_by_options(*app, container_by_);
    add_names_option(*app, no_names_);
    add_time_precision_option(*app, precision_, TimePrecision::Seconds);
    add_buffer_pages_option(*app, buffer_pages_);
    return app;
  }

  int run(const GlobalOptions&) override {
    if (any_) setns_ = clone_ = true;
    if (failed_only_) failed_ = true;  // the RET and ERRNO columns

    int32_t nr_unshare = syscall_nr("unshare"), nr_setns = setns_ ? syscall_nr("setns") : -1;
    int32_t nr_clone = clone_ ? syscall_nr("clone") : -1, nr_clone3 = clone_ ? syscall_nr("clone3") : -1;
    probe::Runner run(target_, duration_);
    auto& skel = run.load<unshare_lbpf>([&](unshare_lbpf* s) {
      s->rodata->targ_nr_unshare = nr_unshare;
      s->rodata->targ_nr_setns = nr_setns;
      s->rodata->targ_nr_clone = nr_clone;
      s->rodata->targ_nr_clone3 = nr_clone3;
      s->rodata->targ_failed = failed_;
      s->rodata->targ_failed_only = failed_only_;
      s->maps.unshare_events.max_entries = ring_buffer_bytes(buffer_pages_);
    });

    enrich::CgroupNames cgroups(run.cgroup_fs().mount);
    auto containers = event_containers(run, !no_names_);
    UnshareDecodeContext ctx{WallClock(), precision_, [&](uint64_t id) { return cgroups.path_of(id); },
                             [&](uint64_t id) { return container_value(*containers, id); }};
    auto formatter = output::make_formatter(format_, stream_stdout());
    formatter->begin(unshare_schema({precision_, setns_, clone_, failed_, container_by_}));
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
  target::TargetOptions target_;
  output::Format format_ = output::Format::Text;
  double duration_ = 0;
  bool failed_ = false;
  bool failed_only_ = false;
  bool setns_ = false;
  bool clone_ = false;
  bool any_ = false;
  ContainerBy container_by_ = ContainerBy::CgroupPath;
  bool no_names_ = false;
  TimePrecision precision_ = TimePrecision::Seconds;
  unsigned buffer_pages_ = kDefaultBufferPages;
};

}  // namespace

std::unique_ptr<Command> make_unshare() {
  return std::make_unique<UnshareCommand>();
}

}  // namespace ctrace::commands
