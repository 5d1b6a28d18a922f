#include "hostile.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace fs = std::filesystem;

namespace ctrace::test::hostile {

Fixture::Fixture()
    : dir_("/tmp/ctrace-hostile-" + std::to_string(::getpid())), file_(dir_ + "/" + kFileName) {
  fs::create_directories(dir_);
  std::ofstream(file_) << "x";
  if (!fs::exists(file_)) throw std::runtime_error("cannot create the hostile file under " + dir_);
  parent_ = std::make_unique<TestCgroup>("ctrace-test-hostile");
  cgroup_ = std::make_unique<TestCgroup>(*parent_, kCgroupName);
}

Fixture::~Fixture() {
  cgroup_.reset();
  parent_.reset();
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::string Fixture::cgroup_path() const {
  return "/" + cgroup_->relative();
}

std::string Fixture::cgroup_path_text() const {
  return "/" + parent_->relative() + "/" + kCgroupNameText;
}

std::unique_ptr<Workload> Fixture::workload(const std::vector<std::string>& actions) const {
  std::vector<std::string> argv{"--comm", kComm, "--hostname", kHostname};
  argv.insert(argv.end(), actions.begin(), actions.end());
  auto w = std::make_unique<Workload>(argv);
  cgroup_->add(w->pid());
  return w;
}

std::unique_ptr<PodmanContainer> podman(const std::vector<std::string>& args) {
  ContainerOptions opts;
  opts.hostname = kContainerHostname;
  opts.annotations = {{"io.kubernetes.container.name", kContainerName}, {"io.kubernetes.pod.name", kPodName}};
  opts.hold = true;
  return std::make_unique<PodmanContainer>(container_name("ctrace-hostile"), args, opts);
}

void check_terminal_safe(const std::string& text, const std::string& what, TerminalSafeOptions opts) {
  auto bad = terminal_unsafe(text, opts);
  INFO(what << ": " << bad.value_or(""));
  CHECK_FALSE(bad.has_value());
}

std::string json_form(const std::string& raw) {
  std::string out;
  for (size_t i = 0; i < raw.size();) {
    auto c = static_cast<unsigned char>(raw[i]);
    size_t n = c < 0x80                 ? 1
               : c >= 0xc2 && c <= 0xdf ? 2
               : c >= 0xe0 && c <= 0xef ? 3
               : c >= 0xf0 && c <= 0xf4 ? 4
                                        : 0;
    bool ok = n > 0 && i + n <= raw.size();
    for (size_t k = 1; ok && k < n; ++k) ok = (static_cast<unsigned char>(raw[i + k]) & 0xc0) == 0x80;
    // the fixture's bad bytes stand alone (a C1 byte, 0xff): one U+FFFD each, as nlohmann replaces
    if (ok) {
      out.append(raw, i, n);
      i += n;
    } else {
      out += "\xef\xbf\xbd";
      ++i;
    }
  }
  return out;
}

}  // namespace ctrace::test::hostile
