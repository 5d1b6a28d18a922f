// Inputs the fuzz targets (test/fuzz) crashed on, replayed through the same public entry
// points, with what must happen instead. The inputs are kept in test/fuzz/regressions/TARGET/
// (scripts/fuzz.sh also replays them as seeds).
#include <linux/types.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "ctrace/enrich/syscall_formats.hpp"
#include "ctrace/probe/recorder.hpp"
extern "C" {
#include "bpf/record.h"
}

using namespace ctrace;

namespace {

std::string regression(const std::string& target, const std::string& name) {
  std::ifstream in(std::string(CTRACE_TEST_FIXTURES) + "/../fuzz/regressions/" + target + "/" + name,
                   std::ios::binary);
  REQUIRE(in);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("fuzz_syscall_format: a format with more than 6 fields captures no length from a 7th", "[fuzz]") {
  // sys_enter_connect mangled into 7 arguments, `struct sockaddr *` 6th and `int addrlen` 7th:
  // record told the kernel to take the sockaddr's length from args[6] (past the 6 it has), and
  // the decoder read it there.
  auto f = enrich::parse_syscall_format(
      regression("fuzz_syscall_format", "crash-cd5740584e033053b44c0e4a55e716689f34792e"));
  REQUIRE(f);
  REQUIRE(f->args.size() > RECORD_MAX_ARGS);
  enrich::SyscallFormats formats;
  formats.add(42, *f);
  probe::RecordDecoder decoder(formats, 256);
  const record_argspec& spec = decoder.spec(42);
  for (int i = 0; i < RECORD_MAX_STRS; ++i) {
    CHECK(spec.arg[i] < RECORD_MAX_ARGS);
    CHECK(spec.len_arg[i] < RECORD_MAX_ARGS);
  }
}
