#include <linux/types.h>

#include <algorithm>
#include <cstring>

#include "ctrace/probe/recorder.hpp"
extern "C" {
#include "bpf/record.h"
}

namespace ctrace::probe {

namespace {

// What the kernel captures for one syscall, from its format.
record_argspec make_argspec(const enrich::SyscallFormat& f) {
  record_argspec spec{};
  int n = 0;
  for (size_t i = 0; i < f.args.size() && i < RECORD_MAX_ARGS && n < RECORD_MAX_STRS; ++i) {
    const auto& a = f.args[i];
    uint8_t capture = a.capture == enrich::ArgCapture::CString       ? RECORD_CAPTURE_CSTR
                      : a.capture == enrich::ArgCapture::BufferIn    ? RECORD_CAPTURE_BUF_IN
                      : a.capture == enrich::ArgCapture::SockaddrIn  ? RECORD_CAPTURE_BUF_IN
                      : a.capture == enrich::ArgCapture::BufferOut   ? RECORD_CAPTURE_BUF_OUT
                      : a.capture == enrich::ArgCapture::SockaddrOut ? RECORD_CAPTURE_SOCKADDR_OUT
                      : a.capture == enrich::ArgCapture::Argv        ? RECORD_CAPTURE_ARGV
                                                                     : RECORD_CAPTURE_NONE;
    // a length in an argument the kernel does not pass (a format of more than 6 fields)
    if (!capture || a.len_arg >= RECORD_MAX_ARGS) continue;
    spec.capture[n] = capture;
    spec.arg[n] = static_cast<uint8_t>(i);
    spec.len_arg[n] = static_cast<uint8_t>(a.len_arg < 0 ? 0 : a.len_arg);
    ++n;
  }
  return spec;
}

}  // namespace

enrich::DumpSummary RecorderDump::summary() const {
  return {number, events.size(), stats.recorded, stats.overwritten, torn, stats.lost};
}

RecordDecoder::RecordDecoder(const enrich::SyscallFormats& formats, int string_size)
    : string_size_(std::clamp(string_size, 0, RECORD_STR_MAX)), specs_(RECORD_MAX_SYSCALLS) {
  for (int nr = 0; nr < RECORD_MAX_SYSCALLS; ++nr)
    if (const auto* f = formats.find(nr)) specs_[static_cast<size_t>(nr)] = make_argspec(*f);
}

RecordDecoder::~RecordDecoder() = default;

const record_argspec& RecordDecoder::spec(uint32_t nr) const {
  return specs_[nr % RECORD_MAX_SYSCALLS];
}

enrich::TraceEvent RecordDecoder::decode(const record_event& e, int cpu) const {
  enrich::TraceEvent t;
  t.ts_ns = e.ts_ns;
  t.cpu = cpu;
  t.pid = e.tgid;
  t.tid = e.tid;
  t.ns_pid = e.ns_tgid;
  t.ns_tid = e.ns_tid;
  t.comm.assign(e.comm, strnlen(e.comm, sizeof e.comm));
  t.nr = static_cast<int>(e.nr);
  t.enter = e.kind == RECORD_ENTER;
  t.ret = e.ret;
  std::copy(std::begin(e.args), std::end(e.args), t.args.begin());
  for (int i = 0; i < RECORD_MAX_STRS; ++i) {
    const record_str& m = e.str_meta[i];
    // the kernel captures arguments 0-5 only: a slot naming another is not to be believed
    // (the renderers index the arguments with it)
    if (!m.capture || m.arg >= RECORD_MAX_ARGS) continue;
    enrich::TraceString s;
    s.arg = m.arg;
    if (m.len < 0) {
      s.failed = true;
      t.strings.push_back(std::move(s));
      continue;
    }
    if (m.capture == RECORD_CAPTURE_ARGV) {
      int count = std::min(m.len & RECORD_ARGV_COUNT, RECORD_ARGV_MAX);
      s.is_list = true;
      s.truncated = (m.len & RECORD_ARGV_MORE) != 0;
      for (int k = 0; k < count; ++k) {
        const char* p = e.str[i] + k * RECORD_ARGV_ARG;
        size_t len = strnlen(p, RECORD_ARGV_ARG - 1);
        s.list.push_back({std::string(p, len), (m.len >> (RECORD_ARGV_CUT_SHIFT + k) & 1) != 0});
      }
      t.strings.push_back(std::move(s));
      continue;
    }
    size_t n = std::min<size_t>(static_cast<size_t>(m.len), RECORD_STR_CAP);
    if (m.capture == RECORD_CAPTURE_CSTR) {
      if (n > 0) --n;  // the NUL
      s.truncated = n > static_cast<size_t>(string_size_);
      n = std::min(n, static_cast<size_t>(string_size_));
    } else {
      // the full length: the count argument (write) or the return value (read); a sockaddr
      // the kernel filled is as long as its family needs, which the decoder checks
      uint64_t full = m.capture == RECORD_CAPTURE_SOCKADDR_OUT ? n
                      : m.capture == RECORD_CAPTURE_BUF_OUT
                          ? static_cast<uint64_t>(std::max<int64_t>(e.ret, 0))
                          : e.args[specs_[e.nr % RECORD_MAX_SYSCALLS].len_arg[i]];
      s.truncated = full > n;
    }
    s.bytes.assign(e.str[i], n);
    t.strings.push_back(std::move(s));
  }
  return t;
}

}  // namespace ctrace::probe
