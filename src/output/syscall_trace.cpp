#include "ctrace/output/syscall_trace.hpp"

#include <fmt/format.h>

namespace ctrace::output {

namespace {

// errno values come back as -1..-4095
bool is_error(int64_t ret) {
  return ret < 0 && ret >= -4095;
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
  for (const char* w :
       {"flags", "flag", "mode", "cmd", "arg", "prot", "mask", "how", "options", "op", "addr"})
    if (n == w) return true;
  return n.find("flags") != std::string::npos;
}

std::string hex(uint64_t v) {
  return fmt::format("0x{:x}", v);
}

std::string quoted(const TraceString& s) {
  return "\"" + escape_bytes(s.bytes) + "\"" + (s.truncated ? "..." : "");
}

// The value of an argument: pointers in hex (NULL), flags in hex, integers in decimal
// with the width and signedness of their kernel type.
std::string format_number(const enrich::SyscallArg& a, uint64_t v) {
  if (is_pointer(a.type)) return v ? hex(v) : "NULL";
  if (!is_64bit(a.type)) v &= 0xffffffffULL;
  if (is_hex_name(a.name)) return hex(v);
  if (is_unsigned(a.type)) return fmt::format("{}", v);
  int64_t s = is_64bit(a.type) ? static_cast<int64_t>(v) : static_cast<int64_t>(static_cast<int32_t>(v));
  return fmt::format("{}", s);
}

nlohmann::ordered_json json_number(const enrich::SyscallArg& a, uint64_t v) {
  if (is_pointer(a.type)) return v;
  if (!is_64bit(a.type)) v &= 0xffffffffULL;
  if (is_unsigned(a.type) || is_hex_name(a.name)) return v;
  return is_64bit(a.type) ? static_cast<int64_t>(v) : static_cast<int64_t>(static_cast<int32_t>(v));
}

const TraceString* find_string(const TraceCall& c, int arg) {
  for (const TraceEvent* e : {c.enter, c.exit})
    if (e)
      for (const auto& s : e->strings)
        if (s.arg == arg && !s.failed) return &s;
  return nullptr;
}

// The arguments shown for a call: all of them at enter; a resumed exit shows only
// what it captured (read's buffer).
std::vector<enrich::SyscallArg> shown_args(const TraceCall& c, const TraceContext& ctx,
                                           std::vector<int>& index) {
  std::vector<enrich::SyscallArg> out;
  const auto* f = ctx.formats.find(c.first().nr);
  if (c.state == TraceCall::State::Resumed) {
    for (const auto& s : c.exit->strings) {
      if (s.failed) continue;
      enrich::SyscallArg a;
      a.name = f && s.arg < static_cast<int>(f->args.size()) ? f->args[static_cast<size_t>(s.arg)].name
                                                             : fmt::format("arg{}", s.arg);
      a.type = "char *";
      out.push_back(a);
      index.push_back(s.arg);
    }
    return out;
  }
  if (f) {
    for (size_t i = 0; i < f->args.size() && i < 6; ++i) {
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

std::string relative_time(uint64_t ts, uint64_t t0) {
  uint64_t d = ts > t0 ? ts - t0 : 0;
  uint64_t s = d / 1000000000ULL;
  return fmt::format("{:02}:{:02}.{:09}", s / 60, s % 60, d % 1000000000ULL);
}

}  // namespace

std::string escape_bytes(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (size_t i = 0; i < bytes.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(bytes[i]);
    switch (c) {
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\v':
        out += "\\v";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      default:
        if (c >= 0x20 && c < 0x7f) {
          out += static_cast<char>(c);
        } else {
          // strace: shortest octal unless a digit follows
          bool digit_next = i + 1 < bytes.size() && bytes[i + 1] >= '0' && bytes[i + 1] <= '7';
          out += digit_next ? fmt::format("\\{:03o}", c) : fmt::format("\\{:o}", c);
        }
    }
  }
  return out;
}

const char* to_string(TraceCall::State s) {
  switch (s) {
    case TraceCall::State::Complete:
      return "complete";
    case TraceCall::State::Unfinished:
      return "unfinished";
    case TraceCall::State::Resumed:
      return "resumed";
  }
  return "?";
}

std::vector<TraceCall> pair_calls(const std::vector<TraceEvent>& ev) {
  std::vector<TraceCall> out;
  out.reserve(ev.size());
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

std::string format_return(int64_t ret) {
  if (is_error(ret)) return fmt::format("= {} {}", ret, enrich::errno_name(static_cast<int>(-ret)));
  return fmt::format("= {}", ret);
}

std::string format_call_text(const TraceCall& c, const TraceContext& ctx) {
  const TraceEvent& f = c.first();
  std::string line =
      fmt::format("{} cpu#{} pid {} [{}] ", relative_time(f.ts_ns, ctx.t0_ns), f.cpu, f.tid, f.comm);
  if (c.state == TraceCall::State::Resumed) line += "...";
  line += ctx.names.name(f.nr);
  line += '(';
  std::vector<int> index;
  auto args = shown_args(c, ctx, index);
  for (size_t i = 0; i < args.size(); ++i) {
    if (i) line += ", ";
    line += args[i].name;
    line += '=';
    int k = index[i];
    if (const TraceString* s = find_string(c, k))
      line += quoted(*s);
    else
      line += format_number(args[i], f.args[static_cast<size_t>(k)]);
  }
  line += ')';
  if (c.state == TraceCall::State::Unfinished)
    line += "...";
  else
    line += " " + format_return(c.exit->ret);
  return line;
}

nlohmann::ordered_json format_call_json(const TraceCall& c, const TraceContext& ctx) {
  const TraceEvent& f = c.first();
  nlohmann::ordered_json j;
  j["type"] = "syscall";
  j["ts_ns"] = f.ts_ns;
  j["cpu"] = f.cpu;
  j["pid"] = f.pid;
  j["tid"] = f.tid;
  j["comm"] = escape_bytes(f.comm);
  j["name"] = ctx.names.name(f.nr);
  j["state"] = to_string(c.state);
  nlohmann::ordered_json args = nlohmann::ordered_json::array();
  std::vector<int> index;
  auto shown = shown_args(c, ctx, index);
  for (size_t i = 0; i < shown.size(); ++i) {
    nlohmann::ordered_json a;
    a["name"] = shown[i].name;
    int k = index[i];
    a["value"] = json_number(shown[i], f.args[static_cast<size_t>(k)]);
    if (const TraceString* s = find_string(c, k)) {
      a["str"] = escape_bytes(s->bytes);
      if (s->truncated) a["truncated"] = true;
    }
    args.push_back(std::move(a));
  }
  j["args"] = std::move(args);
  if (c.exit) {
    j["ret"] = c.exit->ret;
    j["errno"] = is_error(c.exit->ret)
                     ? nlohmann::ordered_json(enrich::errno_name(static_cast<int>(-c.exit->ret)))
                     : nlohmann::ordered_json(nullptr);
  } else {
    j["ret"] = nullptr;
    j["errno"] = nullptr;
  }
  return j;
}

std::string format_summary_text(const DumpSummary& s) {
  return fmt::format("# dump {}: {} events, {} recorded, {} overwritten, {} lost", s.number, s.events,
                     s.recorded, s.overwritten, s.lost);
}

nlohmann::ordered_json format_summary_json(const DumpSummary& s) {
  return {{"type", "dump"},
          {"dump", s.number},
          {"events", s.events},
          {"recorded", s.recorded},
          {"overwritten", s.overwritten},
          {"lost", s.lost}};
}

std::string render_dump(const DumpSummary& s, const std::vector<TraceEvent>& sorted, const TraceContext& ctx,
                        bool json) {
  std::string out = json ? format_summary_json(s).dump() : format_summary_text(s);
  out += '\n';
  for (const auto& c : pair_calls(sorted)) {
    out += json ? format_call_json(c, ctx).dump() : format_call_text(c, ctx);
    out += '\n';
  }
  return out;
}

}  // namespace ctrace::output
