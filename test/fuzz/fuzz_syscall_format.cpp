// The tracefs format-file parser (src/enrich/syscall_formats.cpp): one sys_enter_NAME/format
// text -> a SyscallFormat, its arguments classified; then what `record` derives from it (the
// capture spec of RecordDecoder) decoding a slot of that syscall. Seeds: this kernel's files.
#include <linux/types.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "ctrace/enrich/syscall_formats.hpp"
#include "ctrace/probe/recorder.hpp"
extern "C" {
#include "bpf/record.h"
}

using namespace ctrace;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto f = enrich::parse_syscall_format(text);
  if (!f) return 0;
  if (f->name.empty()) std::abort();  // nullopt is the contract for "not a syscall format"
  for (size_t i = 0; i < f->args.size(); ++i) {
    const auto& a = f->args[i];
    // a length argument is another argument of the same call
    if (a.len_arg >= 0 &&
        (static_cast<size_t>(a.len_arg) >= f->args.size() || a.len_arg == static_cast<int>(i)))
      std::abort();
  }

  // What the kernel would be told to capture for it, and a slot decoded with that spec: every
  // capture slot filled with the largest lengths the kernel can write.
  enrich::SyscallFormats formats;
  formats.add(42, *f);
  probe::RecordDecoder decoder(formats, 256);
  const record_argspec& spec = decoder.spec(42);
  record_event e{};
  e.nr = 42;
  e.kind = RECORD_ENTER;
  e.ret = 1 << 20;
  for (int i = 0; i < RECORD_MAX_ARGS; ++i) e.args[i] = ~0ULL;
  for (int i = 0; i < RECORD_MAX_STRS; ++i) {
    if (spec.arg[i] >= RECORD_MAX_ARGS || spec.len_arg[i] >= RECORD_MAX_ARGS) std::abort();
    e.str_meta[i] = {RECORD_STR_CAP, spec.arg[i], spec.capture[i], {}};
    std::memset(e.str[i], 'a', sizeof e.str[i]);
  }
  auto t = decoder.decode(e, 0);
  for (const auto& s : t.strings)
    if (s.bytes.size() > RECORD_STR_CAP) std::abort();
  return 0;
}
