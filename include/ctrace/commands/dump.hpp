#pragma once
// A recorder's dump through a formatter: `record` writes it to stdout, `serve` answers it.
#include <string>
#include <vector>

#include "ctrace/enrich/syscall_trace.hpp"
#include "ctrace/output/formatter.hpp"

namespace ctrace::commands {

// A whole dump, summary first, through `out` (of `format`, begun with enrich::trace_schema()):
// text pairs calls as strace does, JSON by thread (enrich::Pairing).
void write_dump(output::Formatter& out, output::Format format, const enrich::DumpSummary& s,
                const std::vector<enrich::TraceEvent>& sorted, const enrich::TraceContext& ctx);
// The same as one string (serve's HTTP body).
std::string render_dump(output::Format f, const enrich::DumpSummary& s,
                        const std::vector<enrich::TraceEvent>& sorted, const enrich::TraceContext& ctx);

}  // namespace ctrace::commands
