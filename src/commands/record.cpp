// ctrace record: a flight recorder of every syscall of a container, in a kernel ring,
// dumped strace-style on Ctrl-C, SIGUSR1, or when the container becomes empty.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>

#include "ctrace/commands/command.hpp"
#include "ctrace/commands/dump.hpp"
#include "ctrace/core/error.hpp"
#include "ctrace/core/log.hpp"
#include "ctrace/core/time.hpp"
#include "ctrace/enrich/names.hpp"
#include "ctrace/enrich/syscall_formats.hpp"
#include "ctrace/enrich/syscall_trace.hpp"
#include "ctrace/output/formatter.hpp"
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

The ring keeps the newest events of the target (--size bytes, default 4M, about 6,400
events); each dump shows the whole ring and how many older events were overwritten.)";

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
    add_duration_option(*app, duration_);
    return app;
  }

  int run(const GlobalOptions&) override {
    probe::RecorderOptions opts;
    if (!size_.empty()) opts.size_bytes = parse_size(size_);
    if (!syscalls_.empty()) opts.syscalls = parse_syscalls(syscalls_, probe::kRecordMaxSyscalls);
    opts.string_size = string_size_;

    probe::Runner run(target_, duration_);
    if (dump_on_exit_ && run.target().mode != target::Mode::Cgroup)
      throw UsageError("--dump-on-exit needs a cgroup target (-c, --cgroup-id, -p, --container or -- CMD)");
    formats_ = enrich::SyscallFormats::load();
    probe::Recorder recorder(run.target(), run.self_tgid(), opts, formats_);
    recorder_ = &recorder;
    run.on_retarget([&](const target::Target& t) { recorder.retarget(t); });
    return run.dump(fmt::format("Collecting events into a {}-event kernel ring... Ctrl-C to dump and stop, "
                                "kill -USR1 {} to dump and keep recording",
                                recorder.capacity(), ::getpid()),
                    {[&] { print_dump(); }, dump_on_exit_, [&] { return recorder.stats().recorded > 0; }});
  }

 private:
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
  double duration_ = 0;
  std::string timestamps_ = "relative";
  WallClock wall_;

  enrich::SyscallNames names_{512};
  enrich::SyscallFormats formats_;
  probe::Recorder* recorder_ = nullptr;
  std::unique_ptr<output::Formatter> out_;
};

}  // namespace

std::unique_ptr<Command> make_record() {
  return std::make_unique<RecordCommand>();
}

}  // namespace ctrace::commands
