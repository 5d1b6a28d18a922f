#pragma once
// ctrace tcpconnect: the decoder, separate from the command so that unit tests can feed it
// synthetic events.
#include <linux/types.h>

#include "ctrace/commands/stream.hpp"
#include "ctrace/core/model.hpp"
extern "C" {
#include "bpf/tcpconnect.h"
}

namespace ctrace::commands {

// One event -> its fields: the task fields, then ip (4 or 6), saddr, sport, daddr, dport,
// ret and result ("0", "-EINPROGRESS", "-ECONNREFUSED"); into `out` (a JSON stream's line
// directly) or collected into a Record.
void decode_tcpconnect(const tcpconnect_event& e, const TaskFields* task, FieldSink& out);
inline Record decode_tcpconnect(const tcpconnect_event& e, const TaskFields* task) {
  return collect([&](FieldSink& out) { decode_tcpconnect(e, task, out); });
}

}  // namespace ctrace::commands
