#include "ctrace/commands/cli.hpp"

#include <CLI/CLI.hpp>
#include <string_view>

#include "ctrace/core/error.hpp"
#include "ctrace/core/escape.hpp"
#include "ctrace/core/log.hpp"

namespace ctrace::commands {

namespace {

constexpr const char* kDescription =
    "ctrace: what is this container doing? eBPF tracing filtered in the kernel by container\n"
    "(cgroup v2 directory or id, process, container id, or a command run in a new cgroup).";

constexpr const char* kFooter = R"(TARGETS (every command):
  -c CGDIR           cgroup v2 directory, absolute or relative to the cgroup2 mount
  --cgroup-id ID     cgroup v2 id          -p PID         the cgroup of a process
  --container ID     docker/podman/containerd/CRI-O container id prefix or name
  -- CMD ARGS...     run CMD in a new cgroup, trace it until it exits
  --exact            only that cgroup, not its subtree

EXAMPLES:
  ctrace stat -- sh -c 'ls /usr >/dev/null'
  ctrace stat --container 3f2a -d 10 -o json | jq '.syscalls[0]'
  ctrace stat --help

Needs root (or CAP_BPF + CAP_PERFMON) and a kernel with BTF. Diagnostics go to stderr,
results to stdout. Exit codes: 0 ok, 1 runtime error, 2 usage error.)";

// CLI11 lists every option an option excludes after it ("Excludes: -c --cgroup-id -p ...");
// the target options exclude each other, so every --help was half clutter. The exclusions
// still hold when parsing; only their text goes.
class HelpFormatter : public CLI::Formatter {
 public:
  std::string make_option_opts(const CLI::Option* opt) const override {
    std::string s = CLI::Formatter::make_option_opts(opt);
    if (auto at = s.find(" " + get_label("Excludes") + ":"); at != std::string::npos) s.erase(at);
    return s;
  }
};

}  // namespace

RootCli::RootCli() : app_(std::make_unique<CLI::App>(kDescription, "ctrace")) {
  CLI::App& app = *app_;
  app.set_version_flag("-V,--version", std::string("ctrace ") + CTRACE_VERSION);
  app.footer(kFooter);
  app.formatter(std::make_shared<HelpFormatter>());  // before the subcommands: they inherit it
  app.require_subcommand(1);
  app.add_flag("-v,--verbose", global_.verbosity, "more diagnostics on stderr (-vv: libbpf's full log)");
  app.fallthrough();
  commands_ = make_commands();
  for (auto& c : commands_) subs_.emplace_back(c->setup(app), c.get());
}

RootCli::~RootCli() = default;

std::optional<int> RootCli::parse(int argc, const char* const* argv, std::FILE* err) {
  CLI::App& app = *app_;
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    std::string hint = "ctrace --help";
    bool in_sub = false;
    for (auto& [sub, cmd] : subs_)
      if (sub->parsed()) {
        // the deepest subcommand given (advise seccomp)
        std::string path = sub->get_name();
        for (const CLI::App* at = sub; at;) {
          const CLI::App* next = nullptr;
          for (const auto* s : at->get_subcommands()) next = s;
          if (next) path += " " + next->get_name();
          at = next;
        }
        hint = "ctrace " + path + " --help";
        in_sub = true;
      }
    std::string msg = e.what();
    if (!in_sub) {
      // CLI11 would say "A subcommand is required" even for a misspelt one.
      std::string names;
      for (auto& [sub, cmd] : subs_) names += (names.empty() ? "" : ", ") + sub->get_name();
      auto rest = app.remaining();
      if (rest.empty())
        msg = "no command given: the commands are " + names;
      else if (rest.front().rfind('-', 0) == 0)
        msg = fmt::format("unknown option '{}'", rest.front());
      else
        msg = fmt::format("unknown command '{}': the commands are {}", rest.front(), names);
    }
    for (auto& ch : msg)
      if (ch == '\n') ch = ' ';
    // CLI11 quotes the arguments as typed: they may carry escapes too
    std::fprintf(err, "ctrace: error: %s (see '%s')\n", escape_text(msg).c_str(), escape_text(hint).c_str());
    return kExitUsage;
  }

  // CLI11 takes a trailing `--` as an empty command: the run would trace the whole host.
  if (argc > 1 && std::string_view(argv[argc - 1]) == "--") {
    std::string name;
    for (auto& [sub, cmd] : subs_)
      if (sub->parsed()) name = sub->get_name();
    std::fprintf(err,
                 "ctrace: error: -- needs a command to run after it: ctrace %s [options] -- CMD ARGS... (see "
                 "'ctrace %s --help')\n",
                 name.c_str(), name.c_str());
    return kExitUsage;
  }
  if (!selected()) return kExitUsage;
  return std::nullopt;
}

Command* RootCli::selected() const {
  for (auto& [sub, cmd] : subs_)
    if (sub->parsed()) return cmd;
  return nullptr;
}

}  // namespace ctrace::commands
