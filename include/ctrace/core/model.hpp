#pragma once
// The data model every area may use: Value, Record (a decoded event or a table row: ordered
// named fields), the FieldSink decoders write into, and what a command declares of its output
// (Schema, Column, Table, Histogram, Series). Formatters (output/) render these and know nothing
// of BPF, names or flags; probe, enrich and target fill them without depending on the renderers.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace ctrace {

struct Value;
using Object = std::vector<std::pair<std::string, Value>>;
using Strings = std::vector<std::string>;
using Array = std::vector<Value>;

// A number that text spells its own way (a pointer "0x7ffd5c3e0f50" or "NULL", a flags word
// in hex, a time since the start) while JSON keeps the number.
struct Spelled {
  uint64_t number = 0;
  std::string text;
};

struct Value {
  std::variant<std::monostate, bool, int64_t, uint64_t, double, std::string, Strings, Object, Array, Spelled>
      v;

  Value() = default;
  Value(bool b) : v(b) {}
  Value(int i) : v(int64_t{i}) {}
  Value(long i) : v(int64_t{i}) {}
  Value(long long i) : v(int64_t{i}) {}
  Value(unsigned u) : v(uint64_t{u}) {}
  Value(unsigned long u) : v(uint64_t{u}) {}
  Value(unsigned long long u) : v(uint64_t{u}) {}
  Value(double d) : v(d) {}
  Value(const char* s) : v(std::string(s)) {}
  Value(std::string s) : v(std::move(s)) {}
  Value(Strings s) : v(std::move(s)) {}
  Value(Object o) : v(std::move(o)) {}
  Value(Array a) : v(std::move(a)) {}
  Value(Spelled s) : v(std::move(s)) {}

  bool is_null() const { return std::holds_alternative<std::monostate>(v); }
};

// Text rendering of one column.
enum class Align { Left, Right };

// A streamed value wider than its column is shortened so that the columns after it stay
// aligned (JSON keeps it whole): at the end ("web-frontend-pr…") or at the start, where a
// path keeps its leaf ("…/docker-3f2a.scope").
enum class Elide { None, End, Start };

struct Column {
  std::string key;     // field name in Records and JSON
  std::string header;  // text header
  Align align = Align::Left;
  int precision = -1;         // digits after the point for doubles (text only)
  std::string suffix;         // appended in text ("%")
  int min_width = 0;          // text: streaming formatters cannot look ahead
  bool hex = false;           // text: unsigned integers as 0x%08x (flags words)
  Elide elide = Elide::None;  // text streams: shorten values wider than min_width
  // Text: the cell when it is not the field `key` as is (a composite of fields, a unit, "-"
  // for null); JSON ignores it and writes the record's fields. It returns raw text: the text
  // formatter escapes it (escape_text) as it does every string value.
  std::function<std::string(const struct Record&)> text;
};

// How text writes a stream's records: aligned columns under a header, or strace-style
// trace lines ("syscall" records, "dump" summaries as "# " lines).
enum class Layout { Columns, Trace };

// The columns a command prints, in order, and the JSON "type" of its records.
struct Schema {
  std::string type;
  std::vector<Column> columns;
  Layout layout = Layout::Columns;
  bool headers = true;  // text: the line of column headers (none for `ps -q`)
};

struct Record {
  Object fields;

  Record& set(std::string key, Value v);
  const Value* get(const std::string& key) const;
  // For Column::text, which returns raw text (the formatter escapes it): a string field as is,
  // an integer in decimal, "" when absent or of another type; a bool field (false when absent).
  std::string raw(const std::string& key) const;
  bool flag(const std::string& key) const;
};

// Where a decoder writes one event's fields, in order, each key once: a Record (RecordSink), or
// the line of a JSON stream directly (Formatter::start_record): no Record is built and nothing
// is allocated per event, which is what lets a stream keep up with a flood.
class FieldSink {
 public:
  virtual void put(std::string_view key, int64_t v) = 0;
  virtual void put(std::string_view key, uint64_t v) = 0;
  virtual void put(std::string_view key, std::string_view v) = 0;
  virtual void put(std::string_view key, const Strings& v) = 0;
  virtual void put(std::string_view key, const Value& v) = 0;  // anything else (null)
  void put(std::string_view key, bool v) { put(key, Value(v)); }
  void put(std::string_view key, int v) { put(key, int64_t{v}); }
  void put(std::string_view key, unsigned v) { put(key, uint64_t{v}); }
  void put(std::string_view key, long long v) { put(key, static_cast<int64_t>(v)); }            // __s64
  void put(std::string_view key, unsigned long long v) { put(key, static_cast<uint64_t>(v)); }  // __u64
  void put(std::string_view key, const char* v) { put(key, std::string_view(v)); }
  void put(std::string_view key, const std::string& v) { put(key, std::string_view(v)); }

 protected:
  ~FieldSink() = default;
};

// A FieldSink that fills a Record (the text formatter's input, and the decoders' tests).
class RecordSink final : public FieldSink {
 public:
  explicit RecordSink(Record& r) : r_(r) {}
  using FieldSink::put;
  void put(std::string_view key, int64_t v) override { r_.set(std::string(key), v); }
  void put(std::string_view key, uint64_t v) override { r_.set(std::string(key), v); }
  void put(std::string_view key, std::string_view v) override { r_.set(std::string(key), std::string(v)); }
  void put(std::string_view key, const Strings& v) override { r_.set(std::string(key), v); }
  void put(std::string_view key, const Value& v) override { r_.set(std::string(key), v); }

 private:
  Record& r_;
};

// The Record that `write(FieldSink&)` fills.
template <class Write>
Record collect(Write&& write) {
  Record r;
  RecordSink sink(r);
  write(static_cast<FieldSink&>(sink));
  return r;
}

// A log2 histogram: bucket i counts values in [low, high].
struct Histogram {
  std::string title;  // "read"
  std::string unit;   // "usecs"
  struct Bucket {
    uint64_t low;
    uint64_t high;
    uint64_t count;
  };
  std::vector<Bucket> buckets;  // non-empty range only, in order
};

// A table: rows plus an optional total row and document-level fields (JSON only).
struct Table {
  std::string rows_key = "rows";  // JSON array name ("syscalls")
  std::vector<Record> rows;
  std::optional<Record> total;
  Object meta;                        // e.g. target, duration_ms (JSON top level, before rows)
  std::vector<Histogram> histograms;  // printed after the table
  uint64_t lost = 0;
  std::string bar_key;        // graph: which column the bar chart shows
  std::string label_key;      // graph: which column labels the bars
  std::string title;          // text and graph: a line above the table (e.g. its time)
  std::string empty_text;     // text and graph: printed instead of a table without rows
  bool blank_before = false;  // text: an empty line before the title (a section of a report)
  bool blank_after = false;   // text: an empty line after the table (a table per interval)
  bool stream_rows = false;   // JSON: one line per row (a stream of records), no document
};

// A time series for charts: one x per point, one or more named y series.
struct Series {
  std::string x_label;  // "s"
  std::vector<double> x;
  std::vector<std::pair<std::string, std::vector<double>>> y;
  std::string title;  // text and graph: a line above the chart (whose it is)
};

}  // namespace ctrace
