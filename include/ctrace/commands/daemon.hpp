#pragma once
// The `ctrace serve` daemon's plumbing, shared with `ctrace ctl` and the tests:
// HTTP/1.1 over a root-only unix socket (cpp-httplib parses and answers requests; the
// socket, peer check and connection threads are ours: httplib 0.11 has no AF_UNIX),
// a minimal client, and the validation of names and parameters.
#include <httplib.h>

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

// cpp-httplib answering on a listening socket of any family through our own accept loop
// (httplib 0.11's queue is unbounded): at most `max_connections` at once, 503 beyond, one
// thread and one request per connection, I/O timeouts.
class SocketHttpServer : public httplib::Server {
 public:
  explicit SocketHttpServer(size_t max_connections = kMaxConnections);
  ~SocketHttpServer() override;
  // Serves until `stop_fd` is readable, then closes the listener and waits for the
  // connections in progress.
  void serve_until(int stop_fd);
  // Serves one request on a connected socket (peer check, parse, route, answer), then closes it.
  void serve_connection(int fd);

 protected:
  // Whether to serve this peer; a refusal is answered here.
  virtual bool admit(int /*fd*/) { return true; }
  int listen_fd_ = -1;

 private:
  size_t max_connections_;
  std::mutex mutex_;
  std::condition_variable idle_;
  size_t active_ = 0;
};

// An HTTP server on a unix socket that only root may use.
class UnixHttpServer : public SocketHttpServer {
 public:
  UnixHttpServer() = default;
  ~UnixHttpServer() override;
  // Creates the socket 0600; replaces a stale socket file (nobody listening), refuses a
  // live one or a non-socket file. Throws Error.
  void bind_unix(const std::string& path);
  // Removes the socket file.
  void close_socket();

 protected:
  bool admit(int fd) override;

 private:
  std::string path_;
};

// Answers a request we will not serve, without parsing it.
void send_http_error(int fd, int status, const char* reason, const std::string& message);

struct HttpReply {
  int status = 0;
  std::string body;
};

// One request over the unix socket (Connection: close). Throws Error when the daemon
// cannot be reached or answers garbage.
HttpReply unix_http_request(const std::string& socket, const std::string& method, const std::string& target);

}  // namespace ctrace::commands
