#include "ctrace/enrich/uts.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include <cstdlib>
#include <map>
#include <thread>

#include "ctrace/core/error.hpp"
#include "ctrace/core/log.hpp"
#include "ctrace/core/unique_fd.hpp"

namespace fs = std::filesystem;

namespace ctrace::enrich {

std::optional<uint32_t> uts_inum_of(int pid, const fs::path& proc) {
  struct stat st {};
  if (::stat((proc / std::to_string(pid) / "ns/uts").c_str(), &st) != 0) return std::nullopt;
  return static_cast<uint32_t>(st.st_ino);
}

uint32_t host_uts_inum(const fs::path& proc) {
  constexpr uint32_t kInitUtsInum = 0xEFFFFFFEU;
  const fs::path p = proc / "1/ns/uts";
  struct stat st {};
  if (::stat(p.c_str(), &st) == 0) return static_cast<uint32_t>(st.st_ino);
  int err = errno;
  if (err == EACCES || err == EPERM) {
    spdlog::debug("{}: {}; the initial UTS namespace ({}) stands for the host's", p.string(),
                  errno_string(err), kInitUtsInum);
    return kInitUtsInum;
  }
  throw Error("reading the host's UTS namespace ({}): {}; ctrace needs the host's /proc", p.string(),
              errno_string(err));
}

std::optional<std::string> uts_hostname_of(int pid, const fs::path& proc) {
  UniqueFd ns(::open((proc / std::to_string(pid) / "ns/uts").c_str(), O_RDONLY | O_CLOEXEC));
  if (!ns) return std::nullopt;
  // setns(CLONE_NEWUTS) moves only the calling thread: a thread of its own joins the namespace,
  // reads uname() and ends, so that no other thread of ctrace changes namespace.
  std::optional<std::string> name;
  std::thread([&] {
    struct utsname u {};
    if (::setns(ns.get(), CLONE_NEWUTS) == 0 && ::uname(&u) == 0) name = u.nodename;
  }).join();
  return name;
}

std::vector<UtsNamespace> uts_namespaces(const fs::path& proc) {
  std::map<uint32_t, UtsNamespace> by_inum;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(proc, ec)) {
    const std::string name = e.path().filename().string();
    char* end = nullptr;
    long pid = std::strtol(name.c_str(), &end, 10);
    if (pid <= 0 || *end) continue;
    auto inum = uts_inum_of(static_cast<int>(pid), proc);
    if (!inum) continue;
    auto& ns = by_inum[*inum];
    if (ns.tasks++ == 0 || pid < ns.pid) ns.pid = static_cast<int>(pid);
    ns.inum = *inum;
  }
  std::vector<UtsNamespace> out;
  for (auto& [inum, ns] : by_inum) {
    if (auto h = uts_hostname_of(ns.pid, proc)) ns.hostname = *h;
    out.push_back(std::move(ns));
  }
  return out;
}

}  // namespace ctrace::enrich
