#pragma once
// The HTTP servers of `ctrace serve`: cpp-httplib parses and answers requests; the socket,
// peer check and connection threads are ours (httplib 0.11 has no AF_UNIX). Only the
// ctrace-http module links this (see CMakeLists.txt): no other command maps libssl & co.
#include <httplib.h>

#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>

#include "ctrace/commands/serve_protocol.hpp"

namespace ctrace::commands {

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

}  // namespace ctrace::commands
