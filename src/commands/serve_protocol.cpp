#include "ctrace/commands/serve_protocol.hpp"

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
#include "ctrace/enrich/unix_http.hpp"

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

HttpReply daemon_request(const std::string& socket, const std::string& method, const std::string& target) {
  // a dump of the largest ring is well below this; a stuck daemon is given ten minutes
  constexpr size_t kMaxAnswer = size_t{1} << 30;
  enrich::HttpFailure failure{};
  int err = 0;
  auto r =
      enrich::unix_http_request(socket, method, target, std::chrono::minutes(10), kMaxAnswer, &failure, &err);
  if (r) return {r->status, std::move(r->body)};
  switch (failure) {
    case enrich::HttpFailure::Connect:
      throw Error("cannot reach the daemon on {}: {}. Start it with 'ctrace serve' (as root)", socket,
                  errno_string(err));
    case enrich::HttpFailure::Timeout:
      throw Error("no answer from the daemon on {}", socket);
    case enrich::HttpFailure::TooLarge:
      throw Error("the daemon on {} answered more than {} bytes", socket, kMaxAnswer);
    default:
      throw Error("the daemon on {} answered something that is not HTTP", socket);
  }
}

}  // namespace ctrace::commands
