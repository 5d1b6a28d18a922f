// Options every command shares the same way.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>

#include "ctrace/commands/command.hpp"
#include "ctrace/core/cli_checks.hpp"
#include "ctrace/core/error.hpp"
#include "ctrace/enrich/names.hpp"

namespace ctrace::commands {

void add_output_option(CLI::App& app, output::Format& format, const std::vector<output::Format>& supported) {
  std::map<std::string, output::Format> names;
  std::string list;
  for (auto f : supported) {
    names[output::to_string(f)] = f;
    list += (list.empty() ? "" : "|") + std::string(output::to_string(f));
  }
  format = supported.front();
  // Maps the name to the enum's number, which CLI11 then stores in `format`.
  auto to_format = [names, list](std::string& s) -> std::string {
    std::string lower = CLI::detail::to_lower(s);
    auto it = names.find(lower);
    if (it == names.end()) return fmt::format("unknown format '{}': use {}", s, list);
    s = std::to_string(static_cast<int>(it->second));
    return {};
  };
  app.add_option("-o,--output", format, "output format: " + list)
      ->type_name("FORMAT")
      ->transform(CLI::Validator(to_format, "", ""))
      ->default_str(output::to_string(supported.front()));
}

void add_duration_option(CLI::App& app, double& seconds) {
  app.add_option("-d,--duration", seconds, "stop after SEC seconds (e.g. 10, 0.5)")
      ->type_name("SEC")
      ->check(cli::seconds());
}

void add_names_option(CLI::App& app, bool& no_names) {
  app.add_flag("--no-names", no_names,
               "container names from cgroup paths only: read no runtime state (runc, Docker, podman, CRI-O)");
}

void add_failed_option(CLI::App& app, bool& failed, const std::vector<std::string>& old_names,
                       const std::string& help) {
  app.add_flag("-x,--failed", failed, help);
  for (const auto& name : old_names) app.add_flag(name, failed)->group("");
}

uint64_t parse_size(const std::string& s) {
  size_t pos = 0;
  uint64_t v = 0;
  try {
    v = std::stoull(s, &pos);
  } catch (const std::exception&) {
    throw UsageError("invalid --size '{}': give bytes with an optional K, M or G suffix (e.g. 4M)", s);
  }
  std::string unit = s.substr(pos);
  std::transform(unit.begin(), unit.end(), unit.begin(), [](unsigned char c) { return std::toupper(c); });
  if (unit == "K" || unit == "KB" || unit == "KIB")
    v <<= 10;
  else if (unit == "M" || unit == "MB" || unit == "MIB")
    v <<= 20;
  else if (unit == "G" || unit == "GB" || unit == "GIB")
    v <<= 30;
  else if (!unit.empty())
    throw UsageError("invalid --size '{}': give bytes with an optional K, M or G suffix (e.g. 4M)", s);
  if (v == 0 || v > (16ULL << 30)) throw UsageError("--size '{}' out of range: give 1 to 16G bytes", s);
  return v;
}

std::vector<int> parse_syscalls(const std::string& list, int max_nr, const std::string& option) {
  std::vector<int> nrs;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    std::string name = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!name.empty()) {
      auto nr = enrich::SyscallNames::lookup(name);
      if (!nr || *nr >= max_nr)
        throw UsageError("unknown syscall '{}' in {}: give names such as read,write,openat", name, option);
      nrs.push_back(*nr);
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (nrs.empty()) throw UsageError("{} is empty: give names such as read,write,openat", option);
  return nrs;
}

}  // namespace ctrace::commands
