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
#include "ctrace/enrich/syscall_trace.hpp"
#include "ctrace/target/target.hpp"

struct record_event;    // bpf/record.h
struct record_argspec;  // bpf/record.h

namespace ctrace::probe {

// Syscall ids the ring's tables cover (0 .. kRecordMaxSyscalls-1).
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
  std::vector<enrich::TraceEvent> events;  // sorted by time
  RecorderStats stats;
  int number = 0;     // 1 for the first dump of this recorder
  uint64_t torn = 0;  // slots a writer was in, or rewrote, while this dump copied them
  enrich::DumpSummary summary() const;
};

// A ring slot -> a TraceEvent: what the kernel was told to capture for each syscall (from
// its format) says how long each captured string or buffer really was. Public so that the
// decoding is tested and fuzzed without a kernel.
class RecordDecoder {
 public:
  RecordDecoder(const enrich::SyscallFormats& formats, int string_size);
  ~RecordDecoder();  // record_argspec is complete only in recorder.cpp
  enrich::TraceEvent decode(const record_event& e, int cpu) const;
  // What the kernel captures for syscall nr (all zero: nothing).
  const record_argspec& spec(uint32_t nr) const;
  int string_size() const { return string_size_; }

 private:
  int string_size_;
  std::vector<record_argspec> specs_;
};

// What the daemon needs of one recording: the seam between serve's HTTP handlers and the
// kernel (the fuzz target serves requests over a fake one).
class TraceRecorder {
 public:
  virtual ~TraceRecorder() = default;
  virtual RecorderDump dump() = 0;
  virtual RecorderStats stats() const = 0;
  // CLOCK_MONOTONIC when recording started: dumps' relative times start there.
  virtual uint64_t start_ns() const = 0;
  // The running programs record another cgroup (a followed container was re-created).
  virtual void retarget(const target::Target& target) = 0;
  // Ring capacity in events (all CPUs).
  virtual uint64_t capacity() const = 0;
};

class Recorder final : public TraceRecorder {
 public:
  Recorder(const target::Target& target, unsigned self_tgid, const RecorderOptions& opts,
           const enrich::SyscallFormats& formats);
  ~Recorder() override;
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  RecorderDump dump() override;
  RecorderStats stats() const override;
  uint64_t start_ns() const override { return start_ns_; }
  void retarget(const target::Target& target) override;
  uint64_t capacity() const override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  uint64_t start_ns_ = 0;
  mutable std::mutex mutex_;
};

}  // namespace ctrace::probe
