#pragma once
// Recorded syscalls as records: escaping, enter/exit pairing, argument decoding (names, flags,
// sockaddrs, strings). Knows nothing of BPF (the recorder decodes its ring slots into
// TraceEvents) nor of rendering (the formatters write "syscall" records as strace lines or JSON).
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ctrace/core/model.hpp"
#include "ctrace/core/time.hpp"
#include "ctrace/enrich/names.hpp"
#include "ctrace/enrich/syscall_formats.hpp"

namespace ctrace::enrich {

// strace-style C escaping of raw bytes, without the quotes: ctrace::escape_strace()
// (ctrace/core/escape.hpp, beside the text rule).
std::string escape_bytes(std::string_view bytes);

// One string of an array argument (execve's argv).
struct TraceListItem {
  std::string bytes;
  bool truncated = false;  // the string was longer
};

// Memory captured for one argument.
struct TraceString {
  int arg = 0;             // argument index
  std::string bytes;       // what was read (at most --string-size)
  bool truncated = false;  // there was more (is_list: more strings than `list`)
  bool failed = false;     // the read faulted: the pointer prints in hex
  bool is_list = false;    // an array of strings (argv): `list` instead of `bytes`
  std::vector<TraceListItem> list;
};

// One recorded enter or exit.
struct TraceEvent {
  uint64_t ts_ns = 0;
  int cpu = 0;
  uint32_t pid = 0, tid = 0;
  uint32_t ns_pid = 0, ns_tid = 0;  // the same in the task's own PID namespace (0: unknown)
  std::string comm;
  int nr = 0;
  bool enter = true;
  int64_t ret = 0;                 // exit only
  std::array<uint64_t, 6> args{};  // enter (and exit when its enter was seen)
  std::vector<TraceString> strings;
};

// A line of text or a JSON object, from pair_calls(): a complete call, or one half of it.
struct TraceCall {
  enum class State {
    Complete,      // enter and exit
    Unfinished,    // Adjacent: an enter whose exit is not next (strace's "name(args)...")
    Resumed,       // Adjacent: an exit whose enter is not just before ("...name() = ret")
    ExitMissing,   // ByThread: an enter whose exit is not in the ring (exit_group, still
                   // running at the dump, or the exit overwritten or torn)
    EnterMissing,  // ByThread: an exit whose enter is not in the ring (overwritten, torn, or
                   // before the recording started)
  };
  State state = State::Complete;
  const TraceEvent* enter = nullptr;  // Complete, Unfinished, ExitMissing
  const TraceEvent* exit = nullptr;   // Complete, Resumed, EnterMissing
  const TraceEvent& first() const { return enter ? *enter : *exit; }
};

// "complete", "unfinished", "resumed", "exit_missing", "enter_missing".
const char* to_string(TraceCall::State s);

// How enters and exits become calls, from events sorted by time:
//   Adjacent: an enter directly followed by the exit of the same thread is one call; anything
//     else is Unfinished/Resumed, as strace prints calls that other threads interleave (text);
//   ByThread: an enter and the next event of its thread, when that is its exit, are one call
//     wherever other threads' events fall between, at the enter's place in time; an enter or
//     exit without its other half is ExitMissing/EnterMissing (JSON: one object per call).
enum class Pairing { Adjacent, ByThread };
std::vector<TraceCall> pair_calls(const std::vector<TraceEvent>& sorted, Pairing pairing = Pairing::Adjacent);

// --timestamps: since the recording started (00:04.022361201), wall clock in UTC
// (2026-11-30T12:50:31.022361201Z), or the kernel's CLOCK_MONOTONIC (4717.133851152).
enum class TimestampFormat { Relative, Wall, Mono };
// "relative", "wall", "mono"; throws UsageError otherwise.
TimestampFormat parse_timestamp_format(const std::string& s);

struct TraceContext {
  const SyscallNames& names;
  const SyscallFormats& formats;
  uint64_t t0_ns = 0;  // relative times start here
  TimestampFormat timestamps = TimestampFormat::Relative;
  WallClock wall{0};  // --timestamps wall: monotonic -> wall clock
};

// Summary of a dump, first line of it: "# dump 1: 12 events, 12 recorded, 0 overwritten, 0 torn, 0 lost".
// events + torn + overwritten = recorded.
struct DumpSummary {
  int number = 1;
  uint64_t events = 0;       // slots in this dump
  uint64_t recorded = 0;     // written since the start
  uint64_t overwritten = 0;  // oldest slots overwritten since the start
  uint64_t torn = 0;         // slots being written or rewritten while the dump copied them
  uint64_t lost = 0;         // not recorded at all
};

// The trace-line records, rendered by the formatters like any other stream (text: strace
// lines, output/text/trace_text.cpp; json: one object per line; commands/dump.hpp writes a dump):
//   {"type":"dump","dump","events","recorded","overwritten","torn","lost"}
//   {"type":"syscall","ts_ns","cpu","pid","tid",["pid_ns","tid_ns"],["time"],"comm","name","state",
//    "duration_ns","args":[{"name","value",["str"|"list"|"text"],["truncated"],["truncated_items"]}],
//    "ret","errno"}
// ts_ns, cpu and comm are the enter's (the exit's when there is no enter); duration_ns is exit
// minus enter, null unless both are there; ret and errno are null without an exit.
Schema trace_schema();
Record summary_record(const DumpSummary& s);
Record call_record(const TraceCall& c, const TraceContext& ctx);

}  // namespace ctrace::enrich
