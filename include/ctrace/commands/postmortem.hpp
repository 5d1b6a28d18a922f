#pragma once
// The post-mortems of serve --record-all: one JSON document per failure of a recorded container
// (NAME-TIME.json) and its text rendering beside it (NAME-TIME.txt), in one directory, bounded
// in count and bytes: the oldest go first. Read by serve's /postmortems and /postmortem.
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace ctrace::commands {

struct PostmortemLimits {
  size_t max_files = 100;            // post-mortems kept (each a .json and a .txt)
  uint64_t max_bytes = 256ULL << 20;  // all of them together
};

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
