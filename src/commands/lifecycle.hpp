#pragma once
// ctrace exec, exit, signal and oomkill: the life of a container's processes. The decoders,
// separate from the commands (exec.cpp, exit.cpp, signal.cpp, oomkill.cpp) so that unit tests
// and the fuzzer can feed them synthetic events.
#include <linux/types.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "ctrace/commands/stream.hpp"
#include "ctrace/core/model.hpp"
#include "ctrace/enrich/flags.hpp"
extern "C" {
#include "bpf/exec.h"
#include "bpf/exit.h"
#include "bpf/oomkill.h"
#include "bpf/signal.h"
}

namespace ctrace::commands {

// A ring record into a whole event: false when it is shorter than the fixed part (exec's args
// end after argc strings: the rest is zeroed).
bool exec_event_from(const void* data, size_t size, exec_event& out);

// exec: the task fields (after a success the new comm), ns_pid, ppid, call, ret, result
// ("0", "-ENOENT"), filename, interp (when it is not the filename: a script's interpreter),
// args (argv as read), args_cut (indices of strings cut at 255 bytes), args_more (argv went
// on past 20 strings), old_tid (a thread exec'd), no_enter (the entry was not seen: no argv).
void decode_exec(const exec_event& e, const TaskFields* task, FieldSink& out);
// The ARGS text cell: argv joined by spaces (an empty or spaced argument quoted), "..." after
// a cut string and at the end when argv went on; the filename when there is no argv.
std::string exec_args_text(const Record& r);

// exit: the task fields, ns_pid, ns_tid, ppid, exit_code (the wait status), reason ("ok",
// "code", "signal"), status (exit(N)), signal ("SIGKILL") and core_dumped when killed,
// lifetime_ns (from its fork), group_dead, init (pid 1 of its pid namespace).
void decode_exit(const exit_event& e, const TaskFields* task, FieldSink& out);

// signal: time, sig, signal ("SIGTERM"), code (si_code), result ("delivered", "ignored",
// "already pending", "overflow", "lost info"), from_kernel, group, then sender_* and
// target_* (EventNames::add_other), and which end matched the filter.
void decode_signal(const signal_event& e, const TaskFields& task, EventNames& names, FieldSink& out);

// oomkill: the victim's task fields, ns_pid, kind ("cgroup", "global", "unknown"), total_vm,
// anon_rss, file_rss, shmem_rss (bytes), pgtables, memcg limit/usage (bytes, limit null when
// unlimited), the OOM cgroup's when it is an ancestor, the trigger's pid/comm/cgroup_id,
// oom_score_adj.
void decode_oomkill(const oomkill_event& e, const TaskFields* task, uint64_t page_size, FieldSink& out);

using enrich::signal_name;  // "SIGTERM", "SIGRTMIN+3", "signal 99"
// A --signal LIST: names with or without SIG, any case, or numbers 1..64; the mask the BPF
// program takes (bit sig - 1). Throws UsageError.
uint64_t parse_signal_list(const std::string& list);

}  // namespace ctrace::commands
