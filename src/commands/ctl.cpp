// ctrace ctl: talks to `ctrace serve` over its unix socket.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "ctrace/commands/command.hpp"
#include "ctrace/commands/serve_protocol.hpp"
#include "ctrace/core/cgroup.hpp"
#include "ctrace/core/error.hpp"
#include "ctrace/core/escape.hpp"
#include "ctrace/core/log.hpp"
#include "ctrace/core/stop.hpp"
#include "ctrace/target/target.hpp"

namespace ctrace::commands {

namespace {

constexpr const char* kExamples = R"(ACTIONS:
  list                                   traces being recorded (JSON, with their ids)
  add NAME CGROUP                        record a cgroup (relative to the cgroup2 mount, or absolute)
  add NAME -c CGDIR|--cgroup-id ID|-p PID|--container ID|NAME   record the cgroup found like other commands do
  add-current-cgroup NAME                record the cgroup ctl itself runs in
  dump NAME                              the trace's ring, strace-style (-o json: one object per line)
  close NAME                             stop recording it
  add-current-cgroup-sd UNIT INVOCATION_ID   as add-current-cgroup, named systemd_UNIT_INVOCATIONID
  close-sd UNIT INVOCATION_ID|-1|all     close that trace of the unit, its newest, or all of them
  list-sd-units                          units with a systemd_ trace
  list-sd-traces UNIT                    the invocation ids of a unit's traces, oldest first
  dump-sd UNIT [INVOCATION_ID|-1]        dump that trace of the unit (-1 or nothing: the newest)
  metrics                                the daemon's Prometheus metrics, once (as GET /metrics)
  postmortems                            the post-mortems serve --record-all wrote, newest first
  postmortem NAME                        the newest post-mortem of container NAME (or of file NAME),
                                         as text (-o json: the whole document)

traceloopctl's verbs are accepted too: list-all, dump-id ID, dump-name NAME, close-id ID,
close-name NAME (and the -sd verbs above, with the same arguments).

EXAMPLES:
  ctrace ctl add web system.slice/nginx.service && ctrace ctl dump web
  ctrace ctl add db --container 3f2a9c
  ExecStartPre=+/usr/bin/ctrace ctl add-current-cgroup-sd "%n" "$INVOCATION_ID")";

// /list answers traceloop's text unless asked for JSON, which ctl prints and parses.
constexpr const char* kListJson = "/list?format=json";

// The cgroup v2 of this process relative to the mount, which the daemon resolves
// ("system.slice/x.service"; "." for the root).
std::string current_cgroup() {
  auto path = cgroup::cgroup_of_pid(::getpid());
  if (!path) throw Error("no cgroup v2 entry in /proc/self/cgroup: is cgroup v2 mounted?");
  std::string rel = *path;
  rel.erase(0, rel.find_first_not_of('/'));
  return rel.empty() ? "." : rel;
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
    app->add_option("--timestamps", timestamps_,
                    "dump times: relative (to the start), wall (UTC, ISO 8601 with ns) or mono")
        ->check(CLI::IsMember({"relative", "wall", "mono"}))
        ->default_str("relative");
    selectors_ = target::add_target_selectors(*app, target_);
    app->add_option("action", words_, "ACTION [ARGS...] (see below)")->required();
    return app;
  }

  int run(const GlobalOptions&) override {
    // `ctl dump NAME | head`: a reader that has seen enough is not an error; the rest of the
    // dump is dropped quietly (writes fail with EPIPE) and ctl exits 0.
    ignore_sigpipe();
    const std::string action = words_[0];
    auto need = [&](size_t n, const char* usage) {
      if (words_.size() != n + 1) throw UsageError("usage: ctrace ctl {}", usage);
    };
    bool selected = std::any_of(selectors_.begin(), selectors_.end(), [](auto* o) { return o->count() > 0; });
    if (selected && action != "add")
      throw UsageError(
          "-c, --cgroup-id, -p and --container only go with 'add NAME': see 'ctrace ctl --help'");
    if (action == "list" || action == "list-all") {
      need(0, "list");
      return print(request("GET", kListJson));
    }
    if (action == "add") {
      if (selected) {
        need(1, "add NAME -c CGDIR|--cgroup-id ID|-p PID|--container ID|NAME");
        auto t = target::resolve(target_, target::CgroupFs::discover());
        return add(words_[1], t.cgroup_dir.string());
      }
      need(2, "add NAME CGROUP, or add NAME -c CGDIR|--cgroup-id ID|-p PID|--container ID|NAME");
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
    if (action == "dump" || action == "dump-name") {
      need(1, "dump NAME");
      return dump("/dump?name=" + url_encode(words_[1]));
    }
    if (action == "dump-id") {
      need(1, "dump-id ID");
      return dump("/dump?id=" + url_encode(words_[1]));
    }
    if (action == "close" || action == "close-name") {
      need(1, "close NAME");
      return print(request("POST", "/close?name=" + url_encode(words_[1])));
    }
    if (action == "close-id") {
      need(1, "close-id ID");
      return print(request("POST", "/close?id=" + url_encode(words_[1])));
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
    if (action == "postmortems") {
      need(0, "postmortems");
      auto r = request("GET", "/postmortems");
      if (format_ == "json") return print(r);
      auto j = nlohmann::json::parse(r.body, nullptr, false);
      if (!j.is_object() || !j.contains("postmortems")) throw Error("daemon: unexpected reply to /postmortems");
      std::printf("%-27s %-20s %-7s %s\n", "TIME", "CONTAINER", "REASON", "SUMMARY");
      for (const auto& p : j["postmortems"])
        std::printf("%-27s %-20s %-7s %s\n", escape_text(p.value("time", "")).c_str(),
                    escape_text(p.value("container", "")).c_str(), escape_text(p.value("reason", "")).c_str(),
                    escape_text(p.value("summary", "")).c_str());
      return 0;
    }
    if (action == "postmortem") {
      need(1, "postmortem NAME");
      return print(request("GET", "/postmortem?name=" + url_encode(words_[1]) +
                                      (format_ == "json" ? "" : "&format=text")));
    }
    if (action == "list-sd-traces") {
      need(1, "list-sd-traces UNIT");
      for (const auto& name : unit_traces(words_[1]))
        std::printf("%s\n", name.substr(systemd_trace_name(words_[1], "").size()).c_str());
      return 0;
    }
    if (action == "dump-sd") {
      if (words_.size() != 2 && words_.size() != 3)
        throw UsageError("usage: ctrace ctl dump-sd UNIT [INVOCATION_ID|-1]");
      std::string which = words_.size() == 3 ? words_[2] : "-1";
      auto names = sd_select(words_[1], which);
      if (names.size() != 1)
        throw UsageError("dump-sd takes one INVOCATION_ID or -1 (the newest), not 'all'");
      return dump("/dump?name=" + url_encode(names[0]));
    }
    if (action == "close-sd") {
      need(2, "close-sd UNIT INVOCATION_ID|-1|all");
      for (const auto& name : sd_select(words_[1], words_[2]))
        print(request("POST", "/close?name=" + url_encode(name)));
      return 0;
    }
    throw UsageError(
        "unknown action '{}': use list, add, add-current-cgroup, dump, close, add-current-cgroup-sd, "
        "close-sd, list-sd-units, list-sd-traces, dump-sd, metrics, postmortems, postmortem, or traceloopctl's "
        "list-all, dump-id, "
        "dump-name, close-id, close-name",
        action);
  }

 private:
  HttpReply request(const std::string& method, const std::string& target) {
    auto r = daemon_request(socket_, method, target);
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

  int dump(const std::string& target) {
    return print(request("GET", target + "&format=" + format_ + "&timestamps=" + timestamps_));
  }

  // (unit part of the name, name) of every systemd_ trace, in the order they were added.
  std::vector<std::pair<std::string, std::string>> sd_traces() {
    auto j = nlohmann::json::parse(request("GET", kListJson).body);
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& t : j.at("traces")) {
      std::string name = t.at("name");
      if (name.rfind("systemd_", 0) != 0) continue;
      auto last = name.rfind('_');
      out.emplace_back(name.substr(8, last > 8 ? last - 8 : std::string::npos), name);
    }
    return out;
  }

  // The names of a unit's traces, oldest first.
  std::vector<std::string> unit_traces(const std::string& unit) {
    std::vector<std::string> names;
    const std::string prefix = systemd_trace_name(unit, "");  // systemd_UNIT_
    for (const auto& [u, name] : sd_traces())
      if (name.rfind(prefix, 0) == 0 && name.find('_', prefix.size()) == std::string::npos)
        names.push_back(name);
    return names;
  }

  // traceloopctl's INVOCATION|-1|all: that trace, the newest, or every trace of the unit.
  std::vector<std::string> sd_select(const std::string& unit, const std::string& which) {
    if (which != "-1" && which != "all") return {systemd_trace_name(unit, which)};
    auto names = unit_traces(unit);
    if (names.empty()) throw Error("no trace of unit {}: list them with 'ctrace ctl list-sd-units'", unit);
    if (which == "-1") return {names.back()};
    return names;
  }

  std::string socket_ = kDefaultSocket;
  target::TargetOptions target_;
  std::vector<CLI::Option*> selectors_;
  std::string format_ = "text";
  std::string timestamps_ = "relative";
  std::vector<std::string> words_;
};

}  // namespace

std::unique_ptr<Command> make_ctl() {
  return std::make_unique<CtlCommand>();
}

}  // namespace ctrace::commands
