#pragma once
// The traced world at its worst, shared by every command's test of its text output: a process
// that renamed itself (prctl(PR_SET_NAME)) to a terminal control sequence, in a UTS namespace and
// a cgroup named with escapes, opening a file whose path has them, and a podman container whose
// name and pod (its Kubernetes annotations) and hostname carry them. What a command prints as
// text must hold none of it raw (terminal_unsafe(), test/helpers/terminal_safe.hpp); what it
// prints as JSON must read back as the original bytes (json_form()).
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "../helpers/terminal_safe.hpp"
#include "containers.hpp"
#include "support.hpp"

namespace ctrace::test::hostile {

// Each carries a sequence a terminal acts on and at least one of: a newline, a raw C1 byte, a
// C1 control in UTF-8, a byte that is not UTF-8, DEL, a bidi override.
// 14 bytes (a comm keeps 15): clear the screen, set the window title, a newline, raw CSI.
inline const std::string kComm = "\x1b[2J\x1b]0;pwn\x07\n\x9b";
// An OSC 8 hyperlink, RLO, a newline, CSI in UTF-8 (U+009B), a byte that is not UTF-8.
inline const std::string kHostname = "h\x1b]8;;http://x\x1b\\\xe2\x80\xae\n\xc2\x9b\xff";
// The kernel refuses '\n' in a cgroup name (EINVAL: /proc/PID/cgroup is one line per
// hierarchy), so this one has none: red, RLO, raw CSI, DEL.
inline const std::string kCgroupName = "bars-\x1b[31mred\xe2\x80\xae\x9b\x7f";
// blink, a newline, LRI, raw CSI, a byte that is not UTF-8.
inline const std::string kFileName = "\x1b[5mblink\n\xe2\x81\xa6\x9b\xff-bars";
// podman refuses escapes in a container's own name ([a-zA-Z0-9][a-zA-Z0-9_.-]*), cuts an
// annotation at a newline and, in Go, turns bytes that are not UTF-8 into U+FFFD: its strings are
// valid UTF-8. ctrace names a container by its Kubernetes annotations first.
inline const std::string kContainerName = "web\x1b]52;c;cHdu\x07\xe2\x80\xae";  // OSC 52 clipboard write, RLO
inline const std::string kPodName = "pod\x1b[5m\xc2\x85\xe2\x81\xa7";           // blink, NEL in UTF-8, RLI
inline const std::string kContainerHostname = "h\x1b]8;;http://x\x1b\\\xe2\x80\xae\n\xc2\x9b";
inline const std::string kContainerFile = "/\x1b[5mblink\n\xe2\x81\xa6-bars";  // what it opens (ENOENT)

// What text output shows of each (ctrace/core/escape.hpp's rule), written out here rather than
// computed by the code under test; record dumps show strace's escapes instead.
inline const std::string kCommText = "\\x1b[2J\\x1b]0;pwn\\x07\\n\\x9b";
inline const std::string kCommStrace = "\\33[2J\\33]0;pwn\\7\\n\\233";
inline const std::string kHostnameText = "h\\x1b]8;;http://x\\x1b\\\\\\u202e\\n\\u009b\\xff";
inline const std::string kCgroupNameText = "bars-\\x1b[31mred\\u202e\\x9b\\x7f";
inline const std::string kFileNameText = "\\x1b[5mblink\\n\\u2066\\x9b\\xff-bars";
inline const std::string kFileNameStrace = "\\33[5mblink\\n\\342\\201\\246\\233\\377-bars";
inline const std::string kContainerNameText = "web\\x1b]52;c;cHdu\\x07\\u202e";
inline const std::string kPodNameText = "pod\\x1b[5m\\u0085\\u2067";
inline const std::string kContainerFileText = "/\\x1b[5mblink\\n\\u2066-bars";

// A cgroup named kCgroupName (under a plain per-test parent), a file named kFileName under /tmp,
// removed at the end.
class Fixture {
 public:
  Fixture();
  ~Fixture();
  Fixture(const Fixture&) = delete;
  Fixture& operator=(const Fixture&) = delete;

  const TestCgroup& cgroup() const { return *cgroup_; }
  std::string cgroup_path() const;       // as ctrace names it: "/ctrace-test-hostile-PID/bars-..."
  std::string cgroup_path_text() const;  // what text output shows of it (kCgroupNameText at the end)
  const std::string& file() const { return file_; }
  // A ctrace_workload named kComm in its own UTS namespace named kHostname, in the cgroup, held
  // until go(); `actions` as ctrace_workload takes them (open_close(n) opens and closes file()).
  std::unique_ptr<Workload> workload(const std::vector<std::string>& actions) const;
  std::vector<std::string> open_close(int n) const { return {"open-close", file_, std::to_string(n)}; }

 private:
  std::string dir_, file_;
  std::unique_ptr<TestCgroup> parent_, cgroup_;
};

// A podman container (runc, cgroupfs) named kContainerName in pod kPodName by its annotations,
// with hostname kContainerHostname, that runs `args` once released with go().
std::unique_ptr<PodmanContainer> podman(const std::vector<std::string>& args);

// CHECKs that `text` holds nothing a terminal would act on, saying where it does.
void check_terminal_safe(const std::string& text, const std::string& what, TerminalSafeOptions opts = {});

// The string JSON output carries for `raw`: the same bytes where they are UTF-8, U+FFFD for
// each byte that is not (the JSON formatter's documented replacement).
std::string json_form(const std::string& raw);

}  // namespace ctrace::test::hostile
