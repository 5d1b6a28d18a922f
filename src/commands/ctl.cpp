// ctrace ctl: talks to `ctrace serve` over its unix socket.
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "commands/registry.hpp"
#include "ctrace/commands/daemon.hpp"
#include "ctrace/core/error.hpp"
#include "ctrace/core/log.hpp"

namespace ctrace::commands {

namespace {

constexpr const char* kExamples = R"(ACTIONS:
  list                                   traces being recorded (JSON)
  add NAME CGROUP                        record a cgroup (relative to the cgroup2 mount, or absolute)
  add-current-cgroup NAME                record the cgroup ctl itself runs in
  dump NAME                              the trace's ring, strace-style (-o json: one object per line)
  close NAME                             stop recording it
  add-current-cgroup-sd UNIT INVOCATION_ID   as add-current-cgroup, named systemd_UNIT_INVOCATIONID
  close-sd UNIT INVOCATION_ID            close the trace add-current-cgroup-sd made
  list-sd-units                          units with a systemd_ trace
  dump-sd UNIT                           dump the newest trace of a unit
  metrics                                the daemon's Prometheus metrics, once (as GET /metrics)

EXAMPLES:
  ctrace ctl add web system.slice/nginx.service && ctrace ctl dump web
  ExecStartPre=+/usr/bin/ctrace ctl add-current-cgroup-sd "%n" "$INVOCATION_ID")";

// The cgroup v2 of this process relative to the mount ("0::/system.slice/x.service" in /proc/self/cgroup).
std::string current_cgroup() {
  std::ifstream in("/proc/self/cgroup");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("0::", 0) == 0) {
      // "/system.slice/x.service" is relative to the cgroup2 mount, which the daemon resolves
      std::string rel = line.substr(4);
      return rel.empty() ? "." : rel;
    }
  throw Error("no cgroup v2 entry in /proc/self/cgroup: is cgroup v2 mounted?");
}

class CtlCommand final : public Command {
 public:
  CLI::App* setup(CLI::App& root) override {
    auto* app = root.add_subcommand("ctl", "control a running 'ctrace serve': list, add, dump, close");
    app->footer(kExamples);
    app->add_option("--socket", socket_, "the daemon's unix socket")->default_str(kDefaultSocket);
    app->add_option("-o,--output", format_, "dump format: text|json")
        ->check(CLI::IsMember({"text", "json"}))
        ->default_str("text");
    app->add_option("action", words_, "ACTION [ARGS...] (see below)")->required();
    return app;
  }

  int run(const GlobalOptions&) override {
    // `ctl dump NAME | head`: a reader that has seen enough is not an error; the rest of the
    // dump is dropped quietly (writes fail with EPIPE) and ctl exits 0.
    ::signal(SIGPIPE, SIG_IGN);
    const std::string action = words_[0];
    auto need = [&](size_t n, const char* usage) {
      if (words_.size() != n + 1) throw UsageError("usage: ctrace ctl {}", usage);
    };
    if (action == "list") {
      need(0, "list");
      return print(request("GET", "/list"));
    }
    if (action == "add") {
      need(2, "add NAME CGROUP");
      return add(words_[1], words_[2]);
    }
    if (action == "add-current-cgroup") {
      need(1, "add-current-cgroup NAME");
      return add(words_[1], current_cgroup());
    }
    if (action == "add-current-cgroup-sd") {
      need(2, "add-current-cgroup-sd UNIT INVOCATION_ID");
      return add(systemd_trace_name(words_[1], words_[2]), current_cgroup());
    }
    if (action == "dump") {
      need(1, "dump NAME");
      return dump(words_[1]);
    }
    if (action == "close") {
      need(1, "close NAME");
      return print(request("POST", "/close?name=" + url_encode(words_[1])));
    }
    if (action == "close-sd") {
      need(2, "close-sd UNIT INVOCATION_ID");
      return print(request("POST", "/close?name=" + url_encode(systemd_trace_name(words_[1], words_[2]))));
    }
    if (action == "list-sd-units") {
      need(0, "list-sd-units");
      for (const auto& [unit, name] : sd_traces()) std::printf("%s %s\n", unit.c_str(), name.c_str());
      return 0;
    }
    if (action == "metrics") {
      need(0, "metrics");
      return print(request("GET", "/metrics"));
    }
    if (action == "dump-sd") {
      need(1, "dump-sd UNIT");
      std::string newest;
      const std::string prefix = systemd_trace_name(words_[1], "");  // systemd_UNIT_
      for (const auto& [unit, name] : sd_traces())
        if (name.rfind(prefix, 0) == 0) newest = name;
      if (newest.empty())
        throw Error("no trace of unit {}: list them with 'ctrace ctl list-sd-units'", words_[1]);
      return dump(newest);
    }
    throw UsageError(
        "unknown action '{}': use list, add, add-current-cgroup, dump, close, add-current-cgroup-sd, "
        "list-sd-units, dump-sd or metrics",
        action);
  }

 private:
  HttpReply request(const std::string& method, const std::string& target) {
    auto r = unix_http_request(socket_, method, target);
    if (r.status >= 400) {
      auto j = nlohmann::json::parse(r.body, nullptr, false);
      std::string msg = j.is_object() && j.contains("error") ? j["error"].get<std::string>() : r.body;
      throw Error("daemon: {} (HTTP {})", msg, r.status);
    }
    return r;
  }

  static int print(const HttpReply& r) {
    std::fwrite(r.body.data(), 1, r.body.size(), stdout);
    if (!r.body.empty() && r.body.back() != '\n') std::fputc('\n', stdout);
    return 0;
  }

  int add(const std::string& name, const std::string& cgroup) {
    return print(request("POST", "/add?name=" + url_encode(name) + "&cgroup=" + url_encode(cgroup)));
  }

  int dump(const std::string& name) {
    return print(request("GET", "/dump?name=" + url_encode(name) + "&format=" + format_));
  }

  // (unit part of the name, name) of every systemd_ trace, in the order they were added.
  std::vector<std::pair<std::string, std::string>> sd_traces() {
    auto j = nlohmann::json::parse(request("GET", "/list").body);
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& t : j.at("traces")) {
      std::string name = t.at("name");
      if (name.rfind("systemd_", 0) != 0) continue;
      auto last = name.rfind('_');
      out.emplace_back(name.substr(8, last > 8 ? last - 8 : std::string::npos), name);
    }
    return out;
  }

  std::string socket_ = kDefaultSocket;
  std::string format_ = "text";
  std::vector<std::string> words_;
};

}  // namespace

std::unique_ptr<Command> make_ctl() {
  return std::make_unique<CtlCommand>();
}

}  // namespace ctrace::commands
