#include "ctrace/commands/metrics_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <charconv>

#include "ctrace/core/error.hpp"
#include "ctrace/core/log.hpp"
#include "ctrace/core/unique_fd.hpp"

namespace ctrace::commands {

namespace {

constexpr const char* kAddressHint = "expected IPV4:PORT or [IPV6]:PORT, e.g. 127.0.0.1:9586 or [::]:9586";

}  // namespace

std::string TcpAddress::to_string() const {
  return ipv6 ? "[" + host + "]:" + std::to_string(port) : host + ":" + std::to_string(port);
}

TcpAddress parse_tcp_address(const std::string& text) {
  TcpAddress a;
  std::string port;
  if (!text.empty() && text[0] == '[') {
    auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':')
      throw UsageError("invalid --metrics-address '{}': {}", text, kAddressHint);
    a.host = text.substr(1, close - 1);
    a.ipv6 = true;
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string::npos || text.find(':') != colon)
      throw UsageError("invalid --metrics-address '{}': {}", text, kAddressHint);
    a.host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  unsigned char buf[sizeof(in6_addr)];
  if (inet_pton(a.ipv6 ? AF_INET6 : AF_INET, a.host.c_str(), buf) != 1)
    throw UsageError("invalid --metrics-address '{}': '{}' is not an IP{} address; {}", text, a.host,
                     a.ipv6 ? "v6" : "v4", kAddressHint);
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value > 65535)
    throw UsageError("invalid --metrics-address '{}': the port must be 0-65535; {}", text, kAddressHint);
  a.port = static_cast<uint16_t>(value);
  return a;
}

MetricsHttpServer::MetricsHttpServer(output::MetricsExporter& exporter)
    : SocketHttpServer(kMaxMetricsConnections) {
  Get("/metrics", [&exporter](const httplib::Request&, httplib::Response& res) {
    try {
      res.set_content(exporter.render(), output::kMetricsContentType);
    } catch (const std::exception& e) {
      res.status = 500;
      res.set_content(std::string(e.what()) + "\n", "text/plain");
    }
  });
  Get("/healthz",
      [](const httplib::Request&, httplib::Response& res) { res.set_content("ok\n", "text/plain"); });
  // The two paths exist for GET only; everything else is 404 (httplib's default).
  httplib::Server::Handler not_allowed = [](const httplib::Request&, httplib::Response& res) {
    res.status = 405;
    res.set_header("Allow", "GET, HEAD");
    res.set_content("only GET\n", "text/plain");
  };
  for (const char* path : {"/metrics", "/healthz"}) {
    Post(path, not_allowed);
    Put(path, not_allowed);
    Patch(path, not_allowed);
    Delete(path, not_allowed);
  }
}

void MetricsHttpServer::bind_tcp(const TcpAddress& address) {
  int family = address.ipv6 ? AF_INET6 : AF_INET;
  UniqueFd fd(::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) throw Error("socket: {}", errno_string(errno));
  int one = 1, zero = 0;
  // A restarted daemon must get its port back while old connections sit in TIME_WAIT.
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_storage ss{};
  socklen_t len;
  if (address.ipv6) {
    ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(address.port);
    inet_pton(AF_INET6, address.host.c_str(), &a->sin6_addr);
    len = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(address.port);
    inet_pton(AF_INET, address.host.c_str(), &a->sin_addr);
    len = sizeof *a;
  }
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    int err = errno;
    throw Error("cannot listen on {}: {}{}", address.to_string(), errno_string(err),
                err == EADDRINUSE ? ": another process has the port, choose another --metrics-address" : "");
  }
  if (::listen(fd.get(), 16) != 0) throw Error("listen on {}: {}", address.to_string(), errno_string(errno));
  len = sizeof ss;
  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&ss), &len);
  port_ = ntohs(address.ipv6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                             : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  listen_fd_ = fd.release();
}

MetricsListener::MetricsListener(output::MetricsExporter& exporter, const TcpAddress& address,
                                 StopToken& stop)
    : server_(exporter), address_(address), stop_(stop) {
  server_.bind_tcp(address_);
  address_.port = server_.port();
}

MetricsListener::~MetricsListener() {
  if (!thread_.joinable()) return;
  if (!stop_.stopped()) stop_.request_stop(StopReason::Terminated);
  thread_.join();
}

std::string MetricsListener::start() {
  thread_ = std::thread([this] {
    try {
      server_.serve_until(stop_.wake_fd());
    } catch (const std::exception& e) {
      spdlog::error("metrics listener: {}", e.what());
      stop_.request_stop(StopReason::Terminated);
    }
  });
  return "http://" + address_.to_string() + "/metrics";
}

}  // namespace ctrace::commands
