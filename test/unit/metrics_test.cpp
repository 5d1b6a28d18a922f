// The Prometheus exporter and the metrics address, without a daemon or a kernel.
#include "ctrace/output/metrics.hpp"

#include <catch2/catch.hpp>
#include <set>

#include "commands/metric_sources.hpp"
#include "ctrace/commands/metrics_server.hpp"
#include "ctrace/core/error.hpp"

using namespace ctrace;

namespace {

class FakeSource final : public output::MetricsSource {
 public:
  void collect(prometheus::Registry& r) override {
    output::gauge_family(r, "ctrace_record_targets").Add({}).Set(2);
    output::counter_family(r, "ctrace_record_events_total").Add({{"trace", "web"}}).Increment(42);
  }
  uint64_t lost_events() override { return lost; }
  uint64_t lost = 0;
};

class UndeclaredSource final : public output::MetricsSource {
 public:
  void collect(prometheus::Registry& r) override { output::counter_family(r, "ctrace_made_up_total"); }
};

}  // namespace

TEST_CASE("the exporter renders ctrace_up, the lost total of all sources and each source's families",
          "[metrics]") {
  output::MetricsExporter e;
  FakeSource a, b;
  a.lost = 3;
  b.lost = 4;
  e.add(a);
  std::string one = e.render();
  CHECK(one.find("# TYPE ctrace_up gauge\nctrace_up 1\n") != std::string::npos);
  CHECK(one.find("# TYPE ctrace_lost_events_total counter\nctrace_lost_events_total 3\n") !=
        std::string::npos);
  CHECK(one.find("ctrace_record_events_total{trace=\"web\"} 42\n") != std::string::npos);
  CHECK(one.find("ctrace_record_targets 2\n") != std::string::npos);
  e.add(b);
  CHECK(e.render().find("\nctrace_lost_events_total 7\n") != std::string::npos);
}

TEST_CASE("a source cannot expose a family missing from the catalog or of another type", "[metrics]") {
  output::MetricsExporter e;
  UndeclaredSource s;
  e.add(s);
  CHECK_THROWS_AS(e.render(), std::logic_error);
  prometheus::Registry r;
  CHECK_THROWS_AS(output::gauge_family(r, "ctrace_lost_events_total"), std::logic_error);
  CHECK_NOTHROW(output::counter_family(r, "ctrace_lost_events_total"));
}

TEST_CASE("the metric catalog: unique names, counters end in _total, Prometheus-valid label names",
          "[metrics]") {
  std::set<std::string_view> names;
  for (const auto& m : output::metric_catalog()) {
    INFO(m.name);
    CHECK(names.insert(m.name).second);
    CHECK(m.name.rfind("ctrace_", 0) == 0);
    CHECK((m.type == "counter" || m.type == "gauge" || m.type == "histogram"));
    CHECK((m.type == "counter") == m.name.ends_with("_total"));
    CHECK_FALSE(m.help.empty());
    CHECK(m.labels.find(' ') == std::string_view::npos);
  }
  CHECK(names.count("ctrace_up"));
  CHECK(names.count("ctrace_container_syscalls_total"));
}

TEST_CASE("the metrics address is IPV4:PORT or a bracketed IPV6 address and PORT", "[metrics]") {
  auto a = commands::parse_tcp_address("127.0.0.1:9586");
  CHECK(a.host == "127.0.0.1");
  CHECK(a.port == 9586);
  CHECK_FALSE(a.ipv6);
  CHECK(a.to_string() == "127.0.0.1:9586");
  auto b = commands::parse_tcp_address("[::]:9586");
  CHECK(b.host == "::");
  CHECK(b.ipv6);
  CHECK(b.to_string() == "[::]:9586");
  CHECK(commands::parse_tcp_address("[fe80::1]:0").port == 0);
  CHECK(commands::parse_tcp_address("0.0.0.0:65535").port == 65535);
  for (const char* bad :
       {"", "9586", ":9586", "localhost:9586", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1",
        "127.0.0.1:95x", "::1:9586", "[::1]9586", "[::1]:", "[127.0.0.1]:80", "[::1:9586", "1.2.3:80"}) {
    INFO(bad);
    CHECK_THROWS_AS(commands::parse_tcp_address(bad), UsageError);
  }
}

TEST_CASE("serve metrics-syscalls: names or top-N, one-line errors", "[metrics]") {
  using commands::SyscallSeries;
  auto listed = SyscallSeries::parse("read,write,read");
  CHECK(listed.nrs.size() == 2);  // a name given twice is one series
  CHECK(listed.top == 0);
  CHECK(SyscallSeries::parse("top-5").top == 5);
  CHECK(SyscallSeries::parse("top-32").top == 32);
  for (const char* bad : {"top-0", "top-33", "top-", "top-5x", "nosuchcall", ",", ""}) {
    INFO(bad);
    CHECK_THROWS_AS(SyscallSeries::parse(bad), UsageError);
  }

  std::map<uint32_t, hostview::SyscallCount> calls{{0, {10, 0}}, {1, {30, 1}}, {2, {20, 0}}, {3, {20, 2}}};
  auto top2 = SyscallSeries::parse("top-2").select(calls);
  CHECK(top2 == std::vector<uint32_t>{1, 2});  // the most frequent, the lower nr on a tie
  CHECK(SyscallSeries::parse("top-10").select(calls).size() == 4);
  // Listed calls have a series even before they are made.
  CHECK(listed.select({}).size() == 2);
}
