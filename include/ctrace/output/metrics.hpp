#pragma once
// The Prometheus exporter: every metric family ctrace may expose is declared once in
// metric_catalog() (`ctrace serve --list-metrics`, the docs and the deploy checks read it),
// and sources fill families of that catalog into a registry built per scrape, so that
// series of closed traces or removed containers disappear with them.
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ctrace::output {

struct MetricInfo {
  std::string_view name;
  std::string_view type;    // counter | gauge | histogram
  std::string_view labels;  // comma-separated label names, empty when none
  std::string_view help;
  // Sources that fill the family; "containers" is the per-container map reader (ctrace top's),
  // declared here so that dashboards and alerts are checked against the same names.
  std::string_view source;
};

std::span<const MetricInfo> metric_catalog();
// Throws std::logic_error for a name missing from the catalog or of another type: a source
// cannot expose an undeclared family.
const MetricInfo& catalog_entry(std::string_view name, std::string_view type);

prometheus::Family<prometheus::Counter>& counter_family(prometheus::Registry& r, std::string_view name);
prometheus::Family<prometheus::Gauge>& gauge_family(prometheus::Registry& r, std::string_view name);
prometheus::Family<prometheus::Histogram>& histogram_family(prometheus::Registry& r, std::string_view name);

// Something the exporter reads on each scrape (never per event).
class MetricsSource {
 public:
  virtual ~MetricsSource() = default;
  // Adds the current values; called under no lock of the exporter, possibly from several
  // connection threads at once.
  virtual void collect(prometheus::Registry& registry) = 0;
  // Events this source failed to record since it started; summed into ctrace_lost_events_total.
  virtual uint64_t lost_events() { return 0; }
};

class MetricsExporter {
 public:
  // `source` must outlive the exporter's last render().
  void add(MetricsSource& source);
  // The text exposition format 0.0.4 of ctrace_up, ctrace_lost_events_total and every source;
  // label values escaped with escape_text() (ctrace/core/escape.hpp).
  std::string render();

 private:
  std::mutex mutex_;
  std::vector<MetricsSource*> sources_;
};

inline constexpr const char* kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace ctrace::output
