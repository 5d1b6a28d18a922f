#pragma once
// HTTP/1.1 over a unix socket, the one client: the runtimes' APIs (Docker, podman) and
// `ctrace ctl` talking to `ctrace serve`. cpp-httplib 0.11 (Debian 12) cannot connect to
// AF_UNIX, hence this small blocking client with a deadline.
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>

namespace ctrace::enrich {

struct HttpResponse {
  int status = 0;
  std::string body;
};

// A whole HTTP/1.x response as read until the peer closed: status and body (Content-Length
// or chunked); nullopt when it is not one.
std::optional<HttpResponse> parse_http_response(const std::string& resp);

// Why a request got no response.
enum class HttpFailure { None, Connect, Timeout, NotHttp, TooLarge };

// One request (Connection: close, no body) over the unix socket `socket`, answered within
// `timeout`, at most `max_body` bytes. nullopt when there is no response: `failure` (and, for
// Connect, `connect_errno`) say why.
std::optional<HttpResponse> unix_http_request(const std::filesystem::path& socket, const std::string& method,
                                              const std::string& target, std::chrono::milliseconds timeout,
                                              size_t max_body = 1 << 20, HttpFailure* failure = nullptr,
                                              int* connect_errno = nullptr);

}  // namespace ctrace::enrich
