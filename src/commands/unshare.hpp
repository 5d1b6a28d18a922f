#pragma once
// ctrace unshare: the raw BPF event -> its fields (no kernel needed, unit-tested).
#include <linux/types.h>

#include <cstdint>
#include <functional>
#include <string>

#include "ctrace/commands/stream.hpp"
#include "ctrace/core/model.hpp"
#include "ctrace/core/time.hpp"
extern "C" {
#include "bpf/unshare.h"
}

namespace ctrace::commands {

struct UnshareDecodeContext {
  WallClock clock;
  TimePrecision precision = TimePrecision::Seconds;
  // cgroup id -> path relative to the cgroup2 mount (enrich::CgroupNames in ctrace).
  std::function<std::string(uint64_t)> cgroup_path;
  // cgroup id -> the container's name (commands::container_value); unset: no "container" field.
  std::function<Value(uint64_t)> container;
};

// What the text columns depend on: the options of the command.
struct UnshareColumns {
  TimePrecision precision = TimePrecision::Seconds;
  bool setns = false, clone = false;  // a CALL column; clone: a wider RET
  bool failed = false;                // an ERRNO column
  ContainerBy container_by = ContainerBy::CgroupPath;
};
Schema unshare_schema(const UnshareColumns& c);

// "unshare", "setns", "clone", "clone3".
const char* unshare_call_name(uint32_t call);

// Fields, in JSON order: time, ts_ns (wall clock, ns since the epoch), tid, pid, comm, call,
// ret (-1 on failure, as libc returns it), errno (name or null), flags, flags_names,
// fd_ns (setns only: kind of the fd's namespace or null), cgroup_id, cgroup, container (with
// ctx.container), hostname.
// Into `out` (a JSON stream's line directly), or collected into a Record.
void decode_unshare(const unshare_event& e, const UnshareDecodeContext& ctx, FieldSink& out);
inline Record decode_unshare(const unshare_event& e, const UnshareDecodeContext& ctx) {
  return collect([&](FieldSink& out) { decode_unshare(e, ctx, out); });
}

}  // namespace ctrace::commands
