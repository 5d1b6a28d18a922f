// The HTTP servers of `ctrace serve` (in the ctrace-http module: cpp-httplib is linked only
// there, see CMakeLists.txt).
#include "ctrace/commands/http_server.hpp"

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

constexpr int kIoTimeoutMs = 5000;

bool has_header(const std::string& head, const char* name) {
  std::string lower(head.size(), '\0');
  std::transform(head.begin(), head.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  return lower.find(std::string("\r\n") + name + ":") != std::string::npos;
}

// A connected unix socket as an httplib Stream, with timeouts.
// httplib 0.11 reads the body of a POST without Content-Length until the peer closes, so
// `curl -X POST` (no body, connection kept open) would time out: a request with neither
// Content-Length nor Transfer-Encoding has no body (RFC 9112 6.3), so the stream ends after
// its headers.
class FdStream final : public httplib::Stream {
 public:
  explicit FdStream(int fd) : fd_(fd) {}
  bool is_readable() const override { return body_less_ || wait(POLLIN); }
  bool is_writable() const override { return wait(POLLOUT); }
  ssize_t read(char* ptr, size_t size) override {
    if (body_less_) return 0;
    if (!wait(POLLIN)) return -1;
    ssize_t n = ::recv(fd_, ptr, size, 0);
    if (n > 0 && !head_done_) {
      head_.append(ptr, static_cast<size_t>(n));
      auto end = head_.find("\r\n\r\n");
      if (end != std::string::npos) {
        head_done_ = true;
        std::string head = head_.substr(0, end + 2);
        // only when nothing followed the headers in this read (a pipelined body would)
        body_less_ = end + 4 == head_.size() && !has_header(head, "content-length") &&
                     !has_header(head, "transfer-encoding");
        head_.clear();
      } else if (head_.size() > 2 * kMaxBody + 16384) {
        head_done_ = true;  // httplib refuses it anyway
        head_.clear();
      }
    }
    return n;
  }
  ssize_t write(const char* ptr, size_t size) override {
    if (!is_writable()) return -1;
    return ::send(fd_, ptr, size, MSG_NOSIGNAL);
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = "unix";
    port = 0;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    ip = "unix";
    port = 0;
  }
  socket_t socket() const override { return fd_; }

 private:
  bool wait(short events) const {
    pollfd p{fd_, events, 0};
    int n;
    do n = ::poll(&p, 1, kIoTimeoutMs);
    while (n < 0 && errno == EINTR);
    return n > 0;
  }
  int fd_;
  std::string head_;
  bool head_done_ = false;
  bool body_less_ = false;
};

}  // namespace

void send_http_error(int fd, int status, const char* reason, const std::string& message) {
  std::string body = "{\"error\":\"" + message + "\"}";
  send_all(fd, "HTTP/1.1 " + std::to_string(status) + " " + reason +
                   "\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " +
                   std::to_string(body.size()) + "\r\n\r\n" + body);
}

SocketHttpServer::SocketHttpServer(size_t max_connections) : max_connections_(max_connections) {
  set_payload_max_length(kMaxBody);
  // Our answers are small JSON or text documents, served whole. httplib 0.11 applies a
  // `Range:` to any routed answer, errors included (a 404 cut to `{"er`), so the ranges it
  // parsed are dropped: a server may ignore Range (RFC 9110 14.2). The Request is the
  // non-const local of process_request; the handler only sees it as const.
  set_pre_routing_handler([](const httplib::Request& req, httplib::Response&) {
    const_cast<httplib::Request&>(req).ranges.clear();
    return HandlerResponse::Unhandled;
  });
}

SocketHttpServer::~SocketHttpServer() {
  if (listen_fd_ >= 0) ::close(std::exchange(listen_fd_, -1));
}

UnixHttpServer::~UnixHttpServer() {
  close_socket();
}

void UnixHttpServer::bind_unix(const std::string& path) {
  sockaddr_un addr = unix_address(path);
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode))
      throw Error("{} exists and is not a socket: remove it or choose another --socket", path);
    UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (::connect(probe.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0)
      throw Error("another ctrace serve is listening on {}: stop it first or choose another --socket", path);
    spdlog::info("replacing the stale socket {}", path);
    ::unlink(path.c_str());
  }
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) throw Error("socket: {}", errno_string(errno));
  mode_t old = ::umask(0177);  // created 0600: no window where others could connect
  int rc = ::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  int err = errno;
  ::umask(old);
  if (rc != 0) throw Error("binding {}: {}", path, errno_string(err));
  path_ = path;
  ::chmod(path.c_str(), 0600);
  if (::listen(fd.get(), 128) != 0) throw Error("listen on {}: {}", path, errno_string(errno));
  listen_fd_ = fd.release();
}

void SocketHttpServer::serve_until(int stop_fd) {
  pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_fd, POLLIN, 0}};
  for (;;) {
    int n = ::poll(fds, 2, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw Error("poll: {}", errno_string(errno));
    if (fds[1].revents) break;
    if (!(fds[0].revents & POLLIN)) continue;
    int c = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) continue;
    std::unique_lock lock(mutex_);
    if (active_ >= max_connections_) {
      lock.unlock();
      send_http_error(c, 503, "Service Unavailable", "too many connections, retry later");
      ::close(c);
      continue;
    }
    ++active_;
    lock.unlock();
    std::thread([this, c] {
      serve_connection(c);
      std::lock_guard g(mutex_);
      if (--active_ == 0) idle_.notify_all();
    }).detach();
  }
  ::close(listen_fd_);
  listen_fd_ = -1;
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [&] { return active_ == 0; });
}

void UnixHttpServer::close_socket() {
  if (listen_fd_ >= 0) ::close(std::exchange(listen_fd_, -1));
  if (!path_.empty()) ::unlink(std::exchange(path_, std::string()).c_str());
}

bool UnixHttpServer::admit(int fd) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 && cred.uid == 0) return true;
  spdlog::warn("refused a client with uid {} (pid {}): only root may use the daemon", cred.uid, cred.pid);
  send_http_error(fd, 403, "Forbidden", "only root may use ctrace serve");
  return false;
}

void SocketHttpServer::serve_connection(int fd) {
  if (admit(fd)) {
    FdStream strm(fd);
    bool closed = false;
    process_request(strm, true, closed, nullptr);
  }
  ::shutdown(fd, SHUT_RDWR);
  ::close(fd);
}

}  // namespace ctrace::commands
