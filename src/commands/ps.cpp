// ctrace ps: the containers on this host, named by their runtimes (enrich::ContainerResolver).
#include <CLI/CLI.hpp>
#include <cstdio>

#include "ctrace/commands/command.hpp"
#include "ctrace/core/error.hpp"
#include "ctrace/core/log.hpp"
#include "ctrace/enrich/container_info.hpp"
#include "ctrace/target/target.hpp"

namespace ctrace::commands {

namespace {

constexpr const char* kExamples = R"EX(EXAMPLES:
  ctrace ps                       # containers (docker, podman, containerd, CRI-O, runc) and systemd units
  ctrace ps --all                 # also plain cgroups that hold processes
  ctrace ps -o json | jq -r .name # one JSON object per container
  ctrace stat --container "$(ctrace ps -q | head -1)")EX";

// 64-hex ids shortened as runtimes print them; other ids (runc's own names) in full.
std::string short_id(const std::string& id) {
  bool hex = id.size() == 64 && id.find_first_not_of("0123456789abcdef") == std::string::npos;
  return hex ? id.substr(0, 12) : id;
}

// A string field, "" when null or absent.
std::string or_dash(const std::string& s) {
  return s.empty() ? "-" : s;
}

class PsCommand final : public Command {
 public:
  CLI::App* setup(CLI::App& root) override {
    auto* app =
        root.add_subcommand("ps", "list the containers on this host: name, runtime, pod, pids, cgroup");
    app->footer(kExamples);
    add_output_option(*app, format_, {output::Format::Text, output::Format::Json});
    app->add_flag("-a,--all", all_, "also plain cgroups that hold processes, and pod sandboxes");
    app->add_flag("-q,--quiet", quiet_, "print container ids only (cgroup paths for the others)");
    add_names_option(*app, no_names_);
    return app;
  }

  int run(const GlobalOptions&) override {
    auto cfs = target::CgroupFs::discover();
    enrich::ContainerResolver resolver(cfs.mount, {}, !no_names_);
    auto rows = resolver.list(all_);
    // stdout stays empty for scripts (`ps -q | xargs`, `ps -o json | jq`); the person is told why.
    if (rows.empty() && all_)
      spdlog::info("no cgroup with processes under {}", cfs.mount.string());
    else if (rows.empty())
      spdlog::info("no containers found under {} (--all lists every cgroup with processes)",
                   cfs.mount.string());
    // One record per container (ContainerInfo::to_object()); JSON writes it, text these columns.
    Schema schema{"container", {}};
    if (quiet_) {
      Column id{"id", ""};
      id.text = [](const Record& r) { return r.raw("id").empty() ? r.raw("cgroup") : r.raw("id"); };
      schema.columns = {id};
      schema.headers = false;
    } else {
      Column short_ids{"id", "ID"}, runtime{"runtime", "RUNTIME"}, pod{"pod", "POD/NAMESPACE"};
      short_ids.text = [](const Record& r) { return or_dash(short_id(r.raw("id"))); };
      runtime.text = [](const Record& r) { return or_dash(r.raw("runtime")); };
      pod.text = [](const Record& r) {
        std::string p = r.raw("pod"), ns = r.raw("namespace");
        return p.empty() ? "-" : p + (ns.empty() ? "" : " (ns " + ns + ")");
      };
      schema.columns = {{"name", "CONTAINER"},
                        short_ids,
                        runtime,
                        pod,
                        {"pids", "PIDS", Align::Right},
                        {"cgroup_id", "CGROUP_ID", Align::Right},
                        {"cgroup", "CGROUP"}};
    }
    // -q is for `xargs`: ids, a line each, whatever -o says
    auto out = output::make_formatter(quiet_ ? output::Format::Text : format_, stdout);
    out->begin(schema);
    Table t;
    for (const auto& c : rows) t.rows.push_back({c.to_object()});
    t.stream_rows = true;  // JSON: one object per container, so that `jq` sees each alone
    if (!t.rows.empty()) out->table(t);
    out->end();
    return 0;
  }

 private:
  output::Format format_ = output::Format::Text;
  bool all_ = false;
  bool quiet_ = false;
  bool no_names_ = false;
};

}  // namespace

std::unique_ptr<Command> make_ps() {
  return std::make_unique<PsCommand>();
}

}  // namespace ctrace::commands
