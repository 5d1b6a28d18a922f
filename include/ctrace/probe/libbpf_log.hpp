#pragma once
namespace ctrace::probe {
// Routes libbpf's log to spdlog (debug level; visible with -v only).
void route_libbpf_log();
}
