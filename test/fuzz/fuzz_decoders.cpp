// The event decoders, from the raw bytes the kernel hands over to text and JSON:
//   record:    ring slots (struct record_event) -> RecordDecoder -> render_dump, text and JSON
//   openclose: ring events (struct openclose_event, cut after their data) -> decode_openclose
//   unshare:   ring events (struct unshare_event) -> decode_unshare
// each to the text and JSON Formatters both as a Record and written field by field.
// Input: one byte picks the decoder, one byte the options, then the events' bytes (a short
// last event is zero-padded, as the ring would never give one). Every JSON line must parse.
#include <fuzzer/FuzzedDataProvider.h>
#include <linux/types.h>

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "../helpers/stream_render.hpp"
#include "commands/openclose.hpp"
#include "commands/unshare.hpp"
#include "ctrace/commands/dump.hpp"
#include "ctrace/enrich/cgroups.hpp"
#include "ctrace/enrich/names.hpp"
#include "ctrace/enrich/syscall_formats.hpp"
#include "ctrace/enrich/syscall_trace.hpp"
#include "ctrace/output/formatter.hpp"
#include "ctrace/probe/recorder.hpp"
extern "C" {
#include "bpf/record.h"
}

using namespace ctrace;

namespace {

// Real x86_64 format files, shortened to their fields: what record's decoder captures.
const char* const kFormats[][2] = {
    {"read", "unsigned int fd;char * buf;size_t count"},
    {"write", "unsigned int fd;const char * buf;size_t count"},
    {"openat", "int dfd;const char * filename;int flags;umode_t mode"},
    {"execve", "const char * filename;const char *const * argv;const char *const * envp"},
    {"connect", "int fd;struct sockaddr * uservaddr;int addrlen"},
    {"accept4", "int fd;struct sockaddr * upeer_sockaddr;int * upeer_addrlen;int flags"},
    {"mmap",
     "unsigned long addr;unsigned long len;unsigned long prot;unsigned long flags;unsigned long fd;unsigned "
     "long off"},
    {"clone",
     "unsigned long clone_flags;unsigned long newsp;int * parent_tidptr;int * child_tidptr;unsigned long "
     "tls"},
    {"fcntl", "unsigned int fd;unsigned int cmd;unsigned long arg"},
    {"socket", "int family;int type;int protocol"},
    {"rt_sigaction", "int sig;const struct sigaction * act;struct sigaction * oact;size_t sigsetsize"},
    {"close", "unsigned int fd"},
};

struct RecordSetup {
  enrich::SyscallFormats formats;
  std::vector<int> nrs;
  enrich::SyscallNames names{512};
  RecordSetup() {
    for (const auto& [name, fields] : kFormats) {
      std::string text =
          std::string("name: sys_enter_") + name +
          "\nID: 1\nformat:\n\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\n"
          "\tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;\n";
      std::stringstream list(fields);
      for (std::string f; std::getline(list, f, ';');)
        text += "\tfield:" + f + ";\toffset:16;\tsize:8;\tsigned:0;\n";
      auto parsed = enrich::parse_syscall_format(text);
      auto nr = enrich::SyscallNames::lookup(name);
      if (!parsed || !nr) std::abort();  // the seam itself is broken
      formats.add(*nr, std::move(*parsed));
      nrs.push_back(*nr);
    }
  }
};

void check_json_lines(const std::string& out) {
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);)
    if (!nlohmann::json::accept(line)) {
      std::fprintf(stderr, "fuzz check failed: not JSON: %s\n", line.c_str());
      std::abort();
    }
}

template <typename Event>
std::vector<Event> events_of(FuzzedDataProvider& in, size_t max) {
  std::vector<Event> out;
  while (in.remaining_bytes() > 0 && out.size() < max) {
    Event e{};
    auto bytes = in.ConsumeBytes<uint8_t>(sizeof e);
    std::memcpy(static_cast<void*>(&e), bytes.data(), bytes.size());
    out.push_back(e);
  }
  return out;
}

// openclose's ring events end after their data: each takes a size (a byte), then that many
// bytes, through openclose_event_from() as the command does.
std::vector<openclose_event> openclose_events_of(FuzzedDataProvider& in, size_t max) {
  std::vector<openclose_event> out;
  while (in.remaining_bytes() > 0 && out.size() < max) {
    size_t size = offsetof(openclose_event, data) + in.ConsumeIntegral<uint8_t>() * 2;
    auto bytes = in.ConsumeBytes<uint8_t>(size);
    openclose_event e;
    if (commands::openclose_event_from(bytes.data(), bytes.size(), e)) out.push_back(e);
  }
  return out;
}

// Runs the events through a text and a JSON Formatter twice: as Records, and written field by
// field as the stream commands do; both must give the same bytes.
template <typename Write>
void format_stream(const Schema& schema, size_t n, Write write) {
  for (auto f : {output::Format::Text, output::Format::Json}) {
    std::string texts[2];
    for (int direct = 0; direct < 2; ++direct)
      texts[direct] = test::render_events(f, schema, n, write, direct);
    if (texts[0] != texts[1]) {
      std::fprintf(stderr, "fuzz check failed: a record and the direct path differ:\n%s\n%s\n",
                   texts[0].c_str(), texts[1].c_str());
      std::abort();
    }
    if (f == output::Format::Json) check_json_lines(texts[1]);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static RecordSetup setup;
  static enrich::CgroupNames cgroup_names(std::string(CTRACE_TEST_FIXTURES) + "/containers/sys/fs/cgroup");
  FuzzedDataProvider in(data, size);
  int which = in.ConsumeIntegralInRange<int>(0, 2);
  uint8_t opts = in.ConsumeIntegral<uint8_t>();
  auto precision = static_cast<TimePrecision>(opts & 3);
  auto container_by = (opts >> 2) & 1 ? commands::ContainerBy::CgroupId : commands::ContainerBy::CgroupPath;
  if ((opts >> 3) & 1) container_by = commands::ContainerBy::Hostname;
  WallClock clock(static_cast<int64_t>(opts) * 1'000'000'007LL);

  if (which == 0) {
    int string_size = in.ConsumeIntegralInRange<int>(-1, 300);
    bool known_nr = (opts >> 4) & 1;
    auto ts = static_cast<enrich::TimestampFormat>(in.ConsumeIntegralInRange<int>(0, 2));
    auto slots = events_of<record_event>(in, 16);
    probe::RecordDecoder decoder(setup.formats, string_size);
    std::vector<enrich::TraceEvent> events;
    for (size_t i = 0; i < slots.size(); ++i) {
      if (known_nr) slots[i].nr = static_cast<uint32_t>(setup.nrs[slots[i].nr % setup.nrs.size()]);
      events.push_back(decoder.decode(slots[i], static_cast<int>(i % 4)));
    }
    std::stable_sort(
        events.begin(), events.end(),
        [](const enrich::TraceEvent& a, const enrich::TraceEvent& b) { return a.ts_ns < b.ts_ns; });
    enrich::TraceContext ctx{setup.names, setup.formats, events.empty() ? 0 : events.front().ts_ns, ts,
                             clock};
    enrich::DumpSummary summary{1, events.size(), events.size(), 0, 0, 0};
    commands::render_dump(output::Format::Text, summary, events, ctx);
    check_json_lines(commands::render_dump(output::Format::Json, summary, events, ctx));
  } else if (which == 1) {
    bool cgroup_path = container_by == commands::ContainerBy::CgroupPath;
    commands::TaskFields task(clock, cgroup_path ? &cgroup_names : nullptr, nullptr, precision);
    commands::OpenCloseContext ctx{&task, false, "/nonexistent-proc"};
    auto events = openclose_events_of(in, 16);
    format_stream(commands::openclose_schema(precision, container_by), events.size(),
                  [&](size_t i, FieldSink& s) { commands::decode_openclose(events[i], ctx, s); });
  } else {
    commands::UnshareDecodeContext ctx{
        clock, precision, [](uint64_t id) { return cgroup_names.path_of(id); }, {}};
    commands::UnshareColumns columns{precision, bool(opts & 0x10), bool(opts & 0x20), bool(opts & 0x40),
                                     container_by};
    auto events = events_of<unshare_event>(in, 16);
    format_stream(commands::unshare_schema(columns), events.size(),
                  [&](size_t i, FieldSink& s) { commands::decode_unshare(events[i], ctx, s); });
  }
  return 0;
}
