#pragma once
// ctrace openclose: the decoder, separate from the command so that unit tests can feed it
// synthetic events.
#include <linux/types.h>

#include <filesystem>
#include <optional>
#include <string>

#include "ctrace/commands/stream.hpp"
#include "ctrace/core/model.hpp"
extern "C" {
#include "bpf/openclose.h"
}

namespace ctrace::commands {

// "openat" for OC_OPENAT; the names --syscall accepts.
const char* openclose_kind_name(unsigned kind);

struct OpenCloseContext {
  const TaskFields* task = nullptr;
  bool full_path = false;  // resolve relative paths (best effort, see below)
  std::filesystem::path proc = "/proc";
  // The names of flags, kept for the last flags word seen: a workload opens with the same few
  // flags, so most events reuse the list instead of building it again.
  const Strings& flag_names(uint64_t flags) const;
  mutable struct {
    uint64_t flags = 0;
    std::optional<Strings> names;
  } last_flags{};
};

// An event as the ring hands it over (its data cut after the bytes in use) into `out`, the rest
// of data zeroed. False when too short to be one.
bool openclose_event_from(const void* data, size_t size, openclose_event& out);

// The text columns of its records.
Schema openclose_schema(TimePrecision precision, ContainerBy container_by);

// One event -> its fields: the task fields, then syscall, ret, result ("5", "-ENOENT"),
// detail (what the DETAIL column shows) and per syscall: path, flags, dirfd (opens),
// fd, peer, family, port (accept, accept4, connect), fd (close).
// Written into `out` (a JSON stream's line directly), or collected into a Record.
void decode_openclose(const openclose_event& e, const OpenCloseContext& ctx, FieldSink& out);
inline Record decode_openclose(const openclose_event& e, const OpenCloseContext& ctx) {
  return collect([&](FieldSink& out) { decode_openclose(e, ctx, out); });
}

// A relative `path` opened by `pid` against `dirfd` (AT_FDCWD: its cwd), resolved through
// PROC/PID/cwd or PROC/PID/fd/DIRFD at decode time: best effort, the task may have moved on
// or exited. Absolute paths and failed lookups come back unchanged.
std::string resolve_full_path(const std::filesystem::path& proc, unsigned pid, int dirfd,
                              const std::string& path);

}  // namespace ctrace::commands
