#include "ctrace/enrich/unix_http.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "ctrace/core/unique_fd.hpp"

namespace ctrace::enrich {

namespace fs = std::filesystem;

std::optional<HttpResponse> parse_http_response(const std::string& resp) {
  auto head_end = resp.find("\r\n\r\n");
  if (!resp.starts_with("HTTP/1.") || head_end == std::string::npos || resp.size() < 12) return std::nullopt;
  HttpResponse r;
  r.status = std::atoi(resp.c_str() + 9);
  std::string head = resp.substr(0, head_end);
  std::transform(head.begin(), head.end(), head.begin(), [](unsigned char c) { return std::tolower(c); });
  std::string body = resp.substr(head_end + 4);
  if (head.find("transfer-encoding: chunked") != std::string::npos) {
    std::string out;
    size_t pos = 0;
    for (;;) {
      auto eol = body.find("\r\n", pos);
      if (eol == std::string::npos) return std::nullopt;
      size_t len = std::strtoul(body.c_str() + pos, nullptr, 16);
      if (len == 0) break;
      if (eol + 2 + len > body.size()) return std::nullopt;
      out.append(body, eol + 2, len);
      pos = eol + 2 + len + 2;
    }
    body = std::move(out);
  } else if (auto cl = head.find("content-length:"); cl != std::string::npos) {
    size_t len = std::strtoul(head.c_str() + cl + 15, nullptr, 10);
    if (len < body.size()) body.resize(len);
  }
  r.body = std::move(body);
  return r;
}

std::optional<HttpResponse> unix_http_request(const fs::path& socket, const std::string& method,
                                              const std::string& target, std::chrono::milliseconds timeout,
                                              size_t max_body, HttpFailure* failure, int* connect_errno) {
  auto fail = [&](HttpFailure f, int err = 0) -> std::optional<HttpResponse> {
    if (failure) *failure = f;
    if (connect_errno) *connect_errno = err;
    return std::nullopt;
  };
  fail(HttpFailure::None);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::string path = socket.string();
  if (path.empty() || path.size() >= sizeof addr.sun_path) return fail(HttpFailure::Connect, ENAMETOOLONG);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd || ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    return fail(HttpFailure::Connect, errno);
  std::string req = method + " " + target +
                    " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
  for (size_t off = 0; off < req.size();) {
    ssize_t n = ::send(fd.get(), req.data() + off, req.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail(HttpFailure::Connect, errno);
    off += static_cast<size_t>(n);
  }
  auto end = std::chrono::steady_clock::now() + timeout;
  std::string resp;
  char buf[16384];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
    pollfd p{fd.get(), POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0)
      return fail(HttpFailure::Timeout);
    ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(HttpFailure::NotHttp);
    if (n == 0) break;
    resp.append(buf, static_cast<size_t>(n));
    if (resp.size() > max_body + 16384) return fail(HttpFailure::TooLarge);
  }
  auto r = parse_http_response(resp);
  return r ? r : fail(HttpFailure::NotHttp);
}

}  // namespace ctrace::enrich
