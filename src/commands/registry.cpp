// The subcommands, in the order `ctrace --help` lists them: one line each. NAME.cpp defines
// make_NAME().
#include "ctrace/commands/command.hpp"

#define CTRACE_COMMANDS(X) \
  X(stat)                  \
  X(top)                   \
  X(ps)                    \
  X(unshare)               \
  X(biograph)              \
  X(openclose)             \
  X(tcpconnect)            \
  X(exec)                  \
  X(exit)                  \
  X(signal)                \
  X(oomkill)               \
  X(advise)                \
  X(record)                \
  X(serve)                 \
  X(ctl)

namespace ctrace::commands {

#define CTRACE_DECLARE(NAME) std::unique_ptr<Command> make_##NAME();
CTRACE_COMMANDS(CTRACE_DECLARE)

std::vector<std::unique_ptr<Command>> make_commands() {
  std::vector<std::unique_ptr<Command>> c;
#define CTRACE_MAKE(NAME) c.push_back(make_##NAME());
  CTRACE_COMMANDS(CTRACE_MAKE)
  return c;
}

}  // namespace ctrace::commands
