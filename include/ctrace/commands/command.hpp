#pragma once
// A subcommand: declares its options on a CLI11 subcommand, then runs.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ctrace/output/formatter.hpp"

namespace CLI {
class App;
}

namespace ctrace::commands {

struct GlobalOptions {
  int verbosity = 0;
};

class Command {
 public:
  virtual ~Command() = default;
  // Adds the subcommand and its options to the root app.
  virtual CLI::App* setup(CLI::App& root) = 0;
  // Runs after parsing; returns the process exit code. Throws ctrace::Error.
  virtual int run(const GlobalOptions& global) = 0;
};

// Every subcommand, in the order of `ctrace --help` (registry.cpp).
std::vector<std::unique_ptr<Command>> make_commands();

// `-o FORMAT` restricted to what the command supports; the first listed is the default.
void add_output_option(CLI::App& app, output::Format& format, const std::vector<output::Format>& supported);

// `-d/--duration SEC`: must be > 0.
void add_duration_option(CLI::App& app, double& seconds);

// `--no-names`: container names from cgroup paths only, no runtime state files or sockets.
void add_names_option(CLI::App& app, bool& no_names);

// `-x/--failed`: failed calls only, the one spelling of every command; `old_names` (such as
// "--failures") keep working but are not shown in --help; `help` where "failed" means more
// than a -ERRNO (exit: a non-zero status or a signal).
void add_failed_option(CLI::App& app, bool& failed, const std::vector<std::string>& old_names = {},
                       const std::string& help = "only failed calls (return value -ERRNO)");

// Parses --size: "4M", "512K", "1G", "65536" (bytes, at most 16G). Throws UsageError.
uint64_t parse_size(const std::string& s);

// Parses --syscalls: "read,write,openat" -> nrs below max_nr. Throws UsageError on an unknown name,
// naming `option` (serve --metrics-syscalls parses its list here too).
std::vector<int> parse_syscalls(const std::string& list, int max_nr, const std::string& option = "--syscalls");

}  // namespace ctrace::commands
