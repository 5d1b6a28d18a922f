#pragma once
// The post-mortems of serve --record-all and record --postmortem: one JSON document per failure
// of a recorded container and its text rendering. serve keeps them in one directory
// (NAME-TIME.json, NAME-TIME.txt beside it), bounded in count and bytes: the oldest go first;
// read by serve's /postmortems and /postmortem.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "ctrace/core/time.hpp"
#include "ctrace/enrich/names.hpp"
#include "ctrace/enrich/syscall_formats.hpp"
#include "ctrace/probe/record_all.hpp"

namespace ctrace::commands {

struct PostmortemLimits {
  size_t max_files = 100;            // post-mortems kept (each a .json and a .txt)
  uint64_t max_bytes = 256ULL << 20;  // all of them together
};

// A failure's events come together (an OOM kill, then the victim's death; a worker's crash,
// then its init's exit): they are gathered this long into one post-mortem.
inline constexpr std::chrono::milliseconds kPostmortemSettle{300};

// One failure, written down: the kernel's events of it (record_all.h: the deaths and OOM kills
// gathered together), the recording of its container at that moment, and who it was.
struct PostmortemInput {
  std::vector<record_all_event> triggers;  // in the order they came (not empty)
  probe::RecorderDump dump;                // the container's region, frozen
  probe::RecordAllCounters counters;
  nlohmann::ordered_json container;        // {"name", "id", "runtime", ...}: at least "name"
};

struct PostmortemContext {
  const enrich::SyscallNames& names;
  const enrich::SyscallFormats& formats;
  const WallClock& wall;
  uint64_t start_ns = 0;  // the recorder's
  // The name of the container of a cgroup, for the sender of a signal ("" : none known).
  std::function<std::string(uint64_t cgroup_id)> container_of;
};

struct Postmortem {
  nlohmann::ordered_json doc;  // one document: "type": "postmortem"
  std::string text;            // its strace-style rendering (escaped)
  std::string reason;          // "signal", "exit" or "oom"
  std::string summary;         // the cause in a line, raw: "killed by SIGSEGV (pid 8812 [worker], fault)"
};

// Builds the post-mortem (postmortem_report.cpp): the cause (an OOM kill explains the SIGKILL
// after it), every trigger, the errno counts of the last 10 s, the recent execs, the dying
// task's last 200 events and the container's last 1000.
Postmortem make_postmortem(const PostmortemInput& in, const PostmortemContext& ctx);

// record --postmortem FILE: the post-mortem in one file (atomically: a temp file renamed), its
// JSON document or its text. Throws Error when it cannot.
void write_postmortem(const std::filesystem::path& file, const Postmortem& pm, bool text);

class PostmortemStore {
 public:
  // Makes `dir` (0700) when it is not there; throws Error when it cannot.
  PostmortemStore(std::filesystem::path dir, PostmortemLimits limits);

  // Writes one post-mortem (atomically: a temp file renamed) and removes the oldest beyond the
  // limits; returns the JSON file's path. `doc` has "container": {"name"} and "time".
  std::filesystem::path write(const nlohmann::ordered_json& doc, const std::string& text);

  // Newest first: [{"file","container","reason","time","bytes"}].
  nlohmann::ordered_json list() const;
  // The newest post-mortem of container `name` (or the one whose file is `name`): its JSON
  // document or its text. nullopt when there is none.
  std::optional<std::string> read(const std::string& name, bool text) const;

  const std::filesystem::path& dir() const { return dir_; }

 private:
  void prune();
  std::filesystem::path dir_;
  PostmortemLimits limits_;
  mutable std::mutex mutex_;
};

}  // namespace ctrace::commands
