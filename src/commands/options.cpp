// Options every command shares the same way.
#include <fmt/format.h>

#include <CLI/CLI.hpp>

#include "ctrace/commands/command.hpp"
#include "ctrace/core/cli_checks.hpp"

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

void add_failed_option(CLI::App& app, bool& failed, const std::vector<std::string>& old_names) {
  app.add_flag("-x,--failed", failed, "only failed calls (return value -ERRNO)");
  for (const auto& name : old_names) app.add_flag(name, failed)->group("");
}

}  // namespace ctrace::commands
