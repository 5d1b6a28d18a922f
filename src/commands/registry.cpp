// The subcommands, in the order `ctrace --help` lists them.
#include "commands/registry.hpp"

namespace ctrace::commands {

std::vector<std::unique_ptr<Command>> make_commands() {
  std::vector<std::unique_ptr<Command>> c;
  c.push_back(make_stat());
  c.push_back(make_top());
  c.push_back(make_unshare());
  c.push_back(make_biograph());
  c.push_back(make_openclose());
  c.push_back(make_tcpconnect());
  c.push_back(make_record());
  c.push_back(make_serve());
  c.push_back(make_ctl());
  return c;
}

}  // namespace ctrace::commands
