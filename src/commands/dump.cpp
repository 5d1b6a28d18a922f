#include "ctrace/commands/dump.hpp"

namespace ctrace::commands {

void write_dump(output::Formatter& out, const enrich::DumpSummary& s,
                const std::vector<enrich::TraceEvent>& sorted, const enrich::TraceContext& ctx) {
  out.record(enrich::summary_record(s));
  for (const auto& c : enrich::pair_calls(sorted)) out.record(enrich::call_record(c, ctx));
  out.flush();
}

std::string render_dump(output::Format f, const enrich::DumpSummary& s,
                        const std::vector<enrich::TraceEvent>& sorted, const enrich::TraceContext& ctx) {
  return output::render_to_string(f, [&](output::Formatter& out) {
    out.begin(enrich::trace_schema());
    write_dump(out, s, sorted, ctx);
  });
}

}  // namespace ctrace::commands
