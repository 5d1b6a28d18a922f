// ctrace signal: who signals whom, matched on either end (a signal sent into a container from
// outside it is the usual case: docker kill, a supervisor, the kernel).
#include <signal.h>
#include <string.h>

#include <CLI/CLI.hpp>
#include <cctype>
#include <sstream>

#include "commands/lifecycle.hpp"
#include "ctrace/commands/command.hpp"
#include "ctrace/core/error.hpp"
#include "ctrace/probe/runner.hpp"
#include "signal.lskel.hpp"

namespace ctrace::commands {

uint64_t parse_signal_list(const std::string& list) {
  uint64_t mask = 0;
  std::stringstream in(list);
  for (std::string item; std::getline(in, item, ',');) {
    if (item.empty()) continue;
    std::string upper;
    for (char c : item) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    std::string name = upper.rfind("SIG", 0) == 0 ? upper : "SIG" + upper;
    int sig = 0;
    if (std::all_of(item.begin(), item.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
      sig = item.size() <= 2 ? std::stoi(item) : 0;
    } else {
      for (int s = 1; s <= 64 && !sig; ++s)
        if (signal_name(s) == name) sig = s;
    }
    if (sig < 1 || sig > 64)
      throw UsageError("unknown signal '{}' in --signal: use names such as TERM,KILL,SEGV or numbers 1-64", item);
    mask |= 1ULL << (sig - 1);
  }
  if (!mask) throw UsageError("--signal needs at least one signal, such as TERM,KILL");
  return mask;
}

namespace {

const char* result_name(uint32_t r) {
  switch (r) {
    case SIGNAL_RESULT_DELIVERED:
      return "delivered";
    case SIGNAL_RESULT_IGNORED:
      return "ignored";
    case SIGNAL_RESULT_ALREADY_PENDING:
      return "already pending";
    case SIGNAL_RESULT_OVERFLOW_FAIL:
      return "overflow";
    case SIGNAL_RESULT_LOSE_INFO:
      return "lost info";
  }
  return "?";
}

}  // namespace

void decode_signal(const signal_event& e, const TaskFields& task, EventNames& names, FieldSink& out) {
  // time, ts_ns and the target's header as the event's own (a filter on the target is the usual one)
  task.add(out, e.target);
  out.put("ns_pid", e.target_ns_pid);
  out.put("sig", static_cast<int64_t>(e.sig));
  out.put("signal", signal_name(e.sig));
  out.put("code", static_cast<int64_t>(e.code));
  out.put("result", result_name(e.result));
  out.put("from_kernel", (e.flags & SIGNAL_F_FROM_KERNEL) != 0);
  out.put("group", (e.flags & SIGNAL_F_GROUP) != 0);
  names.add_other(out, "sender_", e.sender, e.sender_ns_pid);
  names.add_other(out, "target_", e.target, e.target_ns_pid);
  out.put("sender_matched", (e.flags & SIGNAL_F_SENDER_MATCH) != 0);
  out.put("target_matched", (e.flags & SIGNAL_F_TARGET_MATCH) != 0);
}

namespace {

constexpr const char* kExamples = R"(EXAMPLES:
  ctrace signal --container web                   # signals into and out of one container
  ctrace signal --fatal                           # only signals that kill by default
  ctrace signal --signal TERM,KILL -o json | jq .

One line per signal generated. The target filter matches either end: signals a container sends
and signals sent into it from elsewhere (docker kill, a supervisor). SENDER is comm/pid of the sender, or
"kernel" for what the kernel sends (faults, the OOM killer, hangups, a dying pid namespace):
then the FROM- container is only where the kernel ran. RESULT: delivered, ignored (the target
ignores it or is dying), already pending, overflow, lost info.)";

std::string sender_text(const Record& r) {
  return r.flag("from_kernel") ? "kernel" : r.raw("sender_comm") + "/" + r.raw("sender_pid");
}

class SignalCommand final : public Command {
 public:
  CLI::App* setup(CLI::App& root) override {
    auto* app = root.add_subcommand("signal", "who signals whom: sender, target, signal, result");
    app->footer(kExamples);
    add_stream_options(*app, opts_);
    app->add_flag("--fatal", fatal_, "only signals whose default action kills (not CHLD, WINCH, URG, CONT, STOP...)");
    app->add_option("--signal", signals_, "only these signals: TERM,KILL,SEGV or numbers")->type_name("LIST");
    return app;
  }

  int run(const GlobalOptions&) override {
    uint64_t mask = signals_.empty() ? ~0ULL : parse_signal_list(signals_);
    if (fatal_) mask &= CTRACE_FATAL_SIGNALS;
    if (!mask) throw UsageError("--fatal with --signal {}: none of those kills by default", signals_);
    return run_event_stream<signal_lbpf>(
        opts_, schema(), sizeof(signal_event),
        [](signal_lbpf& s) { return std::pair{&s.maps.signal_events, &s.maps.signal_lost}; },
        [&](signal_lbpf* s) { s->rodata->targ_signal_mask = mask; },
        [](const void* data, size_t, EventNames& names, FieldSink& out) {
          decode_signal(*static_cast<const signal_event*>(data), names.task(), names, out);
        });
  }

 private:
  Schema schema() const {
    Schema s;
    s.type = "signal";
    Column from{"sender_pid", "SENDER", Align::Left, -1, "", 22};
    from.text = sender_text;
    Column from_container = container_column(opts_.container_by);
    Column to_container = from_container;
    from_container.key = "sender_" + from_container.key;
    from_container.header = "FROM-" + from_container.header;
    to_container.key = "target_" + to_container.key;
    to_container.header = "TO-" + to_container.header;
    s.columns = {
        time_column(opts_.precision),
        {"signal", "SIGNAL", Align::Left, -1, "", 9},
        from_container,
        from,
        to_container,
        {"target_pid", "PID", Align::Left, -1, "", 7},
        {"target_comm", "COMM", Align::Left, -1, "", 16},
        {"result", "RESULT", Align::Left},
    };
    return s;
  }

  StreamOptions opts_;
  bool fatal_ = false;
  std::string signals_;
};

}  // namespace

std::unique_ptr<Command> make_signal() {
  return std::make_unique<SignalCommand>();
}

}  // namespace ctrace::commands
