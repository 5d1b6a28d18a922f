#pragma once
// The kernel's own accounting of BPF programs (run_time_ns, run_cnt in bpf_prog_info), which
// it keeps only while kernel.bpf_stats_enabled=1 or someone holds a BPF_ENABLE_STATS fd:
// each program run then costs two more clock reads.
#include <cstdint>
#include <string>
#include <vector>

#include "ctrace/core/unique_fd.hpp"

namespace ctrace::probe {

struct BpfProgramStats {
  std::string name;
  uint64_t run_time_ns = 0;
  uint64_t run_count = 0;
};

// The programs this process holds open, summed by program name (several traces load the same
// programs), sorted by name.
std::vector<BpfProgramStats> own_program_stats();

// kernel.bpf_stats_enabled as the sysctl reports it.
bool bpf_stats_sysctl_enabled();

// Turns the kernel's accounting on until the fd is closed. Throws Error.
UniqueFd enable_bpf_stats();

}  // namespace ctrace::probe
