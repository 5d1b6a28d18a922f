// ctrace exec: every program a container runs, and every exec that failed.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstring>

#include "commands/lifecycle.hpp"
#include "ctrace/commands/command.hpp"
#include "ctrace/enrich/names.hpp"
#include "ctrace/probe/runner.hpp"
#include "exec.lskel.hpp"

namespace ctrace::commands {

bool exec_event_from(const void* data, size_t size, exec_event& out) {
  return event_from(data, size, offsetof(exec_event, args), out);
}

void decode_exec(const exec_event& e, const TaskFields* task, FieldSink& out) {
  if (task) task->add(out, e.task);
  out.put("ns_pid", e.ns_pid);
  out.put("ppid", e.ppid);
  out.put("call", e.call == EXEC_CALL_EXECVEAT ? "execveat" : "execve");
  out.put("ret", static_cast<int64_t>(e.ret));
  out.put("result", ret_text(e.ret));
  std::string_view filename = c_string(e.filename, sizeof e.filename);
  out.put("filename", filename);
  std::string_view interp = c_string(e.interp, sizeof e.interp);
  if (!interp.empty() && interp != filename) out.put("interp", interp);
  unsigned argc = std::min<unsigned>(e.argc, EXEC_ARGS_MAX);
  Strings args;
  Array cut;
  args.reserve(argc);
  for (unsigned i = 0; i < argc; ++i) {
    args.emplace_back(c_string(e.args[i], EXEC_ARG_LEN));
    if (e.arg_cut & (1ULL << i)) cut.emplace_back(static_cast<uint64_t>(i));
  }
  out.put("args", args);
  out.put("args_cut", Value(std::move(cut)));
  out.put("args_more", (e.flags & EXEC_F_ARGV_MORE) != 0);
  if (e.flags & EXEC_F_FILENAME_CUT) out.put("filename_cut", true);
  if (e.old_tid && e.old_tid != e.task.pid) out.put("old_tid", e.old_tid);
  if (e.flags & EXEC_F_NO_ENTER) out.put("no_enter", true);
  if (e.call == EXEC_CALL_EXECVEAT) {
    out.put("dirfd", static_cast<int64_t>(e.dirfd));
    out.put("at_flags", e.at_flags);
  }
  if (e.enter_ns && e.task.ts_ns >= e.enter_ns)
    out.put("duration_ns", static_cast<uint64_t>(e.task.ts_ns - e.enter_ns));
}

std::string exec_args_text(const Record& r) {
  const auto* args = r.get("args");
  const Strings* list = args ? std::get_if<Strings>(&args->v) : nullptr;
  if (!list || list->empty()) return r.raw("filename");
  std::vector<bool> cut(list->size());
  if (const auto* c = r.get("args_cut"))
    if (const auto* a = std::get_if<Array>(&c->v))
      for (const auto& i : *a)
        if (const auto* u = std::get_if<uint64_t>(&i.v); u && *u < cut.size()) cut[*u] = true;
  std::string text;
  for (size_t i = 0; i < list->size(); ++i) {
    const std::string& a = (*list)[i];
    if (i) text += ' ';
    bool quote = a.empty() || a.find_first_of(" \t'\"") != std::string::npos;
    if (quote) text += '\'';
    text += a;
    if (cut[i]) text += "...";
    if (quote) text += '\'';
  }
  if (r.flag("args_more")) text += " ...";
  return text;
}

namespace {

constexpr const char* kExamples = R"(EXAMPLES:
  ctrace exec                                     # every container (and the host)
  ctrace exec --container web -x                  # the execs of one container that failed
  ctrace exec -o json -- sh -c 'ls /; missing'    # a command of its own, as JSON

One line per execve/execveat, successful or failed (RET -ENOENT, -EACCES, -ENOEXEC...). PID is
the host's, NSPID the one the container sees; COMM is the new program's after a success. ARGS is
argv as the caller passed it: 20 strings of up to 255 bytes, "..." where one was cut and at the
end when argv went on (JSON: args, args_cut, args_more). A script's interpreter is in JSON's
"interp".)";

class ExecCommand final : public Command {
 public:
  CLI::App* setup(CLI::App& root) override {
    auto* app = root.add_subcommand("exec", "programs containers run (execve, execveat), failed ones too");
    app->footer(kExamples);
    add_stream_options(*app, opts_);
    add_failed_option(*app, failed_, {}, "only failed execs (return value -ERRNO)");
    return app;
  }

  int run(const GlobalOptions&) override {
    int nr_execve = enrich::SyscallNames::nr_or_none("execve");
    int nr_execveat = enrich::SyscallNames::nr_or_none("execveat");
    exec_event event;
    return run_event_stream<exec_lbpf>(
        opts_, schema(), offsetof(exec_event, args),
        [](exec_lbpf& s) {
          return std::pair{&s.maps.exec_events, &s.maps.exec_lost};
        },
        [&](exec_lbpf* s) {
          s->rodata->targ_nr_execve = nr_execve;
          s->rodata->targ_nr_execveat = nr_execveat;
          s->rodata->targ_failed_only = failed_;
        },
        [&](const void* data, size_t size, EventNames& names, FieldSink& out) {
          exec_event_from(data, size, event);  // at least its fixed part: whole
          decode_exec(event, &names.task(), out);
        });
  }

 private:
  Schema schema() const {
    Schema s;
    s.type = "exec";
    Column args{"args", "ARGS", Align::Left};
    args.text = exec_args_text;
    s.columns = {
        time_column(opts_.precision),
        container_column(opts_.container_by),
        {"pid", "PID", Align::Left, -1, "", 7},
        {"ns_pid", "NSPID", Align::Left, -1, "", 6},
        {"ppid", "PPID", Align::Left, -1, "", 7},
        {"uid", "UID", Align::Left, -1, "", 5},
        {"result", "RET", Align::Right, -1, "", 8},
        {"comm", "COMM", Align::Left, -1, "", 16},
        args,
    };
    return s;
  }

  StreamOptions opts_;
  bool failed_ = false;
};

}  // namespace

std::unique_ptr<Command> make_exec() {
  return std::make_unique<ExecCommand>();
}

}  // namespace ctrace::commands
