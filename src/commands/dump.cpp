#include "ctrace/commands/dump.hpp"

namespace ctrace::commands {

void write_dump(output::Formatter& out, output::Format format, const enrich::DumpSummary& s,
                const std::vector<enrich::TraceEvent>& sorted, const enrich::TraceContext& ctx) {
  out.record(enrich::summary_record(s));
  // text keeps strace's unfinished/resumed lines; JSON one object per call (enrich::Pairing)
  auto pairing = format == output::Format::Json ? enrich::Pairing::ByThread : enrich::Pairing::Adjacent;
  for (const auto& c : enrich::pair_calls(sorted, pairing)) out.record(enrich::call_record(c, ctx));
  out.flush();
}

std::string render_dump(output::Format f, const enrich::DumpSummary& s,
                        const std::vector<enrich::TraceEvent>& sorted, const enrich::TraceContext& ctx) {
  return output::render_to_string(f, [&](output::Formatter& out) {
    out.begin(enrich::trace_schema());
    write_dump(out, f, s, sorted, ctx);
  });
}

}  // namespace ctrace::commands
