// ctrace advise seccomp|caps: least privilege from what a container really does. The kernel
// counts the syscalls (advise_seccomp.bpf.c) or the capability checks (advise_caps.bpf.c) of
// the target; at the end this writes them as a seccomp profile, as --cap-add flags, or as a
// report of what a profile in force refused (--check).
#include <bpf/bpf.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sys/capability.h>
#include <time.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "advise_caps.lskel.hpp"
#include "advise_seccomp.lskel.hpp"
#include "ctrace/commands/command.hpp"
#include "ctrace/commands/stream.hpp"
#include "ctrace/core/error.hpp"
#include "ctrace/enrich/flags.hpp"
#include "ctrace/core/log.hpp"
#include "ctrace/enrich/container_info.hpp"
#include "ctrace/enrich/names.hpp"
#include "ctrace/probe/percpu.hpp"
#include "ctrace/probe/runner.hpp"
extern "C" {
#include <linux/types.h>

#include "bpf/advise.h"
}

namespace ctrace::commands {
namespace {

using json = nlohmann::ordered_json;

// --from-start: picks the container's cgroups out of those the kernel saw being made (the
// advise_cgroups ring) by the name or id the user gave, and ends the run when it is removed.
class StartWatch {
 public:
  StartWatch(probe::Runner& run, std::string query, bool names)
      : run_(run), query_(std::move(query)), resolver_(run.cgroup_fs().mount, {}, names) {}

  void on_event(const void* data, size_t size) {
    if (size < sizeof(ctrace_cgroup_event)) return;
    ctrace_cgroup_event e;
    std::memcpy(&e, data, sizeof e);
    std::string path(c_string(e.path, sizeof e.path));
    if (e.kind == CTRACE_CGROUP_MKDIR) {
      if (!root_.empty()) {
        if (path.rfind(root_ + "/", 0) == 0) ids_.insert(e.cgroup_id);
        return;
      }
      // a cgroup named as asked (runc's cgroupsPath often ends in the container's id) now; a
      // container's (docker-ID.scope, libpod-ID, ID...) once the runtime's state names it
      if (leaf(path) == query_) return matched(e.cgroup_id, path, "container " + query_);
      if (!enrich::container_id_of(leaf(path))) return;
      if (pending_.size() >= ADVISE_MAX_CGROUPS) pending_.erase(pending_.begin());  // bounded
      pending_[e.cgroup_id] = path;
      try_match();
    } else if (e.kind == CTRACE_CGROUP_RMDIR) {
      pending_.erase(e.cgroup_id);
      if (e.cgroup_id == root_id_) {
        notice(fmt::format("{} exited (its cgroup {} was removed)", description_, root_));
        run_.stop().request_stop(StopReason::TargetExited);
      }
    }
  }

  // Names appear a little after the cgroup (runc writes its state once its init runs): a
  // cgroup stays pending until its container has a name, then it is the one or is dropped.
  void try_match() {
    if (!root_.empty()) return;
    for (auto it = pending_.begin(); it != pending_.end();) {
      resolver_.invalidate(it->first);
      auto info = resolver_.lookup_path(it->second);
      if (info && matches(*info)) return matched(it->first, it->second, "container " + info->display_name());
      it = info && !info->name.empty() ? pending_.erase(it) : std::next(it);
    }
  }

  bool found() const { return !root_.empty(); }
  const std::set<uint64_t>& cgroup_ids() const { return ids_; }
  const std::string& description() const { return description_; }

 private:
  static std::string leaf(const std::string& path) { return path.substr(path.rfind('/') + 1); }
  bool matches(const enrich::ContainerInfo& c) const {
    return c.name == query_ || (query_.size() >= 4 && c.id.rfind(query_, 0) == 0);
  }
  void matched(uint64_t id, const std::string& path, std::string description) {
    root_ = path;
    root_id_ = id;
    ids_.insert(id);
    description_ = std::move(description);
    notice(fmt::format("{} started (cgroup {}): its calls count from its first one", description_, root_));
    pending_.clear();
  }

  probe::Runner& run_;
  std::string query_;
  enrich::ContainerResolver resolver_;
  std::map<uint64_t, std::string> pending_;  // container-looking cgroups not named yet
  std::string root_;                         // the container's cgroup, once found
  uint64_t root_id_ = 0;
  std::set<uint64_t> ids_;  // it and the cgroups made below it
  std::string description_;
};

// What both subcommands take.
struct AdviseOptions {
  target::TargetOptions target;
  double duration = 0;
  bool from_start = false;
  bool check = false;
  bool no_names = false;
  std::string output;
};

void add_advise_options(CLI::App& app, AdviseOptions& o, const std::vector<std::string>& outputs) {
  target::add_target_options(app, o.target);
  add_duration_option(app, o.duration);
  add_names_option(app, o.no_names);
  app.add_flag("--from-start", o.from_start,
               "wait for the --container to start and count from its cgroup's creation: the runtime's "
               "calls after it installs the profile are in (ends when the container exits)");
  app.add_flag("--check", o.check,
               "report what a profile in force refused the target (default output: text)");
  std::string list;
  for (const auto& s : outputs) list += (list.empty() ? "" : "|") + s;
  app.add_option("-o,--output", o.output, "output: " + list + " (default " + outputs.front() + ")")
      ->type_name("FORMAT")
      ->check(CLI::IsMember(outputs));
}

void check_advise_options(const AdviseOptions& o) {
  if (!o.from_start) return;
  const auto& t = o.target;
  if (t.container.empty())
    throw UsageError("--from-start waits for a container to start: name it with --container NAME");
  if (!t.command.empty() || t.pid || t.cgroup_id || !t.cgroup.empty() || !t.uts.empty())
    throw UsageError(
        "--from-start takes --container NAME only (with -- CMD, ctrace starts CMD itself: "
        "drop --from-start)");
  std::optional<target::Target> running;
  try {
    running = target::resolve(t, target::CgroupFs::discover());
  } catch (const UsageError&) {  // not there: what --from-start waits for
  }
  if (running)
    throw UsageError(
        "{} is running already: --from-start records a container from its start; start ctrace first, or "
        "leave out --from-start",
        running->description);
}

// The run both share: load `Skel` (`configure(skel, load time)` before, `loaded(skel)` after),
// count until the end, then `report()` once.
template <typename Skel, typename Configure, typename Loaded, typename Report>
int run_advise(const AdviseOptions& o, Configure configure, Loaded loaded, Report report) {
  target::TargetOptions none;
  probe::Runner run(o.from_start ? none : o.target, o.duration);
  uint64_t start_ns = monotonic_ns();
  auto& skel = run.load<Skel>([&](Skel* s) {
    s->rodata->targ_from_start = o.from_start;
    configure(s, start_ns);
  });
  loaded(skel);
  probe::LostCounter lost(skel.maps.advise_lost.map_fd);
  std::unique_ptr<StartWatch> watch;
  std::unique_ptr<probe::RingBuffer> ring;
  std::string what = run.target().description.empty() ? "the host" : run.target().description;
  std::string message = "Counting... Ctrl-C to stop and write the advice";
  if (o.from_start) {
    watch = std::make_unique<StartWatch>(run, o.target.container, !o.no_names);
    ring = std::make_unique<probe::RingBuffer>(skel.maps.advise_cgroups.map_fd,
                                               [&](const void* d, size_t n) { watch->on_event(d, n); });
    run.loop().add_ring_buffer(*ring);
    message = fmt::format("Waiting for container '{}' to start... Ctrl-C to stop", o.target.container);
  }
  int code = run.interval(message, {std::chrono::milliseconds(o.from_start ? 200 : 0),
                                    [&] {
                                      if (watch) watch->try_match();
                                    },
                                    {}});
  if (ring) ring->consume();
  if (watch) {
    if (!watch->found()) {
      spdlog::warn("container '{}' did not start while ctrace waited: no advice", o.target.container);
      return code ? code : 1;
    }
    what = watch->description();
  }
  if (uint64_t n = lost.total())
    spdlog::warn("{} counts lost (a map was full): the advice may miss calls; trace fewer containers", n);
  auto in_target = [&](uint64_t cgroup_id) { return !watch || watch->cgroup_ids().count(cgroup_id) > 0; };
  report(skel, in_target, what);
  return code;
}

// The first one seen of a kind: when, who.
struct First {
  uint64_t ns = UINT64_MAX;
  uint32_t pid = 0;
  std::string comm;
  void take(uint64_t when, uint32_t p, std::string_view c) {
    if (when >= ns) return;
    ns = when;
    pid = p;
    comm = c;
  }
};

// Every entry of a BPF hash map (not per-CPU).
template <typename K, typename V, typename F>
void for_each_entry(int map_fd, F f) {
  probe::for_each_key<K>(map_fd, [&](const K& key) {
    V v{};
    if (bpf_map_lookup_elem(map_fd, &key, &v) == 0) f(key, v);
  });
}

std::string first_time(const WallClock& clock, uint64_t ns) {
  return ns == UINT64_MAX ? "" : format_utc(clock.to_wall_ns(ns), TimePrecision::Millis);
}

// A DNS-1123 name for a Kubernetes object, from a container's name.
std::string k8s_name(const std::string& raw) {
  std::string n;
  for (char c : raw) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    n += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.') ? c : '-';
  }
  while (!n.empty() && !std::isalnum(static_cast<unsigned char>(n.front()))) n.erase(0, 1);
  while (!n.empty() && !std::isalnum(static_cast<unsigned char>(n.back()))) n.pop_back();
  if (n.size() > 253) n.resize(253);
  return n.empty() ? "ctrace-profile" : n;
}

// ---- seccomp ----

// The architectures of a profile: the native one with the 32-bit ABIs the same kernel runs
// (runc adds the rules to each, under its own numbers).
json profile_architectures() {
#if defined(__x86_64__)
  return json::array({"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"});
#elif defined(__aarch64__)
  return json::array({"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"});
#else
  return json::array();
#endif
}

// The allowed names of an earlier profile (--merge), and its other rules (kept as they are).
struct Merged {
  std::set<std::string> names;
  json other_rules = json::array();
};

Merged read_profile(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    throw UsageError("--merge {}: cannot read it: give a profile written by 'ctrace advise seccomp'", path);
  json doc = json::parse(in, nullptr, false);
  const json* spec = &doc;
  if (doc.is_object() && doc.contains("spec")) spec = &doc["spec"];  // a SeccompProfile object
  if (!spec->is_object() || !spec->contains("syscalls") || !(*spec)["syscalls"].is_array())
    throw UsageError("--merge {}: not a seccomp profile (no \"syscalls\" array)", path);
  Merged m;
  for (const auto& rule : (*spec)["syscalls"]) {
    bool plain = rule.is_object() && rule.value("action", "") == "SCMP_ACT_ALLOW" && !rule.contains("args") &&
                 !rule.contains("includes") && !rule.contains("excludes") && rule.contains("names") &&
                 rule["names"].is_array();
    if (!plain) {
      m.other_rules.push_back(rule);
      continue;
    }
    for (const auto& n : rule["names"])
      if (n.is_string()) m.names.insert(n.get<std::string>());
  }
  return m;
}

constexpr const char* kSeccompExamples = R"(EXAMPLES:
  ctrace advise seccomp --from-start --container web > web.json   # start web after this
  docker run --security-opt seccomp=web.json ...                  # the same workload runs
  ctrace advise seccomp --container web -d 300 --merge web.json > web2.json
  ctrace advise seccomp -o k8s --from-start --container web       # a SeccompProfile object
  ctrace advise seccomp --check --container web                   # what the profile refuses
  ctrace advise seccomp -- ./server --selftest                    # a command of its own

The profile (OCI runtime spec, Docker, podman: -o profile) denies every call with EPERM but the
ones the target made while ctrace counted. Calls of code paths not run meanwhile are not in it:
count for long, or merge runs (--merge). Without --from-start a running container's calls count
from now: the runtime's own calls after it installs the filter (execve, ...) and the program's
start-up are missing, and the container would not start under the profile.
--check: a call the kernel skipped (a sys_exit with an error and no sys_enter: seccomp refused
it before the syscall tracepoint) is reported with who made it; -o json for scripts.)";

class AdviseSeccomp {
 public:
  void setup(CLI::App& parent) {
    app_ = parent.add_subcommand("seccomp", "a seccomp profile of the syscalls the target makes");
    app_->footer(kSeccompExamples);
    add_advise_options(*app_, o_, {"profile", "k8s", "text", "json"});
    app_->add_option("--merge", merge_, "add the calls of an earlier profile (runs over days)")
        ->type_name("FILE");
    app_->add_option("--name", name_, "-o k8s: the SeccompProfile's name (default: the container's)");
  }
  CLI::App* app() const { return app_; }

  int run() {
    check_advise_options(o_);
    std::string out = o_.output.empty() ? (o_.check ? "text" : "profile") : o_.output;
    Merged merged;
    if (!merge_.empty()) merged = read_profile(merge_);  // before counting: a typo fails now
    return run_advise<advise_seccomp_lbpf>(
        o_,
        [&](advise_seccomp_lbpf* s, uint64_t start_ns) {
          s->rodata->targ_check = o_.check;
          s->rodata->targ_start_ns = start_ns;
        },
        [&](advise_seccomp_lbpf& s) {
          if (!o_.check) {  // sys_exit only judges refusals: off the syscall path of every task
            ::close(s.links.handle_sys_exit_fd);
            s.links.handle_sys_exit_fd = -1;
          }
        },
        [&](advise_seccomp_lbpf& s, auto in_target, const std::string& what) {
          report(s, in_target, what, out, merged);
        });
  }

 private:
  struct Call {
    uint64_t count = 0, denied = 0;
    First first;
  };

  template <typename InTarget>
  void report(advise_seccomp_lbpf& s, InTarget in_target, const std::string& what, const std::string& out,
              const Merged& merged) {
    std::map<uint32_t, Call> calls;
    for_each_entry<advise_syscall_key, advise_syscall_value>(
        s.maps.advise_syscalls.map_fd, [&](const advise_syscall_key& k, const advise_syscall_value& v) {
          if (!in_target(k.cgroup_id)) return;
          Call& c = calls[k.nr];
          c.count += v.count;
          c.denied += v.denied;
          c.first.take(v.first_ns, v.first_pid, c_string(v.first_comm, sizeof v.first_comm));
        });
    enrich::SyscallNames names(ADVISE_MAX_SYSCALLS);
    std::set<std::string> allowed = merged.names;
    size_t made = 0, denied = 0;
    for (const auto& [nr, c] : calls) {
      if (c.count) {
        allowed.insert(names.name(static_cast<int>(nr)));
        ++made;
      }
      if (c.denied) ++denied;
    }
    if (out == "profile" || out == "k8s") {
      json profile = {{"defaultAction", "SCMP_ACT_ERRNO"},
                      {"defaultErrnoRet", 1},
                      {"architectures", profile_architectures()},
                      {"syscalls", json::array({{{"names", allowed}, {"action", "SCMP_ACT_ALLOW"}}})}};
      for (const auto& r : merged.other_rules) profile["syscalls"].push_back(r);
      json doc = profile;
      if (out == "k8s") {
        doc = {{"apiVersion", "security-profiles-operator.x-k8s.io/v1beta1"},
               {"kind", "SeccompProfile"},
               {"metadata", {{"name", k8s_name(name_.empty() ? container_name(what) : name_)}}},
               {"spec", profile}};
      }
      std::fputs((doc.dump(2) + "\n").c_str(), stdout);
      notice(fmt::format("{}: {} syscalls made{}, {} in the profile", what, made,
                         merge_.empty() ? "" : fmt::format(" ({} from {})", merged.names.size(), merge_),
                         allowed.size()));
      if (denied)
        spdlog::warn(
            "{} syscalls were refused by a profile in force: they are not in this one "
            "(ctrace advise seccomp --check names them)",
            denied);
      return;
    }
    WallClock clock;
    Table t;
    t.rows_key = "syscalls";
    t.title = fmt::format("{}: {} syscalls made, {} refused", what, made, denied);
    t.meta.emplace_back("target", what);
    t.meta.emplace_back("made", static_cast<uint64_t>(made));
    t.meta.emplace_back("refused", static_cast<uint64_t>(denied));
    for (const auto& [nr, c] : calls) {
      if (o_.check && !c.denied) continue;
      Record r;
      r.set("syscall", names.name(static_cast<int>(nr)));
      r.set("calls", c.count);
      if (o_.check) r.set("refused", c.denied);
      r.set("first", first_time(clock, c.first.ns));
      r.set("pid", static_cast<uint64_t>(c.first.pid));
      r.set("comm", c.first.comm);
      t.rows.push_back(std::move(r));
    }
    // the refusals in the order they came; else the most frequent first, as strace -c
    std::stable_sort(t.rows.begin(), t.rows.end(), [&](const Record& a, const Record& b) {
      if (o_.check) return a.raw("first") < b.raw("first");
      return std::stoull(a.raw("calls")) > std::stoull(b.raw("calls"));
    });
    if (o_.check) t.empty_text = "nothing was refused";
    Schema schema;
    schema.type = o_.check ? "seccomp_check" : "seccomp";
    schema.columns = {{"syscall", "SYSCALL"}, {"calls", "CALLS", Align::Right}};
    if (o_.check) schema.columns.push_back({"refused", "REFUSED", Align::Right});
    schema.columns.push_back({"first", "FIRST"});
    schema.columns.push_back({"pid", "PID", Align::Right});
    schema.columns.push_back({"comm", "COMM"});
    auto f = output::make_formatter(out == "json" ? output::Format::Json : output::Format::Text, stdout);
    f->begin(schema);
    f->table(t);
    f->end();
  }

  static std::string container_name(const std::string& what) {
    auto space = what.find(' ');
    return space == std::string::npos ? what : what.substr(space + 1);
  }

  CLI::App* app_ = nullptr;
  AdviseOptions o_;
  std::string merge_;
  std::string name_;
};

// ---- caps ----

// "CHOWN" for CAP_CHOWN (libcap's name, as docker --cap-add and Kubernetes spell it).
std::string cap_name(uint32_t cap) {
  auto s = enrich::capability_text(cap);
  return s ? s->substr(4) : std::to_string(cap);
}

// CAP_SYS_ADMIN where memory is mapped: the kernel's overcommit heuristic (__vm_enough_memory()
// asks, without auditing, whether the task is an admin, to leave it a reserve). Every task is
// asked it, granted or not; none needs it.
bool overcommit_probe(uint32_t cap, const std::string& call) {
  static const std::set<std::string> mapping = {"brk",  "mmap",  "mremap", "mprotect", "clone", "clone3",
                                                "fork", "vfork", "execve", "execveat", "shmat"};
  return cap == CAP_SYS_ADMIN && mapping.count(call) > 0;
}

// The container runtime's init, before it executes the container's program: runc names it
// runc:[0:PARENT], runc:[1:CHILD], runc:[2:INIT]; crun runs as crun.
bool runtime_comm(std::string_view comm) {
  return comm.rfind("runc:[", 0) == 0 || comm == "runc" || comm == "crun";
}

constexpr const char* kCapsExamples = R"(EXAMPLES:
  ctrace advise caps --from-start --container web   # start web after this
  ctrace advise caps --container web -d 300 -o k8s  # a securityContext snippet
  ctrace advise caps --check --container web        # what it was refused

Every capability check in the target (cap_capable: capable(), ns_capable(), the file
permission overrides) is counted, granted or denied. The flags (-o flags) add what the
workload was granted; what only the runtime's init was checked for before the container's
program started (comm runc:[...]) is named apart: the runtime has it either way. Denied checks
are what the container lacks: some are probes a program makes and lives without.)";

class AdviseCaps {
 public:
  void setup(CLI::App& parent) {
    app_ = parent.add_subcommand("caps", "the capabilities the target uses, as --cap-add flags");
    app_->footer(kCapsExamples);
    add_advise_options(*app_, o_, {"flags", "k8s", "text", "json"});
  }
  CLI::App* app() const { return app_; }

  int run() {
    check_advise_options(o_);
    std::string out = o_.output.empty() ? (o_.check ? "text" : "flags") : o_.output;
    return run_advise<advise_caps_lbpf>(
        o_, [](advise_caps_lbpf*, uint64_t) {}, [](advise_caps_lbpf&) {},
        [&](advise_caps_lbpf& s, auto in_target, const std::string& what) {
          report(s, in_target, what, out);
        });
  }

 private:
  struct Use {
    uint64_t granted = 0, denied = 0, runtime = 0, borrowed = 0, probes = 0;
    std::set<std::string> comms;
    std::set<std::string> calls;  // the syscalls the checks were made in
    First first;
  };

  template <typename InTarget>
  void report(advise_caps_lbpf& s, InTarget in_target, const std::string& what, const std::string& out) {
    std::map<uint32_t, Use> caps;
    enrich::SyscallNames names(ADVISE_MAX_SYSCALLS);
    for_each_entry<advise_cap_key, advise_cap_value>(s.maps.advise_caps.map_fd,
                                                     [&](const advise_cap_key& k, const advise_cap_value& v) {
                                                       if (!in_target(k.cgroup_id)) return;
                                                       Use& u = caps[k.cap];
                                                       std::string comm(c_string(k.comm, sizeof k.comm));
                                                       std::string call = k.nr < 0 ? "-" : names.name(k.nr);
                                                       if (runtime_comm(comm))
                                                         u.runtime += v.count;
                                                       else if (k.borrowed)
                                                         u.borrowed += v.count;
                                                       else if (overcommit_probe(k.cap, call))
                                                         u.probes += v.count;
                                                       else if (k.denied)
                                                         u.denied += v.count;
                                                       else
                                                         u.granted += v.count;
                                                       u.comms.insert(comm);
                                                       u.calls.insert(call);
                                                       u.first.take(v.first_ns, v.first_pid, comm);
                                                     });
    std::vector<std::string> add, denied, runtime;
    for (const auto& [cap, u] : caps) {
      if (u.granted) add.push_back(cap_name(cap));
      if (u.denied) denied.push_back(cap_name(cap));
      if (!u.granted && u.runtime) runtime.push_back(cap_name(cap));
    }
    auto list = [](const std::vector<std::string>& v) {
      return v.empty() ? "none" : fmt::format("{}", fmt::join(v, ", "));
    };
    if (out == "flags") {
      std::string line = "--cap-drop ALL";
      for (const auto& c : add) line += " --cap-add " + c;
      std::fputs((line + "\n").c_str(), stdout);
      notice(fmt::format("{}: granted {}; denied {}; only the runtime's init: {}", what, list(add),
                         list(denied), list(runtime)));
      return;
    }
    if (out == "k8s") {
      std::string y = "securityContext:\n  capabilities:\n    drop: [\"ALL\"]\n    add: [";
      for (size_t i = 0; i < add.size(); ++i) y += (i ? ", \"" : "\"") + add[i] + "\"";
      std::fputs((y + "]\n").c_str(), stdout);
      return;
    }
    WallClock clock;
    Table t;
    t.rows_key = "capabilities";
    t.title = fmt::format("{}: granted {}; denied {}", what, list(add), list(denied));
    t.meta.emplace_back("target", what);
    auto strings = [](const std::vector<std::string>& v) { return Value(Strings(v.begin(), v.end())); };
    t.meta.emplace_back("add", strings(add));
    t.meta.emplace_back("denied", strings(denied));
    t.meta.emplace_back("runtime_only", strings(runtime));
    for (const auto& [cap, u] : caps) {
      if (o_.check && !u.denied) continue;
      Record r;
      r.set("capability", cap_name(cap));
      r.set("granted", u.granted);
      r.set("denied", u.denied);
      r.set("runtime", u.runtime);
      r.set("borrowed", u.borrowed);
      r.set("probes", u.probes);
      r.set("first", first_time(clock, u.first.ns));
      r.set("pid", static_cast<uint64_t>(u.first.pid));
      r.set("comms", Value(Strings(u.comms.begin(), u.comms.end())));
      r.set("syscalls", Value(Strings(u.calls.begin(), u.calls.end())));
      t.rows.push_back(std::move(r));
    }
    if (o_.check) t.empty_text = "no capability was denied";
    Schema schema;
    schema.type = o_.check ? "caps_check" : "caps";
    auto joined = [](std::string key, std::string header) {
      Column c{key, header};
      c.text = [key](const Record& r) {
        const auto* v = r.get(key);
        const auto* l = v ? std::get_if<Strings>(&v->v) : nullptr;
        return l ? fmt::format("{}", fmt::join(*l, ",")) : std::string();
      };
      return c;
    };
    schema.columns = {{"capability", "CAPABILITY"},
                      {"granted", "GRANTED", Align::Right},
                      {"denied", "DENIED", Align::Right},
                      {"runtime", "RUNTIME", Align::Right},
                      {"borrowed", "BORROWED", Align::Right},
                      {"probes", "PROBES", Align::Right},
                      {"first", "FIRST"},
                      {"pid", "PID", Align::Right},
                      joined("comms", "COMMS"),
                      joined("syscalls", "IN")};
    auto f = output::make_formatter(out == "json" ? output::Format::Json : output::Format::Text, stdout);
    f->begin(schema);
    f->table(t);
    f->end();
  }

  CLI::App* app_ = nullptr;
  AdviseOptions o_;
};

class AdviseCommand final : public Command {
 public:
  CLI::App* setup(CLI::App& root) override {
    auto* app = root.add_subcommand("advise", "least privilege from what a container does: seccomp, caps");
    app->require_subcommand(1);
    app->footer(R"(EXAMPLES:
  ctrace advise seccomp --from-start --container web > web.json    # then start web
  ctrace advise caps --from-start --container web                  # --cap-drop ALL --cap-add ...
  ctrace advise seccomp --help

Observe, write the advice, run the container with it, check: --check reports what a profile or
a capability set in force refused the target. docs/commands/advise.md has the whole workflow.)");
    seccomp_.setup(*app);
    caps_.setup(*app);
    return app;
  }

  int run(const GlobalOptions&) override { return seccomp_.app()->parsed() ? seccomp_.run() : caps_.run(); }

 private:
  AdviseSeccomp seccomp_;
  AdviseCaps caps_;
};

}  // namespace

std::unique_ptr<Command> make_advise() {
  return std::make_unique<AdviseCommand>();
}

}  // namespace ctrace::commands
