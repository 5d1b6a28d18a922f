#include "ctrace/enrich/syscall_formats.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <string_view>

#include "ctrace/core/error.hpp"
#include "ctrace/core/log.hpp"
#include "ctrace/core/unique_fd.hpp"
#include "ctrace/enrich/names.hpp"

namespace ctrace::enrich {

namespace {

constexpr long kTracefsMagic = 0x74726163;  // TRACEFS_MAGIC

std::string_view trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t");
  size_t e = s.find_last_not_of(" \t");
  return b == std::string_view::npos ? std::string_view() : s.substr(b, e - b + 1);
}

bool is_length_name(const std::string& n) {
  return n == "count" || n == "len" || n == "size" || n == "nbytes" || n == "length";
}

bool is_buffer_name(const std::string& n) {
  return n == "buf" || n == "ubuf" || n == "buff";
}

bool is_tracefs(const std::filesystem::path& p) {
  struct statfs st {};
  return ::statfs(p.c_str(), &st) == 0 && st.f_type == kTracefsMagic;
}

}  // namespace

std::optional<SyscallFormat> parse_syscall_format(std::string_view text) {
  SyscallFormat f;
  bool seen_nr = false;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (line.rfind("name: ", 0) == 0) {
      std::string_view n = trim(line.substr(6));
      if (n.rfind("sys_enter_", 0) != 0) return std::nullopt;
      f.name = n.substr(10);
      continue;
    }
    // "\tfield:const char * filename;\toffset:24;\tsize:8;\tsigned:0;"
    size_t at = line.find("field:");
    if (at == std::string_view::npos) continue;
    size_t semi = line.find(';', at);
    if (semi == std::string_view::npos) continue;
    std::string_view decl = trim(line.substr(at + 6, semi - at - 6));
    size_t sp = decl.find_last_of(" *");
    if (sp == std::string_view::npos) continue;
    std::string_view name = decl.substr(sp + 1);
    if (name == "__syscall_nr") {
      seen_nr = true;
      continue;
    }
    if (!seen_nr) continue;  // common_* fields
    f.args.push_back({std::string(trim(decl.substr(0, sp + 1))), std::string(name)});
  }
  if (f.name.empty() || !seen_nr) return std::nullopt;
  classify_args(f);
  return f;
}

void classify_args(SyscallFormat& f) {
  auto& a = f.args;
  for (size_t i = 0; i < a.size(); ++i) {
    const std::string& t = a[i].type;
    bool char_ptr = t == "const char *" || t == "char *";
    bool void_ptr = t == "const void *" || t == "void *";
    // a buffer: named buf, followed by its length
    if ((char_ptr || void_ptr) && is_buffer_name(a[i].name) && i + 1 < a.size() &&
        is_length_name(a[i + 1].name)) {
      bool in = t.rfind("const ", 0) == 0;
      a[i].capture = in ? ArgCapture::BufferIn : ArgCapture::BufferOut;
      a[i].len_arg = in ? static_cast<int>(i + 1) : -1;
    } else if (t == "struct sockaddr *" && i + 1 < a.size()) {
      // connect(uservaddr, int addrlen): the length is an int; accept(upeer_sockaddr, int *upeer_addrlen)
      // and recvfrom(addr, int *addr_len): the kernel fills it
      bool in = a[i + 1].type == "int";
      a[i].capture = in ? ArgCapture::SockaddrIn : ArgCapture::SockaddrOut;
      a[i].len_arg = in ? static_cast<int>(i + 1) : -1;
    } else if (t == "const char *const *" && a[i].name == "argv") {
      a[i].capture = ArgCapture::Argv;  // envp stays a pointer, as strace shows it by default
    } else if (t == "const char *") {
      a[i].capture = ArgCapture::CString;  // filename, pathname, path, name, oldname...
    }
  }
}

std::filesystem::path ensure_tracefs() {
  for (const char* p : {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"})
    if (is_tracefs(p)) return p;
  std::error_code ec;
  std::filesystem::create_directories("/sys/kernel/tracing", ec);
  if (::mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, nullptr) != 0 && errno != EBUSY)
    throw Error(
        "mounting tracefs at /sys/kernel/tracing: {}. Mount it yourself (mount -t tracefs tracefs "
        "/sys/kernel/tracing) or run as root",
        errno_string(errno));
  spdlog::debug("mounted tracefs at /sys/kernel/tracing");
  return "/sys/kernel/tracing";
}

SyscallFormats SyscallFormats::load() {
  return load_dir(ensure_tracefs() / "events" / "syscalls");
}

// One read per file into a reused buffer and a parse over string_views: record reads all
// ~350 formats before it attaches (part of its start-up CPU time, bench/README.md).
SyscallFormats SyscallFormats::load_dir(const std::filesystem::path& dir) {
  SyscallFormats out;
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), ::closedir);
  if (!d) throw Error("reading syscall formats in {}: {}", dir.string(), errno_string(errno));
  const int dfd = ::dirfd(d.get());
  std::string text;
  std::string file;
  while (const dirent* e = ::readdir(d.get())) {
    std::string_view entry = e->d_name;
    if (entry.rfind("sys_enter_", 0) != 0) continue;
    file.assign(entry).append("/format");
    UniqueFd fd(::openat(dfd, file.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) continue;
    text.clear();
    char buf[8192];
    for (ssize_t n; (n = ::read(fd.get(), buf, sizeof buf)) > 0;) text.append(buf, static_cast<size_t>(n));
    auto f = parse_syscall_format(text);
    if (!f) continue;
    auto nr = SyscallNames::lookup(f->name);
    // the kernel's "newstat" / "newfstatat" are the user-visible stat / newfstatat
    if (!nr && f->name.rfind("new", 0) == 0) nr = SyscallNames::lookup(f->name.substr(3));
    if (!nr) continue;
    out.add(*nr, std::move(*f));
  }
  if (out.by_nr_.empty())
    spdlog::warn("no syscall format in {}: arguments print as raw values", dir.string());
  return out;
}

const SyscallFormat* SyscallFormats::find(int nr) const {
  auto it = by_nr_.find(nr);
  return it == by_nr_.end() ? nullptr : &it->second;
}

}  // namespace ctrace::enrich
