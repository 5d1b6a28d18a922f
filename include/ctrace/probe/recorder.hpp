#pragma once
// Recorder: the `record` BPF program for one target, its in-kernel ring, and dumps of it.
// While recording, user space does nothing; dump() pauses the writers, copies the ring,
// resumes, and returns the events sorted by time. Thread-safe (the daemon dumps from
// several HTTP workers).
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ctrace/enrich/syscall_formats.hpp"
#include "ctrace/output/syscall_trace.hpp"
#include "ctrace/target/target.hpp"

namespace ctrace::probe {

struct RecorderOptions {
  static constexpr uint64_t kDefaultSize = 4ULL << 20;  // bytes per target
  uint64_t size_bytes = kDefaultSize;
  int string_size = 64;       // bytes of a string or buffer, at most 256
  std::vector<int> syscalls;  // empty: all
};

struct RecorderStats {
  uint64_t recorded = 0;     // events written since the start
  uint64_t overwritten = 0;  // of those, overwritten by newer ones
  uint64_t lost = 0;         // not written while a dump paused the ring, or torn slots skipped by a dump
};

struct RecorderDump {
  std::vector<output::TraceEvent> events;  // sorted by time
  RecorderStats stats;
  int number = 0;  // 1 for the first dump of this recorder
  output::DumpSummary summary() const;
};

// Parses --size: "4M", "512K", "1G", "65536" (bytes). Throws UsageError.
uint64_t parse_size(const std::string& s);

// Parses --syscalls: "read,write,openat" -> nrs. Throws UsageError on an unknown name, naming
// `option` (serve --metrics-syscalls parses its list here too).
std::vector<int> parse_syscalls(const std::string& list, const std::string& option = "--syscalls");

class Recorder {
 public:
  Recorder(const target::Target& target, unsigned self_tgid, const RecorderOptions& opts,
           const enrich::SyscallFormats& formats);
  ~Recorder();
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  RecorderDump dump();
  RecorderStats stats() const;
  uint64_t start_ns() const { return start_ns_; }
  // Ring capacity in events (all CPUs).
  uint64_t capacity() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  uint64_t start_ns_ = 0;
  mutable std::mutex mutex_;
};

}  // namespace ctrace::probe
