#pragma once
// `ctrace serve --metrics-address`: Prometheus scrapes ctrace over TCP. Only GET /metrics and
// GET /healthz are served there; control (add, dump, close) stays on the root-only unix socket.
#include <cstdint>
#include <string>

#include "ctrace/commands/daemon.hpp"
#include "ctrace/output/metrics.hpp"

namespace ctrace::commands {

inline constexpr size_t kMaxMetricsConnections = 8;  // scrapers at once; Prometheus uses one

struct TcpAddress {
  std::string host;  // an IPv4 or IPv6 literal, without brackets
  uint16_t port = 0;
  bool ipv6 = false;
  std::string to_string() const;  // "127.0.0.1:9586", "[::]:9586"
};

// "IPV4:PORT" or "[IPV6]:PORT". Throws UsageError.
TcpAddress parse_tcp_address(const std::string& text);

class MetricsHttpServer final : public SocketHttpServer {
 public:
  explicit MetricsHttpServer(output::MetricsExporter& exporter);
  // Binds and listens; "[::]" also accepts IPv4 (dual stack). Throws Error (address in use…).
  void bind_tcp(const TcpAddress& address);
  // The port actually bound (the one asked for, or the kernel's pick for port 0).
  uint16_t port() const { return port_; }

 private:
  uint16_t port_ = 0;
};

}  // namespace ctrace::commands
