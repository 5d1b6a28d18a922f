// Options every command shares the same way.
#include <CLI/CLI.hpp>

#include "ctrace/commands/command.hpp"

namespace ctrace::commands {

void add_output_option(CLI::App& app, output::Format& format, const std::vector<output::Format>& supported) {
  std::map<std::string, output::Format> names;
  std::string list;
  for (auto f : supported) {
    names[output::to_string(f)] = f;
    list += (list.empty() ? "" : "|") + std::string(output::to_string(f));
  }
  format = supported.front();
  app.add_option("-o,--output", format, "output format: " + list)
      ->type_name("FORMAT")
      ->transform(CLI::CheckedTransformer(names, CLI::ignore_case).description(""))
      ->default_str(output::to_string(supported.front()));
}

void add_duration_option(CLI::App& app, double& seconds) {
  app.add_option("-d,--duration", seconds, "stop after SEC seconds (e.g. 10, 0.5)")
      ->type_name("SEC")
      ->check(CLI::Range(1e-3, 1e9).description(""));
}

}  // namespace ctrace::commands
