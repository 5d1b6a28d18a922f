// ctrace record: a flight recorder of every syscall of a container, in a kernel ring,
// dumped strace-style on Ctrl-C, SIGUSR1, or when the container becomes empty; with
// --postmortem, a post-mortem written down when it fails (record_all.bpf.c's hooks, one region).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <set>

#include "ctrace/commands/command.hpp"
#include "ctrace/commands/dump.hpp"
#include "ctrace/commands/postmortem.hpp"
#include "ctrace/core/error.hpp"
#include "ctrace/core/log.hpp"
#include "ctrace/core/time.hpp"
#include "ctrace/enrich/names.hpp"
#include "ctrace/enrich/syscall_formats.hpp"
#include "ctrace/enrich/syscall_trace.hpp"
#include "ctrace/output/formatter.hpp"
#include "ctrace/probe/record_all.hpp"
#include "ctrace/probe/recorder.hpp"
#include "ctrace/probe/runner.hpp"

namespace ctrace::commands {

namespace {

constexpr const char* kExamples = R"(EXAMPLES:
  ctrace record -c system.slice/myapp.service        # record; Ctrl-C dumps and stops
  kill -USR1 $(pidof ctrace)                         # dump and keep recording
  ctrace record --syscalls openat,read,write -c mygroup
  ctrace record --dump-on-exit --container 3f2a -o json | jq .
  ctrace record --size 64M --string-size 128 -- sh -c 'cat /etc/hostname'
  ctrace record --postmortem /tmp/web.txt --container web     # only when web fails
  ctrace record --postmortem crash.json -o json -- ./server   # a crash, or exit != 0

The ring keeps the newest events of the target (--size bytes, default 4M, about 6,400
events); each dump shows the whole ring and how many older events were overwritten.
--postmortem FILE: when a task of the target dies of a fatal signal (not SIGTERM, SIGINT,
SIGHUP or SIGPIPE), its init (pid 1 of a pid namespace, or CMD) exits non-zero, or the OOM
killer picks one of its tasks, FILE gets the post-mortem (-o text or json: the cause, the
dying task's last calls, the target's, its execs and recent errors; the newest failure
replaces an older one). The run ends when the target is empty; when it ended well, nothing
is written. Ctrl-C and SIGUSR1 still dump to stdout.)";

class RecordCommand final : public Command {
 public:
  CLI::App* setup(CLI::App& root) override {
    auto* app = root.add_subcommand("record",
                                    "flight recorder: every syscall of a container in a kernel ring, "
                                    "dumped strace-style");
    app->footer(kExamples);
    target::add_target_options(*app, target_);
    add_output_option(*app, format_, {output::Format::Text, output::Format::Json});
    app->add_option("--syscalls", syscalls_, "record only these syscalls (comma-separated names)")
        ->type_name("LIST");
    app->add_option("--size", size_, "ring size per target in bytes, K/M/G suffix")
        ->type_name("N")
        ->default_str("4M");
    app->add_option("--string-size", string_size_, "bytes shown of a string or buffer (max 256)")
        ->check(CLI::Range(0, 256))
        ->default_str("64");
    app->add_option("--timestamps", timestamps_,
                    "relative (to the start), wall (UTC, ISO 8601 with ns) or mono (CLOCK_MONOTONIC)")
        ->check(CLI::IsMember({"relative", "wall", "mono"}))
        ->default_str("relative");
    app->add_flag("--dump-on-exit", dump_on_exit_, "dump and stop when the target cgroup becomes empty");
    app->add_option("--postmortem", postmortem_,
                    "write a post-mortem to FILE when the target fails (a fatal signal, init or CMD "
                    "exiting non-zero, an OOM kill), and stop when it is empty")
        ->type_name("FILE");
    add_duration_option(*app, duration_);
    return app;
  }

  int run(const GlobalOptions&) override {
    probe::RecorderOptions opts;
    if (!size_.empty()) opts.size_bytes = parse_size(size_);
    if (!syscalls_.empty()) opts.syscalls = parse_syscalls(syscalls_, probe::kRecordMaxSyscalls);
    opts.string_size = string_size_;

    const bool postmortem = !postmortem_.empty();
    if (postmortem && !syscalls_.empty())
      throw UsageError("--postmortem records every syscall: drop --syscalls");
    if (postmortem) check_postmortem_file();
    probe::Runner run(target_, duration_);
    if ((dump_on_exit_ || postmortem) && run.target().mode != target::Mode::Cgroup)
      throw UsageError("{} needs a cgroup target (-c, --cgroup-id, -p, --container or -- CMD)",
                       postmortem ? "--postmortem" : "--dump-on-exit");
    formats_ = enrich::SyscallFormats::load();
    std::unique_ptr<probe::TraceRecorder> recorder;
    if (postmortem)
      recorder = record_failures(run, opts);
    else
      recorder = std::make_unique<probe::Recorder>(run.target(), run.self_tgid(), opts, formats_);
    recorder_ = recorder.get();
    run.on_retarget([&](const target::Target& t) { recorder_->retarget(t); });
    auto dump = [&] {
      if (postmortem) {
        all_->events().consume();  // a death just before the end
        if (!triggers_.empty()) write_postmortem_now(run.target());
        // the target ended by itself: only a failure is written down, and the end's dump is
        // --dump-on-exit's to ask for
        if (run.stop().reason() == StopReason::TargetExited && !dump_on_exit_) {
          if (!written_) spdlog::info("{} ended well: no post-mortem", run.target().description);
          return;
        }
      }
      print_dump();
    };
    return run.dump(fmt::format("Collecting events into a {}-event kernel ring... Ctrl-C to dump and stop, "
                                "kill -USR1 {} to dump and keep recording",
                                recorder_->capacity(), ::getpid()),
                    {dump, dump_on_exit_ || postmortem, [&] { return recorder_->stats().recorded > 0; }});
  }

 private:
  // Fails now, not at the failure, when FILE cannot be written there.
  void check_postmortem_file() const {
    namespace fs = std::filesystem;
    fs::path dir = fs::path(postmortem_).parent_path();
    if (dir.empty()) dir = ".";
    std::error_code ec;
    if (!fs::is_directory(dir, ec) || ::access(dir.c_str(), W_OK) != 0)
      throw UsageError("--postmortem {}: {} is not a directory this user can write to", postmortem_, dir.string());
    if (fs::is_directory(postmortem_, ec)) throw UsageError("--postmortem {} is a directory: name a file", postmortem_);
  }

  // The target in the one region of a record_all.bpf.c ring, its failures watched on the
  // runner's loop.
  std::unique_ptr<probe::TraceRecorder> record_failures(probe::Runner& run, const probe::RecorderOptions& opts) {
    probe::RecordAllOptions o;
    o.budget_bytes = o.size_bytes = opts.size_bytes;
    o.string_size = opts.string_size;
    o.init_tgid = static_cast<unsigned>(run.command_pid());
    all_ = std::make_shared<probe::RecordAll>(run.self_tgid(), o, formats_, [this](const record_all_event& e) {
      if (e.kind != RECORD_ALL_DEATH && e.kind != RECORD_ALL_OOM) return;  // other cgroups: no region for them
      if (triggers_.empty()) first_ = std::chrono::steady_clock::now();
      triggers_.push_back(e);
      frozen_.insert(e.cgroup_id);
    });
    const uint64_t id = run.target().cgroup_id;
    auto region = all_->assign(id);
    if (!region || !all_->keep(id)) throw Error("cannot record cgroup {}", run.target().cgroup_path);
    run.loop().add_ring_buffer(all_->events());
    run.loop().every(std::chrono::milliseconds(100), [this, &run] {
      if (!triggers_.empty() && std::chrono::steady_clock::now() - first_ >= kPostmortemSettle)
        write_postmortem_now(run.target());
    });
    return probe::region_recorder(all_, *region, id, true);
  }

  void write_postmortem_now(const target::Target& t) {
    PostmortemInput in{std::move(triggers_), recorder_->dump(), all_->counters(),
                       {{"name", t.description}, {"cgroup", t.cgroup_path}, {"cgroup_id", t.cgroup_id}}};
    triggers_.clear();
    for (uint64_t cg : frozen_) all_->thaw(cg);  // the evidence is copied
    frozen_.clear();
    Postmortem pm = make_postmortem(in, {names_, formats_, wall_, all_->start_ns(), {}});
    try {
      write_postmortem(postmortem_, pm, format_ == output::Format::Text);
      spdlog::warn("{} failed: {} — post-mortem in {}", t.description, pm.summary, postmortem_);
      ++written_;
    } catch (const std::exception& e) {
      spdlog::error("{} failed: {}; the post-mortem was not written: {}", t.description, pm.summary, e.what());
    }
  }

  void print_dump() {
    auto d = recorder_->dump();
    enrich::TraceContext ctx{names_, formats_, recorder_->start_ns(),
                             enrich::parse_timestamp_format(timestamps_), wall_};
    if (!out_) {
      out_ = output::make_formatter(format_, stdout);
      out_->begin(enrich::trace_schema());
    }
    write_dump(*out_, format_, d.summary(), d.events, ctx);
    if (d.stats.overwritten)
      spdlog::info("{} older events were overwritten: raise --size to keep more", d.stats.overwritten);
  }

  target::TargetOptions target_;
  output::Format format_ = output::Format::Text;
  std::string syscalls_;
  std::string size_;
  int string_size_ = 64;
  bool dump_on_exit_ = false;
  std::string postmortem_;
  double duration_ = 0;
  std::string timestamps_ = "relative";
  WallClock wall_;

  enrich::SyscallNames names_{512};
  enrich::SyscallFormats formats_;
  probe::TraceRecorder* recorder_ = nullptr;
  std::unique_ptr<output::Formatter> out_;
  // --postmortem
  std::shared_ptr<probe::RecordAll> all_;
  std::vector<record_all_event> triggers_;  // of a failure being gathered
  std::chrono::steady_clock::time_point first_;
  std::set<uint64_t> frozen_;  // cgroups the kernel froze for it
  int written_ = 0;
};

}  // namespace

std::unique_ptr<Command> make_record() {
  return std::make_unique<RecordCommand>();
}

}  // namespace ctrace::commands
