// The command line of every command: the root CLI11 app as main() builds it (RootCli: every
// subcommand's options from registry.cpp, the one-line usage errors), parsing a fuzzed argv
// without running anything. Input: the arguments separated by NUL bytes.
#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "ctrace/commands/cli.hpp"
#include "ctrace/core/error.hpp"

using namespace ctrace;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // --help and --version print to stdout: keep the fuzzer's terminal readable.
  int null = ::open("/dev/null", O_WRONLY);
  if (null >= 0) ::dup2(null, STDOUT_FILENO);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static std::FILE* devnull = std::fopen("/dev/null", "w");
  std::vector<std::string> args{"ctrace"};
  std::string cur;
  for (size_t i = 0; i < size && args.size() < 64; ++i) {
    if (data[i] == 0) {
      args.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += static_cast<char>(data[i]);
    }
  }
  if (!cur.empty() || (size && data[size - 1] == 0 && args.size() < 64)) args.push_back(cur);
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  argv.push_back(nullptr);

  commands::RootCli cli;
  auto code = cli.parse(static_cast<int>(args.size()), argv.data(), devnull);
  if (code) {
    if (*code != 0 && *code != kExitUsage) std::abort();  // CLI errors are usage errors
  } else if (!cli.selected()) {
    std::abort();  // parsed, yet nothing to run
  }
  return 0;
}
