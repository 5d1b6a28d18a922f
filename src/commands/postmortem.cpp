#include "ctrace/commands/postmortem.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <vector>

#include "ctrace/core/error.hpp"
#include "ctrace/core/log.hpp"

namespace ctrace::commands {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

namespace {

// A post-mortem's JSON files, newest first (names end in the time, so each container's sort by
// name; across containers the file's time decides).
std::vector<fs::directory_entry> documents(const fs::path& dir) {
  std::vector<fs::directory_entry> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_regular_file(ec) && e.path().extension() == ".json") out.push_back(e);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    std::error_code e1, e2;
    auto ta = a.last_write_time(e1), tb = b.last_write_time(e2);
    return ta != tb ? ta > tb : a.path().filename() > b.path().filename();
  });
  return out;
}

std::optional<ordered_json> load(const fs::path& p) {
  std::ifstream in(p);
  auto j = ordered_json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return j;
}

std::string file_safe(const std::string& s) {
  std::string out;
  for (char c : s) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') ? c : '_';
  return out.empty() ? "container" : out.substr(0, 100);
}

void write_file(const fs::path& p, const std::string& data) {
  fs::path tmp = p;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << data;
    out.flush();
    if (!out) throw Error("writing {}: {}", tmp.string(), errno_string(errno));
  }
  std::error_code ec;
  fs::rename(tmp, p, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw Error("writing {}: {}", p.string(), ec.message());
  }
}

std::string document(const ordered_json& doc) {
  return doc.dump(2, ' ', false, ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace

PostmortemStore::PostmortemStore(fs::path dir, PostmortemLimits limits) : dir_(std::move(dir)), limits_(limits) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) throw Error("cannot make the post-mortem directory {}: {}", dir_.string(), ec.message());
  if (!fs::is_directory(dir_)) throw Error("--postmortem-dir {} is not a directory", dir_.string());
  ::chmod(dir_.c_str(), 0700);
}

fs::path PostmortemStore::write(const ordered_json& doc, const std::string& text) {
  std::lock_guard lock(mutex_);
  std::string base = file_safe(doc.at("container").value("name", "")) + "-" + file_safe(doc.value("time", ""));
  fs::path json = dir_ / (base + ".json");
  for (int n = 2; fs::exists(json); ++n) json = dir_ / fmt::format("{}-{}.json", base, n);
  fs::path txt = json;
  txt.replace_extension(".txt");
  write_file(txt, text);
  write_file(json, document(doc));
  prune();
  return json;
}

void PostmortemStore::prune() {
  auto docs = documents(dir_);
  uint64_t bytes = 0;
  for (size_t i = 0; i < docs.size(); ++i) {
    std::error_code ec;
    fs::path txt = docs[i].path();
    txt.replace_extension(".txt");
    uint64_t size = docs[i].file_size(ec) + (fs::exists(txt) ? fs::file_size(txt, ec) : 0);
    bytes += size;
    // the newest always stays, whatever its size
    if (i > 0 && (i >= limits_.max_files || bytes > limits_.max_bytes)) {
      fs::remove(docs[i].path(), ec);
      fs::remove(txt, ec);
      spdlog::info("removed post-mortem {} (at most {} files, {} bytes)", docs[i].path().filename().string(),
                   limits_.max_files, limits_.max_bytes);
    }
  }
}

void write_postmortem(const fs::path& file, const Postmortem& pm, bool text) {
  write_file(file, text ? pm.text : document(pm.doc));
}

ordered_json PostmortemStore::list() const {
  std::lock_guard lock(mutex_);
  ordered_json out = ordered_json::array();
  for (const auto& e : documents(dir_)) {
    auto j = load(e.path());
    if (!j) continue;
    std::error_code ec;
    out.push_back({{"file", e.path().filename().string()},
                   {"container", (*j)["container"].value("name", "")},
                   {"reason", j->value("reason", "")},
                   {"summary", j->value("summary", "")},
                   {"time", j->value("time", "")},
                   {"bytes", e.file_size(ec)}});
  }
  return out;
}

std::optional<std::string> PostmortemStore::read(const std::string& name, bool text) const {
  std::lock_guard lock(mutex_);
  for (const auto& e : documents(dir_)) {
    bool hit = e.path().filename() == name || e.path().stem() == name;
    if (!hit) {
      auto j = load(e.path());
      hit = j && (*j)["container"].value("name", "") == name;
    }
    if (!hit) continue;
    fs::path p = e.path();
    if (text) p.replace_extension(".txt");
    std::ifstream in(p);
    if (!in) return std::nullopt;
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  return std::nullopt;
}

}  // namespace ctrace::commands
