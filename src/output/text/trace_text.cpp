// strace-style text of the trace-line records (output/syscall_trace.hpp):
//   00:04.022361201 cpu#0 pid 23981 [bc] read(fd=0, buf="2*3*7\n", count=8192) = 6
//   # dump 1: 12 events, 12 recorded, 0 overwritten, 0 torn, 0 lost
// Strings arrive escaped (the JSON shows the same escapes); only quotes and `...` are added.
#include <fmt/format.h>

#include <algorithm>

#include "ctrace/core/escape.hpp"
#include "output/formatters.hpp"

namespace ctrace::output {

namespace {

const std::string& str(const Record& r, const std::string& key) {
  static const std::string kNone;
  const Value* v = r.get(key);
  const auto* s = v ? std::get_if<std::string>(&v->v) : nullptr;
  return s ? *s : kNone;
}

const Value* field(const Object& o, const std::string& key) {
  for (const auto& [k, v] : o)
    if (k == key) return &v;
  return nullptr;
}

bool flag(const Object& o, const std::string& key) {
  const Value* v = field(o, key);
  return v && std::holds_alternative<bool>(v->v) && std::get<bool>(v->v);
}

// A number as it reads in a trace: a Spelled one as spelled, others in decimal.
std::string number(const Value& v) {
  if (const auto* s = std::get_if<Spelled>(&v.v)) return s->text;
  return format_text(v, Column{});
}

// strace: ["cat", "/nonexistent"], ["sh", "-c", "a long scri"...], ["a", "b", ...]
std::string list_text(const Object& arg, const Strings& list) {
  std::vector<bool> cut(list.size());
  if (const Value* items = field(arg, "truncated_items"))
    if (const auto* a = std::get_if<Array>(&items->v))
      for (const auto& i : *a)
        if (const auto* u = std::get_if<uint64_t>(&i.v); u && *u < cut.size()) cut[*u] = true;
  std::string out = "[";
  for (size_t i = 0; i < list.size(); ++i) {
    if (i) out += ", ";
    out += "\"" + list[i] + "\"" + (cut[i] ? "..." : "");
  }
  if (flag(arg, "truncated")) out += list.empty() ? "..." : ", ...";
  return out + "]";
}

// "text" and "str" hold strace's escapes already (format_text() would escape their backslashes).
std::string escaped(const Value& v) {
  const auto* s = std::get_if<std::string>(&v.v);
  return s ? *s : format_text(v, Column{});
}

std::string arg_text(const Object& arg) {
  if (const Value* t = field(arg, "text")) return escaped(*t);
  if (const Value* l = field(arg, "list"))
    if (const auto* list = std::get_if<Strings>(&l->v)) return list_text(arg, *list);
  if (const Value* s = field(arg, "str"))
    return "\"" + escaped(*s) + "\"" + (flag(arg, "truncated") ? "..." : "");
  const Value* v = field(arg, "value");
  return v ? number(*v) : "?";
}

std::string summary_text(const Record& r) {
  auto n = [&](const char* key) {
    const Value* v = r.get(key);
    return v ? format_text(*v, Column{}) : std::string("?");
  };
  return fmt::format("# dump {}: {} events, {} recorded, {} overwritten, {} torn, {} lost", n("dump"),
                     n("events"), n("recorded"), n("overwritten"), n("torn"), n("lost"));
}

// The fields of a trace line are strace-escaped when the record is made (call_record): a line
// is printable ASCII. Should a byte outside it get here all the same, it is written as strace's
// octal rather than raw; on the lines call_record() makes this changes nothing.
std::string printable(std::string line) {
  if (std::all_of(line.begin(), line.end(), [](char c) { return c >= 0x20 && c < 0x7f; })) return line;
  std::string out;
  for (char c : line)
    out += c >= 0x20 && c < 0x7f ? std::string(1, c) : escape_strace(std::string_view(&c, 1));
  return out;
}

}  // namespace

std::string trace_text(const Record& r) {
  if (str(r, "type") == "dump") return summary_text(r);
  std::string line;
  const Value* ts = r.get("ts_ns");
  line += ts ? number(*ts) : "?";
  const Value* cpu = r.get("cpu");
  line += " cpu#" + (cpu ? format_text(*cpu, Column{}) : "?");
  const Value* tid = r.get("tid");
  line += " pid " + (tid ? format_text(*tid, Column{}) : "?");
  // "pid 24222 (7 in container)": the thread in its own PID namespace
  if (const Value* ns = r.get("tid_ns")) line += " (" + format_text(*ns, Column{}) + " in container)";
  line += " [" + str(r, "comm") + "] ";
  const std::string& state = str(r, "state");
  // strace's split lines; a record paired by thread without its other half reads the same
  if (state == "resumed" || state == "enter_missing") line += "...";
  line += str(r, "name");
  line += '(';
  if (const Value* args = r.get("args"))
    if (const auto* a = std::get_if<Array>(&args->v))
      for (size_t i = 0; i < a->size(); ++i) {
        const auto* arg = std::get_if<Object>(&(*a)[i].v);
        const Value* name = arg ? field(*arg, "name") : nullptr;
        if (!name) continue;
        if (i) line += ", ";
        line += format_text(*name, Column{});
        line += '=';
        line += arg_text(*arg);
      }
  line += ')';
  if (state == "unfinished" || state == "exit_missing") return printable(line + "...");
  const Value* ret = r.get("ret");
  line += " = " + (ret ? format_text(*ret, Column{}) : "?");
  if (const std::string& err = str(r, "errno"); !err.empty()) line += " " + err;
  return printable(line);
}

}  // namespace ctrace::output
