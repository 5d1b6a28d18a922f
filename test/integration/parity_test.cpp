// ctrace record against strace -f on the same helper: each call whose arguments strace names
// (helpers/parity_helper.c), compared field by field.
#include <catch2/catch.hpp>
#include <filesystem>
#include <regex>
#include <sstream>

#include "support.hpp"

using namespace ctrace::test;

namespace {

struct Line {
  std::string text;
  std::vector<std::string> fields;
  std::string ret;
};

// The first call `name` of `out` whose field `key` reads `key_value` ("0x": any address).
std::optional<Line> find_call(const std::string& out, const std::string& name, size_t key,
                              const std::string& key_value) {
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    auto c = parse_call(line, name);
    if (!c) continue;
    auto v = values(*c);
    if (v.size() <= key) continue;
    bool match = key_value == "0x" ? v[key].rfind("0x", 0) == 0 : v[key] == key_value;
    if (match) return Line{line, v, c->ret};
  }
  return std::nullopt;
}

bool is_address(const std::string& s) {
  static const std::regex hex("0x[0-9a-f]+");
  return std::regex_match(s, hex);
}

// "-1 ENOTTY (Inappropriate ioctl for device)" (strace), "-25 ENOTTY" (ctrace): "ENOTTY".
std::string errno_of(const std::string& ret) {
  auto sp = ret.find(' ');
  if (sp == std::string::npos) return {};
  auto end = ret.find(' ', sp + 1);
  return ret.substr(sp + 1, end == std::string::npos ? std::string::npos : end - sp - 1);
}

enum class Ret { Same, Errno, Address };

struct Expect {
  const char* name;
  size_t key;
  std::string key_value;
  std::vector<size_t> same;      // printed identically
  std::vector<size_t> pointers;  // both hex addresses (or both NULL): they differ between runs
  Ret ret = Ret::Same;
  bool all_args = false;  // ctrace shows as many arguments as strace (no meaningless ones)
};

}  // namespace

TEST_CASE("record prints the calls strace names as strace does, field by field", "[record][parity]") {
  const std::string dir = std::string(CTRACE_BUILD_DIR) + "/parity-test";
  std::filesystem::create_directories(dir);
  const std::string helper = CTRACE_PARITY_HELPER_BIN;
  auto ours = run({ctrace_bin(), "record", "--", helper, dir});
  REQUIRE(ours.code == 0);
  auto theirs = run({"strace", "-f", "-qq", helper, dir});
  REQUIRE(theirs.code == 0);
  const std::string file = "\"" + dir + "/parity-file\"";

  const std::vector<Expect> expects{
      {"brk", 0, "0x", {}, {0}, Ret::Address, true},
      {"openat", 2, "O_RDWR|O_CREAT|O_TRUNC", {0, 1, 2, 3}, {}, Ret::Same, true},  // mode 0640
      {"openat", 2, "O_RDONLY|O_CLOEXEC", {0, 1, 2}, {}, Ret::Same, true},         // no mode
      {"mmap", 5, "0x1000", {1, 2, 3, 4, 5}, {}, Ret::Address, true},              // NULL, hex offset
      {"mmap", 0, "NULL", {0, 1, 2, 3, 4, 5}, {}, Ret::Address, true},
      {"mprotect", 2, "PROT_NONE", {1, 2}, {0}, Ret::Same, true},
      {"fcntl", 1, "F_GETFL", {0, 1}, {}, Ret::Same, true},  // = 0x8002 (flags O_RDWR|O_LARGEFILE)
      {"fcntl", 1, "F_SETFL", {0, 1, 2}, {}, Ret::Same, true},
      {"fcntl", 1, "F_GETFD", {0, 1}, {}, Ret::Same, true},  // = 0x1 (flags FD_CLOEXEC)
      {"arch_prctl", 0, "ARCH_SET_FS", {0}, {1}, Ret::Same, true},
      {"arch_prctl", 0, "ARCH_GET_FS", {0}, {}, Ret::Same},
      {"prctl", 0, "PR_GET_NAME", {0}, {}, Ret::Same},
      {"prctl", 1, "SIGKILL", {0, 1}, {}, Ret::Same, true},  // PR_SET_PDEATHSIG
      {"prctl", 1, "0", {0, 1}, {}, Ret::Same, true},        // PR_SET_PDEATHSIG, 0: none
      {"prctl", 0, "PR_CAPBSET_READ", {0, 1}, {}, Ret::Same, true},   // CAP_SYS_ADMIN = 1
      {"prctl", 0, "PR_GET_KEEPCAPS", {0}, {}, Ret::Same, true},      // the option alone
      {"prctl", 0, "PR_SET_DUMPABLE", {0, 1}, {}, Ret::Same, true},   // SUID_DUMP_USER
      {"prctl", 0, "PR_GET_NO_NEW_PRIVS", {0, 1, 2, 3, 4}, {}, Ret::Same, true},
      {"mknodat", 2, "S_IFIFO|0640", {0, 1, 2}, {}, Ret::Same, true},  // no device
      {"mknodat", 2, "S_IFCHR|0600", {0, 1, 2, 3}, {}, Ret::Same, true},  // makedev(0x1, 0x3)
      {"prlimit64", 1, "RLIMIT_NOFILE", {0, 1, 2}, {}, Ret::Same},
      {"access", 1, "R_OK|W_OK", {0, 1}, {}, Ret::Same, true},
      {"lseek", 2, "SEEK_SET", {0, 1, 2}, {}, Ret::Same, true},
      {"lseek", 2, "SEEK_END", {0, 1, 2}, {}, Ret::Same, true},
      {"futex", 1, "FUTEX_WAKE_PRIVATE", {1, 2}, {0}, Ret::Same, true},
      {"ioctl", 1, "TCGETS", {0, 1}, {2}, Ret::Errno, true},
      {"statx", 1, file, {0, 1, 2, 3}, {}, Ret::Same},
      {"newfstatat", 3, "AT_EMPTY_PATH", {0, 1, 3}, {}, Ret::Same},
      {"getrandom", 2, "GRND_NONBLOCK", {1, 2}, {}, Ret::Same},
      {"socket", 0, "AF_INET", {0, 1, 2}, {}, Ret::Same, true},
      {"wait4", 2, "WNOHANG", {0, 1, 2, 3}, {}, Ret::Errno, true},
      {"rt_sigprocmask", 0, "SIG_BLOCK", {0, 3}, {}, Ret::Same, true},
      {"rt_sigprocmask", 0, "SIG_SETMASK", {0, 2, 3}, {}, Ret::Same, true},
  };
  for (const auto& e : expects) {
    INFO(e.name << " with " << e.key_value);
    auto mine = find_call(ours.out, e.name, e.key, e.key_value);
    auto strace = find_call(theirs.err, e.name, e.key, e.key_value);
    REQUIRE(strace);
    INFO("strace: " << strace->text);
    REQUIRE(mine);
    INFO("ctrace: " << mine->text);
    if (e.all_args) CHECK(mine->fields.size() == strace->fields.size());
    for (size_t i : e.same) {
      REQUIRE(i < mine->fields.size());
      REQUIRE(i < strace->fields.size());
      CHECK(mine->fields[i] == strace->fields[i]);
    }
    for (size_t i : e.pointers) {
      REQUIRE(i < mine->fields.size());
      CHECK((mine->fields[i] == "NULL" ? strace->fields[i] == "NULL" : is_address(mine->fields[i])));
      CHECK((strace->fields[i] == "NULL" || is_address(strace->fields[i])));
    }
    switch (e.ret) {
      case Ret::Same:
        CHECK(mine->ret == strace->ret);
        break;
      case Ret::Errno:
        CHECK(errno_of(mine->ret) == errno_of(strace->ret));
        CHECK_FALSE(errno_of(mine->ret).empty());
        break;
      case Ret::Address:
        CHECK(is_address(mine->ret));
        CHECK(is_address(strace->ret));
        break;
    }
  }
}

TEST_CASE("record -- CMD shows no call of ctrace's own before the exec", "[record][parity]") {
  auto r = run({ctrace_bin(), "record", "--", "/bin/true"});
  REQUIRE(r.code == 0);
  INFO(r.out);
  std::istringstream in(r.out);
  std::string first, line;
  while (std::getline(in, line))
    if (line.rfind("# dump", 0) != 0) {
      first = line;
      break;
    }
  // the command's first call is its execve (entered under ctrace's name, before the exec)
  CHECK(call_at(first, "execve") != std::string::npos);
  CHECK(first.find("argv=[\"/bin/true\"]") != std::string::npos);
  CHECK(r.out.find("...read(") == std::string::npos);
}
