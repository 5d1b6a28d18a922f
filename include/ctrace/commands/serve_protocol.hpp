#pragma once
// What `ctrace serve` and `ctrace ctl` agree on: the socket, the limits, the validation of
// names and parameters, and ctl's requests. The servers (cpp-httplib) are in http_server.hpp,
// linked only into the ctrace-http module.
#include <sys/un.h>

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>

namespace ctrace::commands {

inline constexpr const char* kDefaultSocket = "/run/ctrace.sock";
inline constexpr size_t kMaxTraces = 16;       // targets recorded at once by one daemon
inline constexpr size_t kMaxBody = 4096;       // request body bytes
inline constexpr size_t kMaxConnections = 64;  // connections served at once
inline constexpr size_t kMaxNameLength = 128;

// A trace name: 1-128 of [A-Za-z0-9_.@:-], not starting with '.' or '-' (no path characters).
bool valid_trace_name(const std::string& name);
// "systemd_UNIT_INVOCATIONID" with anything outside the allowed set replaced by '_'.
std::string systemd_trace_name(const std::string& unit, const std::string& invocation_id);
// Percent-encodes a query parameter value.
std::string url_encode(const std::string& s);

// The address of a unix socket path. Throws UsageError when it does not fit.
sockaddr_un unix_address(const std::string& path);
// Writes all of s (MSG_NOSIGNAL); gives up quietly when the peer is gone.
void send_all(int fd, const std::string& s);

struct HttpReply {
  int status = 0;
  std::string body;
};

// One request to the daemon on `socket` (enrich/unix_http.hpp). Throws Error, with a hint,
// when it cannot be reached or answers garbage.
HttpReply daemon_request(const std::string& socket, const std::string& method, const std::string& target);

}  // namespace ctrace::commands
