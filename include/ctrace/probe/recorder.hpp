#pragma once
// Recorder: the `record` BPF program for one target, its in-kernel ring, and dumps of it.
// While recording, user space does nothing; dump() copies the ring while the writers go
// on (slots rewritten during the copy are counted as torn) and returns the events sorted
// by time. Thread-safe (the daemon dumps from
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

// Syscall ids the ring's tables cover (0 .. kMaxSyscalls-1).
inline constexpr int kRecordMaxSyscalls = 512;

struct RecorderOptions {
  static constexpr uint64_t kDefaultSize = 4ULL << 20;  // bytes per target
  uint64_t size_bytes = kDefaultSize;
  int string_size = 64;       // bytes of a string or buffer, at most 256
  std::vector<int> syscalls;  // empty: all
};

struct RecorderStats {
  uint64_t recorded = 0;     // events written since the start
  uint64_t overwritten = 0;  // of those, overwritten by newer ones
  uint64_t lost = 0;         // not written: the kernel could not look up the slot
};

struct RecorderDump {
  std::vector<output::TraceEvent> events;  // sorted by time
  RecorderStats stats;
  int number = 0;  // 1 for the first dump of this recorder
  uint64_t torn = 0;  // slots a writer was in, or rewrote, while this dump copied them
  output::DumpSummary summary() const;
};

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
  // The running programs record another cgroup (a followed container was re-created).
  void retarget(const target::Target& target);
  // Ring capacity in events (all CPUs).
  uint64_t capacity() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  uint64_t start_ns_ = 0;
  mutable std::mutex mutex_;
};

}  // namespace ctrace::probe
