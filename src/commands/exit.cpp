// ctrace exit: how a container's processes end (a status, or the signal that killed them).
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "commands/lifecycle.hpp"
#include "ctrace/commands/command.hpp"
#include "ctrace/probe/runner.hpp"
#include "exit.lskel.hpp"

namespace ctrace::commands {

void decode_exit(const exit_event& e, const TaskFields* task, FieldSink& out) {
  if (task) task->add(out, e.task);
  out.put("ns_pid", e.ns_pid);
  out.put("ns_tid", e.ns_tid);
  out.put("ppid", e.ppid);
  out.put("exit_code", e.exit_code);
  int sig = EXIT_SIGNAL(e.exit_code);
  int status = EXIT_STATUS(e.exit_code);
  out.put("reason", sig ? "signal" : status ? "code" : "ok");
  if (sig) {
    out.put("signal", signal_name(sig));
    out.put("core_dumped", EXIT_CORE_DUMPED(e.exit_code));
  } else {
    out.put("status", status);
  }
  out.put("lifetime_ns", static_cast<uint64_t>(e.lifetime_ns));
  out.put("group_dead", (e.flags & EXIT_F_GROUP_DEAD) != 0);
  // the container's init: its end is the container's (the kernel kills the rest of its pid ns)
  out.put("init", (e.flags & EXIT_F_NS_INIT) != 0 && (e.flags & EXIT_F_GROUP_DEAD) != 0);
}

namespace {

constexpr const char* kExamples = R"(EXAMPLES:
  ctrace exit                                     # every container (and the host)
  ctrace exit --container web -x                  # processes of one container that failed
  ctrace exit --threads -o json -- sh -c 'exit 3'

One line per process that ends (per thread with --threads). EXIT is its exit status (exit(3):
3) or the signal that killed it ("SIGSEGV core" when a core file was written); -x/--failed keeps
non-zero statuses and deaths by signal. LIFE is how long it lived, from its fork. NOTE says
"container init" when the process was pid 1 of its pid namespace: the container has ended.)";

std::string exit_text(const Record& r) {
  if (std::string sig = r.raw("signal"); !sig.empty()) return sig + (r.flag("core_dumped") ? " core" : "");
  std::string status = r.raw("status");
  return status.empty() ? "?" : status;
}

std::string lifetime_text(const Record& r) {
  const auto* v = r.get("lifetime_ns");
  const auto* ns = v ? std::get_if<uint64_t>(&v->v) : nullptr;
  if (!ns) return "-";
  double s = static_cast<double>(*ns) / 1e9;
  if (s < 60) return fmt::format("{:.3f}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", static_cast<uint64_t>(s) / 60, static_cast<uint64_t>(s) % 60);
  return fmt::format("{}h{:02}m", static_cast<uint64_t>(s) / 3600, static_cast<uint64_t>(s) / 60 % 60);
}

std::string note_text(const Record& r) {
  if (r.flag("init")) return "container init";
  return r.get("group_dead") && !r.flag("group_dead") ? "thread" : "";
}

class ExitCommand final : public Command {
 public:
  CLI::App* setup(CLI::App& root) override {
    auto* app = root.add_subcommand("exit", "processes that end: exit status or killing signal, lifetime");
    app->footer(kExamples);
    add_stream_options(*app, opts_);
    add_failed_option(*app, failed_, {}, "only failures: a non-zero exit status or death by a signal");
    app->add_flag("--threads", threads_, "every thread's exit, not only each process's last");
    return app;
  }

  int run(const GlobalOptions&) override {
    return run_event_stream<exit_lbpf>(
        opts_, schema(), sizeof(exit_event),
        [](exit_lbpf& s) { return std::pair{&s.maps.exit_events, &s.maps.exit_lost}; },
        [&](exit_lbpf* s) {
          s->rodata->targ_threads = threads_;
          s->rodata->targ_failed_only = failed_;
        },
        [](const void* data, size_t, EventNames& names, FieldSink& out) {
          decode_exit(*static_cast<const exit_event*>(data), &names.task(), out);
        });
  }

 private:
  Schema schema() const {
    Schema s;
    s.type = "exit";
    Column how{"reason", "EXIT", Align::Right, -1, "", 8};
    how.text = exit_text;
    Column life{"lifetime_ns", "LIFE", Align::Right, -1, "", 9};
    life.text = lifetime_text;
    Column note{"init", "NOTE", Align::Left};
    note.text = note_text;
    s.columns = {
        time_column(opts_.precision),
        container_column(opts_.container_by),
        {"pid", "PID", Align::Left, -1, "", 7},
        {"ns_pid", "NSPID", Align::Left, -1, "", 6},
        {"ppid", "PPID", Align::Left, -1, "", 7},
        {"comm", "COMM", Align::Left, -1, "", 16},
        how,
        life,
        note,
    };
    if (threads_) s.columns.insert(s.columns.begin() + 3, {"tid", "TID", Align::Left, -1, "", 7});
    return s;
  }

  StreamOptions opts_;
  bool failed_ = false;
  bool threads_ = false;
};

}  // namespace

std::unique_ptr<Command> make_exit() {
  return std::make_unique<ExitCommand>();
}

}  // namespace ctrace::commands
