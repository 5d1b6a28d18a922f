#include <catch2/catch.hpp>

#include "ctrace/enrich/names.hpp"

using namespace ctrace::enrich;

TEST_CASE("syscall names come from libseccomp", "[names]") {
  SyscallNames names;
  CHECK(names.name(0) == "read");
  CHECK(names.name(110) == "getppid");
  CHECK(names.name(257) == "openat");
  CHECK(names.name(-1) == "syscall_-1");
  CHECK(names.name(100000) == "syscall_100000");
  CHECK(SyscallNames::lookup("openat") == 257);
  CHECK_FALSE(SyscallNames::lookup("nosuchcall").has_value());
}

TEST_CASE("errno names", "[names]") {
  CHECK(errno_name(2) == "ENOENT");
  CHECK(errno_name(-1) == "EPERM");
  CHECK(errno_name(111) == "ECONNREFUSED");
  CHECK(errno_name(4000) == "E4000");
  // the kernel's internal restart codes a tracer sees when a signal interrupts a call
  CHECK(errno_name(-512) == "ERESTARTSYS");
  CHECK(errno_name(513) == "ERESTARTNOINTR");
  CHECK(errno_name(514) == "ERESTARTNOHAND");
  CHECK(errno_name(516) == "ERESTART_RESTARTBLOCK");
  CHECK(errno_name(520) == "E520");
}

TEST_CASE("syscall names outside the table are spelled out, and the table is shared read-only", "[names]") {
  const SyscallNames names(512);
  CHECK(names.name(0) == "read");
  CHECK(names.name(-1) == "syscall_-1");
  CHECK(names.name(600) == "syscall_600");
}
