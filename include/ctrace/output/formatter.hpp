#pragma once
// Formatter: text | json | graph. A command declares which it supports.
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ctrace/core/model.hpp"

namespace ctrace::output {

enum class Format { Text, Json, Graph };

const char* to_string(Format f);

class Formatter {
 public:
  Formatter() = default;
  Formatter(const Formatter&) = delete;
  Formatter& operator=(const Formatter&) = delete;
  virtual ~Formatter() = default;
  // Called once with the columns before any record or table.
  virtual void begin(const Schema& schema) = 0;
  // One event of a stream (a line).
  virtual void record(const Record& r) = 0;
  // The same, written field by field: a decoder puts the event's fields into the sink that
  // start_record() returns, then finish_record() ends the line. JSON writes them straight into
  // its line; the other formats collect a Record and call record(). "type" is the schema's.
  virtual FieldSink& start_record();
  virtual void finish_record();
  // A whole table (one document in JSON).
  virtual void table(const Table& t) = 0;
  // A chart-able series.
  virtual void series(const Series& s) = 0;
  // A new frame of a live view begins: what follows replaces what was drawn (graph on a
  // terminal, FormatterOptions::live: the screen is cleared); elsewhere nothing.
  virtual void frame() {}
  // Events lost since the last call (n > 0).
  virtual void lost(uint64_t n) = 0;
  // Streams write records unflushed; the event loop flushes once per wake-up (not per event).
  virtual void flush() = 0;
  virtual void end() = 0;

 private:
  Record collected_;
  RecordSink collector_{collected_};
};

struct FormatterOptions {
  int width = 80;     // graph: terminal columns
  int height = 20;    // graph: rows
  bool live = false;  // graph: redraw in place on a terminal (frame())
};

// out: where documents go (stdout).
std::unique_ptr<Formatter> make_formatter(Format f, std::FILE* out, const FormatterOptions& opts = {});

// What `write` renders through a formatter of format `f`, as a string (an HTTP body).
std::string render_to_string(Format f, const std::function<void(Formatter&)>& write);

// Text rendering of one value for a column (used by text and graph): strings escaped with
// escape_text() (ctrace/core/escape.hpp), so that no byte of the traced world reaches a terminal raw.
std::string format_text(const Value& v, const Column& c);

// "1.2 MiB", "512 B": bytes and byte rates in text columns (Column::text).
std::string human_bytes(double bytes);

}  // namespace ctrace::output
