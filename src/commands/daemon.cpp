#include "ctrace/commands/daemon.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <thread>

#include "ctrace/core/error.hpp"
#include "ctrace/core/log.hpp"
#include "ctrace/core/unique_fd.hpp"

namespace ctrace::commands {

namespace {

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
         c == '@' || c == ':' || c == '-';
}

}  // namespace

sockaddr_un unix_address(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path)
    throw UsageError("socket path '{}' is empty or longer than {} bytes", path, sizeof addr.sun_path - 1);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return addr;
}

void send_all(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

bool valid_trace_name(const std::string& name) {
  if (name.empty() || name.size() > kMaxNameLength || name[0] == '.' || name[0] == '-') return false;
  for (char c : name)
    if (!name_char(c)) return false;
  return true;
}

std::string systemd_trace_name(const std::string& unit, const std::string& invocation_id) {
  std::string n = "systemd_" + unit + "_" + invocation_id;
  for (char& c : n)
    if (!name_char(c)) c = '_';
  if (n.size() > kMaxNameLength) n.resize(kMaxNameLength);
  return n;
}

std::string url_encode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

HttpReply unix_http_request(const std::string& socket, const std::string& method, const std::string& target) {
  sockaddr_un addr = unix_address(socket);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) throw Error("socket: {}", errno_string(errno));
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    throw Error("cannot reach the daemon on {}: {}. Start it with 'ctrace serve' (as root)", socket,
                errno_string(errno));
  send_all(fd.get(), method + " " + target + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n" +
                         "Content-Length: 0\r\n\r\n");
  std::string resp;
  char buf[65536];
  for (;;) {
    pollfd p{fd.get(), POLLIN, 0};
    if (::poll(&p, 1, 60000) <= 0) throw Error("no answer from the daemon on {}", socket);
    ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw Error("reading from {}: {}", socket, errno_string(errno));
    if (n == 0) break;
    resp.append(buf, static_cast<size_t>(n));
  }
  HttpReply r;
  auto sp = resp.find(' ');
  auto end = resp.find("\r\n\r\n");
  if (resp.rfind("HTTP/1.", 0) != 0 || sp == std::string::npos || end == std::string::npos)
    throw Error("the daemon on {} answered something that is not HTTP", socket);
  r.status = std::atoi(resp.c_str() + sp + 1);
  r.body = resp.substr(end + 4);
  return r;
}

}  // namespace ctrace::commands
