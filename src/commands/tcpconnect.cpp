// ctrace tcpconnect: TCP connection attempts of containers, with addresses, ports and result.
#include "commands/tcpconnect.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/socket.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <map>
#include <tuple>

#include "ctrace/commands/command.hpp"
#include "ctrace/enrich/names.hpp"
#include "ctrace/enrich/sockaddr.hpp"
#include "ctrace/probe/percpu.hpp"
#include "ctrace/probe/runner.hpp"
#include "tcpconnect.lskel.hpp"

namespace ctrace::commands {

namespace {

constexpr const char* kExamples = R"(EXAMPLES:
  ctrace tcpconnect                               # every container (and the host)
  ctrace tcpconnect --container web -o json       # one container, one JSON object per line
  ctrace tcpconnect --count -d 10                 # connects per container and destination
  ctrace tcpconnect -C -- curl -s http://127.0.0.1:8080/

RET is what the syscall that started the connection returned: 0 (connected), -ECONNREFUSED,
-ETIMEDOUT... (a blocking socket), -EINPROGRESS (a non-blocking one). RESULT is how the attempt
ended: ok, refused, timeout, reset, closed (by its program before an answer), other (ERR in
JSON), unknown; a non-blocking connect's line comes when its socket leaves SYN_SENT (its answer),
or at the end for one still waiting then. LAT(ms): from the SYN to that outcome. Only attempts
that sent a SYN are shown.)";

constexpr const char* kOutcomes[] = {"ok", "refused", "timeout", "reset", "closed", "other", "unknown"};
static_assert(std::size(kOutcomes) == TCPCONNECT_UNKNOWN + 1);

// --count: one row per container and destination.
struct CountKey {
  std::string container;
  int ip;
  std::string daddr;
  uint64_t dport;
  auto operator<=>(const CountKey&) const = default;
};
struct CountValue {
  Value container;  // as in events: a number for cgroup ids
  uint64_t connects = 0, failed = 0;
};

std::string text_of(const Value* v) {
  return v ? output::format_text(*v, Column{}) : std::string();
}

class TcpConnectCommand final : public Command {
 public:
  CLI::App* setup(CLI::App& root) override {
    auto* app = root.add_subcommand("tcpconnect", "TCP connection attempts of containers");
    app->footer(kExamples);
    add_stream_options(*app, opts_);
    app->add_flag("--count", count_,
                  "print connects per container and destination at the end instead of events");
    return app;
  }

  int run(const GlobalOptions&) override {
    probe::Runner run(opts_.target, opts_.duration);
    auto& skel = run.load<tcpconnect_lbpf>([&](tcpconnect_lbpf* s) {
      s->maps.tcpconnect_events.max_entries = ring_buffer_bytes(opts_.buffer_pages);
    });
    EventNames names(run, opts_);
    const TaskFields* task = &names.task();
    auto out = output::make_formatter(opts_.format, stream_stdout());
    out->begin(count_ ? count_schema() : schema());
    const std::string container_key = container_column(opts_.container_by).key;
    std::map<CountKey, CountValue> counts;
    probe::RingBuffer::Handler handle = [&](const void* data, size_t size) {
      if (size < sizeof(tcpconnect_event)) return;
      const auto* event = static_cast<const tcpconnect_event*>(data);
      if (!count_) {
        decode_tcpconnect(*event, task, out->start_record());
        return out->finish_record();
      }
      Record r = decode_tcpconnect(*event, task);
      CountKey k{text_of(r.get(container_key)), event->family == AF_INET6 ? 6 : 4, text_of(r.get("daddr")),
                 event->dport};
      auto& v = counts[k];
      if (const auto* c = r.get(container_key)) v.container = *c;
      ++v.connects;
      if (event->outcome != TCPCONNECT_OK) ++v.failed;
    };
    int code =
        stream_events(run, skel.maps.tcpconnect_events.map_fd, skel.maps.tcpconnect_lost.map_fd, *out, handle,
                      count_ ? "Collecting events... Ctrl-C to stop and show counts"
                             : "Collecting events... Ctrl-C to stop");
    // the non-blocking connects still waiting for an answer: their outcome is unknown
    int inflight = skel.maps.tcpconnect_inflight.map_fd;
    if (run.stop().reason() != StopReason::OutputClosed)
      probe::for_each_key<uint64_t>(inflight, [&](const uint64_t& sk) {
        tcpconnect_event e;
        if (bpf_map_lookup_elem(inflight, &sk, &e) == 0) handle(&e, sizeof e);
      });
    if (count_) out->table(count_table(counts, container_key, run.target().to_object()));
    out->end();
    return code;
  }

 private:
  Schema schema() const {
    Schema s;
    s.type = "tcpconnect";
    s.columns = {
        time_column(opts_.precision),
        container_column(opts_.container_by, "CONTAINER"),
        {"pid", "PID", Align::Left, -1, "", 7},
        {"comm", "COMM", Align::Left, -1, "", 16},
        {"ip", "IP", Align::Left, -1, "", 2},
        {"saddr", "SADDR", Align::Left, -1, "", 16},
        {"sport", "SPORT", Align::Left, -1, "", 6},
        {"daddr", "DADDR", Align::Left, -1, "", 16},
        {"dport", "DPORT", Align::Left, -1, "", 6},
        {"result", "RET", Align::Left, -1, "", 13},
        {"outcome", "RESULT", Align::Left, -1, "", 8},
        {"latency_ms", "LAT(ms)", Align::Right, 3},
    };
    return s;
  }

  Schema count_schema() const {
    Schema s;
    s.type = "tcpconnect";
    s.columns = {
        container_column(opts_.container_by, "CONTAINER"),
        {"ip", "IP", Align::Left},
        {"daddr", "DADDR", Align::Left},
        {"dport", "DPORT", Align::Right},
        {"connects", "CONNECTS", Align::Right},
        {"failed", "FAILED", Align::Right},
    };
    return s;
  }

  static Table count_table(const std::map<CountKey, CountValue>& counts, const std::string& container_key,
                           Object target) {
    Table t;
    t.rows_key = "connects";
    t.label_key = "daddr";
    t.bar_key = "connects";
    t.meta.emplace_back("target", std::move(target));
    for (const auto& [k, v] : counts) {
      Record r;
      r.set(container_key, v.container).set("ip", k.ip).set("daddr", k.daddr).set("dport", k.dport);
      r.set("connects", v.connects).set("failed", v.failed);
      t.rows.push_back(std::move(r));
    }
    return t;
  }

  StreamOptions opts_;
  bool count_ = false;
};

}  // namespace

void decode_tcpconnect(const tcpconnect_event& e, const TaskFields* task, FieldSink& out) {
  if (task) task->add(out, e.task);
  int family = e.family == AF_INET6 ? AF_INET6 : AF_INET;
  out.put("ip", family == AF_INET6 ? 6 : 4);
  out.put("saddr", enrich::ip_text(family, e.saddr));
  out.put("sport", e.sport);
  out.put("daddr", enrich::ip_text(family, e.daddr));
  out.put("dport", e.dport);
  out.put("ret", static_cast<int64_t>(e.ret));
  out.put("result", ret_text(e.ret));
  out.put("outcome", kOutcomes[std::min<uint32_t>(e.outcome, TCPCONNECT_UNKNOWN)]);
  if (e.err) out.put("err", enrich::errno_name(e.err));
  if (e.start_ns && e.outcome_ns >= e.start_ns && e.outcome != TCPCONNECT_UNKNOWN)
    out.put("latency_ms", Value(static_cast<double>(e.outcome_ns - e.start_ns) / 1e6));
  else
    out.put("latency_ms", Value());
}

std::unique_ptr<Command> make_tcpconnect() {
  return std::make_unique<TcpConnectCommand>();
}

}  // namespace ctrace::commands
