#pragma once
// `ctrace serve --metrics-address`: Prometheus scrapes ctrace over TCP. Only GET /metrics and
// GET /healthz are served there; control (add, dump, close) stays on the root-only unix socket.
#include <cstdint>
#include <string>
#include <thread>

#include "ctrace/commands/http_server.hpp"
#include "ctrace/core/stop.hpp"
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

// The TCP listener of `serve`, from bind to join: it binds in the constructor (so that a taken
// port fails before anything else starts), serves on its own thread from start() until `stop`
// fires, and joins in the destructor (requesting the stop first when the owner is leaving on
// an exception). An error on that thread stops the daemon rather than leaving a dead port.
class MetricsListener {
 public:
  MetricsListener(output::MetricsExporter& exporter, const TcpAddress& address, StopToken& stop);
  ~MetricsListener();
  MetricsListener(const MetricsListener&) = delete;
  MetricsListener& operator=(const MetricsListener&) = delete;
  // Starts serving; returns the URL of /metrics (with the port actually bound).
  std::string start();

 private:
  MetricsHttpServer server_;
  TcpAddress address_;
  StopToken& stop_;
  std::thread thread_;
};

}  // namespace ctrace::commands
