#pragma once
// The root command line: every subcommand's options (registry.cpp) under one CLI11 app, and
// the parsing that turns CLI11's errors into one line and exit code 2. main() runs what it
// selects; the CLI fuzz target parses argv with it without running anything.
#include <cstdio>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "ctrace/commands/command.hpp"

namespace ctrace::commands {

class RootCli {
 public:
  RootCli();
  ~RootCli();
  RootCli(const RootCli&) = delete;
  RootCli& operator=(const RootCli&) = delete;

  // Parses argv. A value: the process should exit with it (--help, --version, a usage error,
  // with its message written to `err`); nullopt: run selected().
  std::optional<int> parse(int argc, const char* const* argv, std::FILE* err = stderr);
  // The subcommand given on the command line (after parse() returned nullopt).
  Command* selected() const;
  const GlobalOptions& global() const { return global_; }
  CLI::App& app() { return *app_; }

 private:
  std::unique_ptr<CLI::App> app_;
  GlobalOptions global_;
  std::vector<std::unique_ptr<Command>> commands_;
  std::vector<std::pair<CLI::App*, Command*>> subs_;
};

}  // namespace ctrace::commands
