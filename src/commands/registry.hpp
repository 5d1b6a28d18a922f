#pragma once
// One factory per subcommand (defined in src/commands/NAME.cpp).
#include <memory>

#include "ctrace/commands/command.hpp"

namespace ctrace::commands {

std::unique_ptr<Command> make_stat();
std::unique_ptr<Command> make_top();
std::unique_ptr<Command> make_unshare();
std::unique_ptr<Command> make_biograph();
std::unique_ptr<Command> make_openclose();
std::unique_ptr<Command> make_tcpconnect();
std::unique_ptr<Command> make_record();
std::unique_ptr<Command> make_serve();
std::unique_ptr<Command> make_ctl();

}  // namespace ctrace::commands
