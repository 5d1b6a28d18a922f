#include "ctrace/enrich/syscall_trace.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>

#include "ctrace/core/error.hpp"
#include "ctrace/core/escape.hpp"
#include "ctrace/core/time.hpp"
#include "ctrace/enrich/flags.hpp"
#include "ctrace/enrich/sockaddr.hpp"
extern "C" {
#include "bpf/common.h"
}

namespace ctrace::enrich {

namespace {

bool is_error(int64_t ret) {
  return is_syscall_error(ret);
}

bool is_pointer(const std::string& type) {
  return type.find('*') != std::string::npos;
}

bool is_64bit(const std::string& t) {
  for (const char* w : {"long", "size_t", "off_t", "u64", "s64", "*"})
    if (t.find(w) != std::string::npos) return true;
  return false;
}

bool is_unsigned(const std::string& t) {
  if (t.find("ssize_t") != std::string::npos) return false;
  for (const char* w : {"unsigned", "size_t", "u32", "u64", "umode_t", "uid_t", "gid_t", "__u", "u16", "u8"})
    if (t.find(w) != std::string::npos) return true;
  return false;
}

// Flags, modes, commands and opaque words read better in hex.
bool is_hex_name(const std::string& n) {
  for (const char* w : {"flags", "flag", "mode", "cmd", "arg", "prot", "mask", "how", "options", "op"})
    if (n == w) return true;
  return n.find("flags") != std::string::npos;
}

std::string hex(uint64_t v) {
  return fmt::format("0x{:x}", v);
}

bool is_sockaddr(const SyscallArg& a) {
  return a.type == "struct sockaddr *";
}

// Calls whose result is an address, printed in hex as strace does.
bool returns_address(std::string_view name) {
  return name == "mmap" || name == "mremap" || name == "brk" || name == "shmat";
}

// A file descriptor: an int wherever the kernel uses it, whatever the format file's type
// (mmap's `unsigned long fd`, read's `unsigned int fd`): -1 as strace prints it.
bool is_fd_name(std::string_view n) {
  return n.size() >= 2 && n.substr(n.size() - 2) == "fd";  // fd, dfd, epfd, out_fd, pidfd...
}

// An address passed as an integer: mmap's, munmap's and ptrace's `unsigned long addr`, brk's
// `brk`, mprotect's and madvise's `start`, mremap's `new_addr`, arch_prctl's FS/GS base.
bool is_address(std::string_view syscall, const SyscallArg& a) {
  return a.name == "addr" || a.name == "brk" || a.name == "start" || a.name == "new_addr" ||
         (syscall == "arch_prctl" && a.name == "arg2");
}

// The value of an argument: pointers (NULL) and flags in hex in text, integers in decimal with
// the width and signedness of their kernel type; JSON has the number. mmap's offset is in hex
// as strace prints it ("0x1000", and "0").
Value arg_value(std::string_view syscall, const SyscallArg& a, uint64_t v) {
  if (is_pointer(a.type) || is_address(syscall, a)) return Spelled{v, v ? hex(v) : "NULL"};
  if (syscall == "mmap" && a.name == "off") return Spelled{v, v ? hex(v) : "0"};
  if (is_fd_name(a.name)) return static_cast<int64_t>(static_cast<int32_t>(v));
  if (!is_64bit(a.type)) v &= 0xffffffffULL;
  if (is_hex_name(a.name)) return Spelled{v, hex(v)};
  if (is_unsigned(a.type)) return v;
  return is_64bit(a.type) ? static_cast<int64_t>(v) : static_cast<int64_t>(static_cast<int32_t>(v));
}

const TraceString* find_string(const TraceCall& c, int arg) {
  for (const TraceEvent* e : {c.enter, c.exit})
    if (e)
      for (const auto& s : e->strings)
        if (s.arg == arg && !s.failed) return &s;
  return nullptr;
}

// The arguments shown for a call: all of them at enter; an exit without its enter shows
// only what it captured (read's buffer).
std::vector<SyscallArg> shown_args(const TraceCall& c, const TraceContext& ctx, std::vector<int>& index) {
  std::vector<SyscallArg> out;
  const auto* f = ctx.formats.find(c.first().nr);
  if (!c.enter) {
    for (const auto& s : c.exit->strings) {
      if (s.failed) continue;
      SyscallArg a;
      bool known = f && s.arg < static_cast<int>(f->args.size());
      a.name = known ? f->args[static_cast<size_t>(s.arg)].name : fmt::format("arg{}", s.arg);
      a.type = known ? f->args[static_cast<size_t>(s.arg)].type : "char *";
      out.push_back(a);
      index.push_back(s.arg);
    }
    return out;
  }
  if (f) {
    // what strace leaves out for this call (fcntl's arg for F_GETFL, openat's mode without O_CREAT)
    size_t n = std::min<size_t>(shown_arg_count(f->name, c.enter->args).value_or(6), 6);
    for (size_t i = 0; i < f->args.size() && i < n; ++i) {
      out.push_back(f->args[i]);
      index.push_back(static_cast<int>(i));
    }
  } else {
    for (int i = 0; i < 6; ++i) {
      out.push_back({"unsigned long", fmt::format("arg{}", i)});
      index.push_back(i);
    }
  }
  return out;
}

std::string timestamp(uint64_t ts, const TraceContext& ctx) {
  switch (ctx.timestamps) {
    case TimestampFormat::Wall:
      return format_utc(ctx.wall.to_wall_ns(ts), TimePrecision::Nanos);
    case TimestampFormat::Mono:
      return fmt::format("{}.{:09}", ts / 1000000000ULL, ts % 1000000000ULL);
    case TimestampFormat::Relative:
      break;
  }
  uint64_t d = ts > ctx.t0_ns ? ts - ctx.t0_ns : 0;
  uint64_t s = d / 1000000000ULL;
  return fmt::format("{:02}:{:02}.{:09}", s / 60, s % 60, d % 1000000000ULL);
}

}  // namespace

TimestampFormat parse_timestamp_format(const std::string& s) {
  if (s == "relative") return TimestampFormat::Relative;
  if (s == "wall") return TimestampFormat::Wall;
  if (s == "mono") return TimestampFormat::Mono;
  throw UsageError("invalid --timestamps '{}': give relative, wall or mono", s);
}

std::string escape_bytes(std::string_view bytes) {
  return escape_strace(bytes);
}

const char* to_string(TraceCall::State s) {
  switch (s) {
    case TraceCall::State::Complete:
      return "complete";
    case TraceCall::State::Unfinished:
      return "unfinished";
    case TraceCall::State::Resumed:
      return "resumed";
    case TraceCall::State::ExitMissing:
      return "exit_missing";
    case TraceCall::State::EnterMissing:
      return "enter_missing";
  }
  return "?";
}

std::vector<TraceCall> pair_calls(const std::vector<TraceEvent>& ev, Pairing pairing) {
  std::vector<TraceCall> out;
  out.reserve(ev.size());
  if (pairing == Pairing::ByThread) {
    std::unordered_map<uint32_t, size_t> open;  // tid -> its unfinished call in `out`
    for (const TraceEvent& e : ev) {
      auto it = open.find(e.tid);
      if (e.enter) {
        // an enter after an enter: the first one's exit is not in the ring, it stays ExitMissing
        if (it != open.end()) open.erase(it);
        open.emplace(e.tid, out.size());
        out.push_back({TraceCall::State::ExitMissing, &e, nullptr});
        continue;
      }
      if (it != open.end() && out[it->second].enter->nr == e.nr) {
        out[it->second] = {TraceCall::State::Complete, out[it->second].enter, &e};
      } else {
        out.push_back({TraceCall::State::EnterMissing, nullptr, &e});
      }
      if (it != open.end()) open.erase(it);
    }
    return out;
  }
  for (size_t i = 0; i < ev.size(); ++i) {
    const TraceEvent& e = ev[i];
    if (!e.enter) {
      out.push_back({TraceCall::State::Resumed, nullptr, &e});
      continue;
    }
    if (i + 1 < ev.size() && !ev[i + 1].enter && ev[i + 1].tid == e.tid && ev[i + 1].nr == e.nr) {
      out.push_back({TraceCall::State::Complete, &e, &ev[i + 1]});
      ++i;
    } else {
      out.push_back({TraceCall::State::Unfinished, &e, nullptr});
    }
  }
  return out;
}

Schema trace_schema() {
  Schema s;
  s.type = "syscall";
  s.layout = Layout::Trace;
  return s;
}

Record summary_record(const DumpSummary& s) {
  Record r;
  r.set("type", "dump")
      .set("dump", s.number)
      .set("events", s.events)
      .set("recorded", s.recorded)
      .set("overwritten", s.overwritten)
      .set("torn", s.torn)
      .set("lost", s.lost);
  return r;
}

Record call_record(const TraceCall& c, const TraceContext& ctx) {
  const TraceEvent& f = c.first();
  Record r;
  r.set("type", "syscall")
      .set("ts_ns", Spelled{f.ts_ns, timestamp(f.ts_ns, ctx)})
      .set("cpu", f.cpu)
      .set("pid", f.pid)
      .set("tid", f.tid);
  if (f.ns_tid && f.ns_tid != f.tid) r.set("pid_ns", f.ns_pid).set("tid_ns", f.ns_tid);
  if (ctx.timestamps == TimestampFormat::Wall) r.set("time", timestamp(f.ts_ns, ctx));
  const std::string name = ctx.names.name(f.nr);
  r.set("comm", escape_bytes(f.comm)).set("name", name).set("state", to_string(c.state));
  if (c.enter && c.exit)
    r.set("duration_ns", c.exit->ts_ns > c.enter->ts_ns ? c.exit->ts_ns - c.enter->ts_ns : uint64_t{0});
  else
    r.set("duration_ns", Value{});
  Array args;
  std::vector<int> index;
  auto shown = shown_args(c, ctx, index);
  args.reserve(shown.size());
  for (size_t i = 0; i < shown.size(); ++i) {
    int k = index[i];
    uint64_t v = f.args[static_cast<size_t>(k)];
    Object a{{"name", shown[i].name}, {"value", arg_value(name, shown[i], v)}};
    if (const TraceString* s = find_string(c, k); s && is_sockaddr(shown[i])) {
      a.emplace_back("text", sockaddr_strace_text(s->bytes.data(), s->bytes.size()));
    } else if (s && s->is_list) {
      Strings list;
      Array cut;
      for (size_t j = 0; j < s->list.size(); ++j) {
        list.push_back(escape_bytes(s->list[j].bytes));
        if (s->list[j].truncated) cut.emplace_back(j);
      }
      a.emplace_back("list", std::move(list));
      if (s->truncated) a.emplace_back("truncated", true);
      if (!cut.empty()) a.emplace_back("truncated_items", std::move(cut));
    } else if (s) {
      a.emplace_back("str", escape_bytes(s->bytes));
      if (s->truncated) a.emplace_back("truncated", true);
    } else if (auto sym = symbolic_arg(name, shown[i].name, v, f.args)) {
      a.emplace_back("text", std::move(*sym));
    }
    args.emplace_back(std::move(a));
  }
  r.set("args", std::move(args));
  if (c.exit && is_error(c.exit->ret))
    r.set("ret", c.exit->ret).set("errno", errno_name(static_cast<int>(-c.exit->ret)));
  else if (auto text = c.exit ? symbolic_result(name, c.exit->ret, f.args) : std::nullopt)
    r.set("ret", Spelled{static_cast<uint64_t>(c.exit->ret), std::move(*text)}).set("errno", Value{});
  else if (c.exit && returns_address(name))
    r.set("ret", Spelled{static_cast<uint64_t>(c.exit->ret), hex(static_cast<uint64_t>(c.exit->ret))})
        .set("errno", Value{});
  else if (c.exit)
    r.set("ret", c.exit->ret).set("errno", Value{});
  else
    r.set("ret", Value{}).set("errno", Value{});
  return r;
}

}  // namespace ctrace::enrich
