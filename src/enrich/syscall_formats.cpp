#include "ctrace/enrich/syscall_formats.hpp"

#include <sys/mount.h>
#include <sys/vfs.h>

#include <cerrno>
#include <fstream>
#include <sstream>

#include "ctrace/core/error.hpp"
#include "ctrace/core/log.hpp"
#include "ctrace/enrich/names.hpp"

namespace ctrace::enrich {

namespace {

constexpr long kTracefsMagic = 0x74726163;  // TRACEFS_MAGIC

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  size_t e = s.find_last_not_of(" \t");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
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

std::optional<SyscallFormat> parse_syscall_format(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  SyscallFormat f;
  bool seen_nr = false;
  while (std::getline(in, line)) {
    if (line.rfind("name: ", 0) == 0) {
      std::string n = trim(line.substr(6));
      if (n.rfind("sys_enter_", 0) != 0) return std::nullopt;
      f.name = n.substr(10);
      continue;
    }
    // "\tfield:const char * filename;\toffset:24;\tsize:8;\tsigned:0;"
    size_t at = line.find("field:");
    if (at == std::string::npos) continue;
    size_t semi = line.find(';', at);
    if (semi == std::string::npos) continue;
    std::string decl = trim(line.substr(at + 6, semi - at - 6));
    size_t sp = decl.find_last_of(" *");
    if (sp == std::string::npos) continue;
    std::string name = decl.substr(sp + 1);
    std::string type = trim(decl.substr(0, sp + 1));
    if (name == "__syscall_nr") {
      seen_nr = true;
      continue;
    }
    if (!seen_nr) continue;  // common_* fields
    f.args.push_back({type, name});
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

SyscallFormats SyscallFormats::load_dir(const std::filesystem::path& dir) {
  SyscallFormats out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::string d = entry.path().filename().string();
    if (d.rfind("sys_enter_", 0) != 0) continue;
    std::ifstream in(entry.path() / "format");
    std::stringstream ss;
    ss << in.rdbuf();
    auto f = parse_syscall_format(ss.str());
    if (!f) continue;
    auto nr = SyscallNames::lookup(f->name);
    // the kernel's "newstat" / "newfstatat" are the user-visible stat / newfstatat
    if (!nr && f->name.rfind("new", 0) == 0) nr = SyscallNames::lookup(f->name.substr(3));
    if (!nr) continue;
    out.add(*nr, std::move(*f));
  }
  if (ec) throw Error("reading syscall formats in {}: {}", dir.string(), ec.message());
  if (out.by_nr_.empty())
    spdlog::warn("no syscall format in {}: arguments print as raw values", dir.string());
  return out;
}

const SyscallFormat* SyscallFormats::find(int nr) const {
  auto it = by_nr_.find(nr);
  return it == by_nr_.end() ? nullptr : &it->second;
}

}  // namespace ctrace::enrich
