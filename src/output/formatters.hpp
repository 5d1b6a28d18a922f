#pragma once
// The built-in formatters (private to src/output; commands use make_formatter).
#include <cstdio>
#include <string>

#include "ctrace/output/formatter.hpp"

namespace ctrace::output {

class TextFormatter : public Formatter {
 public:
  explicit TextFormatter(std::FILE* out) : out_(out) {}
  void begin(const Schema& schema) override;
  void record(const Record& r) override;
  void table(const Table& t) override;
  void series(const Series& s) override;
  void lost(uint64_t n) override;
  void flush() override { std::fflush(out_); }
  void end() override;

 private:
  void rows(const Table& t);
  std::FILE* out_;
  Schema schema_;
  bool header_done_ = false;
};

class JsonFormatter : public Formatter {
 public:
  explicit JsonFormatter(std::FILE* out) : out_(out) {}
  void begin(const Schema& schema) override { schema_ = schema; }
  void record(const Record& r) override;
  FieldSink& start_record() override;
  void finish_record() override;
  void table(const Table& t) override;
  void series(const Series& s) override;
  void lost(uint64_t n) override;
  void flush() override { std::fflush(out_); }
  void end() override { std::fflush(out_); }

 private:
  // Appends `,"key":value` to the line being written.
  class LineSink final : public FieldSink {
   public:
    explicit LineSink(std::string& out) : out_(out) {}
    using FieldSink::put;
    void put(std::string_view key, int64_t v) override;
    void put(std::string_view key, uint64_t v) override;
    void put(std::string_view key, std::string_view v) override;
    void put(std::string_view key, const Strings& v) override;
    void put(std::string_view key, const Value& v) override;

   private:
    void key(std::string_view k);
    std::string& out_;
  };

  void line(const std::string& s, bool flush = true);
  std::FILE* out_;
  Schema schema_;
  std::string record_buf_;  // reused: no allocation per event once it has grown
  LineSink sink_{record_buf_};
};

class GraphFormatter : public Formatter {
 public:
  GraphFormatter(std::FILE* out, const FormatterOptions& opts) : out_(out), opts_(opts), text_(out) {}
  void begin(const Schema& schema) override;
  void record(const Record& r) override { text_.record(r); }
  void table(const Table& t) override;
  void series(const Series& s) override;
  void frame() override;
  void lost(uint64_t n) override { text_.lost(n); }
  void flush() override { std::fflush(out_); }
  void end() override { std::fflush(out_); }

 private:
  std::FILE* out_;
  FormatterOptions opts_;
  Schema schema_;
  TextFormatter text_;
};

// The strace-style line of a trace-line record (Layout::Trace, output/syscall_trace.hpp).
std::string trace_text(const Record& r);

// Text lines of a log2 histogram, bcc style ("     usecs : count    distribution").
std::vector<std::string> render_histogram(const Histogram& h, int bar_width = 40);

}  // namespace ctrace::output
