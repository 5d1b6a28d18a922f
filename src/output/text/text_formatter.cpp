#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "ctrace/core/escape.hpp"
#include "ctrace/core/log.hpp"
#include "output/formatters.hpp"

namespace ctrace::output {

namespace {

// Cells are counted on what is printed: format_text() escaped the value already.
size_t cells_of(const std::string& s) {
  return text_cells(s);
}

std::string pad(const std::string& s, size_t width, Align a) {
  size_t n = cells_of(s);
  if (n >= width) return s;
  return a == Align::Left ? s + std::string(width - n, ' ') : std::string(width - n, ' ') + s;
}

// Shortens `s` to `width` cells with "…" where text was cut, between units: never inside an
// escape ("\x1b") or a UTF-8 character.
std::string elide(const std::string& s, size_t width, Elide how) {
  if (how == Elide::None || width < 2 || cells_of(s) <= width) return s;
  static const std::string kMark = "\u2026";
  std::vector<size_t> starts;  // where each unit begins
  for (size_t i = 0; i < s.size(); i += text_unit_size(s, i)) starts.push_back(i);
  auto cells = [&](size_t u) {
    size_t end = u + 1 < starts.size() ? starts[u + 1] : s.size();
    return text_cells(std::string_view(s).substr(starts[u], end - starts[u]));
  };
  size_t keep = width - 1, kept = 0;
  if (how == Elide::End) {
    size_t u = 0;
    for (; u < starts.size() && kept + cells(u) <= keep; ++u) kept += cells(u);
    return s.substr(0, u < starts.size() ? starts[u] : s.size()) + kMark;
  }
  size_t u = starts.size();
  for (; u > 0 && kept + cells(u - 1) <= keep; --u) kept += cells(u - 1);
  return kMark + s.substr(u < starts.size() ? starts[u] : s.size());
}

std::string cell(const Record& r, const Column& c) {
  if (c.text) return escape_text(c.text(r));  // a composite of raw fields: escaped here too
  const Value* v = r.get(c.key);
  return v ? format_text(*v, c) : std::string("---");
}

void write_line(std::FILE* out, const std::string& s) {
  std::fwrite(s.data(), 1, s.size(), out);
  std::fputc('\n', out);
}

}  // namespace

void TextFormatter::begin(const Schema& schema) {
  schema_ = schema;
  header_done_ = false;
}

void TextFormatter::record(const Record& r) {
  if (schema_.layout == Layout::Trace) {
    write_line(out_, trace_text(r));
    return;
  }
  // Streams cannot look ahead: columns take their min_width, the last one is free.
  const auto& cols = schema_.columns;
  if (!header_done_ && schema_.headers) {
    std::string h;
    for (size_t i = 0; i < cols.size(); ++i) {
      bool last = i + 1 == cols.size();
      h += last ? cols[i].header
                : pad(cols[i].header, static_cast<size_t>(cols[i].min_width), cols[i].align) + " ";
    }
    write_line(out_, h);
    header_done_ = true;
  }
  std::string line;
  for (size_t i = 0; i < cols.size(); ++i) {
    bool last = i + 1 == cols.size();
    auto width = static_cast<size_t>(cols[i].min_width);
    auto s = cell(r, cols[i]);
    line += last ? s : pad(elide(s, width, cols[i].elide), width, cols[i].align) + " ";
  }
  write_line(out_, line);
}

void TextFormatter::table(const Table& t) {
  if (t.blank_before) write_line(out_, "");
  // a title may carry a container's name: escaped like a column
  if (!t.title.empty()) write_line(out_, escape_text(t.title));
  // a header sized by no rows at all is squeezed and tells nothing
  if (t.rows.empty() && !t.empty_text.empty())
    write_line(out_, escape_text(t.empty_text));
  else
    rows(t);
  if (t.blank_after) write_line(out_, "");
  std::fflush(out_);
  if (t.lost) spdlog::warn("{} events were lost", t.lost);
}

// The rows under their header, columns as wide as their widest cell; the total; histograms.
void TextFormatter::rows(const Table& t) {
  const auto& cols = schema_.columns;
  std::vector<size_t> width(cols.size());
  std::vector<std::vector<std::string>> cells;
  auto add = [&](const Record& r) {
    std::vector<std::string> row;
    for (size_t i = 0; i < cols.size(); ++i) {
      row.push_back(cell(r, cols[i]));
      width[i] = std::max(width[i], cells_of(row.back()));
    }
    cells.push_back(std::move(row));
  };
  for (size_t i = 0; i < cols.size(); ++i)
    width[i] = std::max({cols[i].header.size(), static_cast<size_t>(cols[i].min_width)});
  for (const auto& r : t.rows) add(r);
  if (t.total) add(*t.total);

  auto render = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t i = 0; i < cols.size(); ++i) {
      if (i) line += ' ';
      bool last = i + 1 == cols.size();
      line += (last && cols[i].align == Align::Left) ? row[i] : pad(row[i], width[i], cols[i].align);
    }
    write_line(out_, line);
  };
  std::vector<std::string> header;
  for (const auto& c : cols) header.push_back(c.header);
  if (schema_.headers) render(header);
  for (size_t i = 0; i < t.rows.size(); ++i) render(cells[i]);
  if (t.total) {
    write_line(out_, "----------------");
    render(cells.back());
  }
  for (const auto& h : t.histograms) {
    write_line(out_, "");
    write_line(out_, fmt::format("{} latency histogram:", escape_text(h.title)));
    for (const auto& l : render_histogram(h)) write_line(out_, l);
  }
}

void TextFormatter::series(const Series& s) {
  if (!s.title.empty()) write_line(out_, escape_text(s.title));
  std::string h = fmt::format("{:>10}", s.x_label);
  for (const auto& [name, _] : s.y) h += " " + pad(escape_text(name), 14, Align::Right);
  write_line(out_, h);
  for (size_t i = 0; i < s.x.size(); ++i) {
    std::string line = fmt::format("{:>10.3f}", s.x[i]);
    for (const auto& [_, ys] : s.y) line += fmt::format(" {:>14.1f}", i < ys.size() ? ys[i] : 0.0);
    write_line(out_, line);
  }
  std::fflush(out_);
}

void TextFormatter::lost(uint64_t n) {
  spdlog::warn("{} events lost: the ring buffer was full (a larger --buffer-pages may help)", n);
}

void TextFormatter::end() {
  std::fflush(out_);
}

std::vector<std::string> render_histogram(const Histogram& h, int bar_width) {
  std::vector<std::string> out;
  uint64_t max = 0;
  for (const auto& b : h.buckets) max = std::max(max, b.count);
  out.push_back(fmt::format("{:>24} : {:<10} distribution", h.unit, "count"));
  for (const auto& b : h.buckets) {
    int stars = max ? static_cast<int>((b.count * static_cast<uint64_t>(bar_width) + max - 1) / max) : 0;
    if (b.count == 0) stars = 0;
    out.push_back(fmt::format("{:>10} -> {:<10} : {:<10} |{:<{}}|", b.low, b.high, b.count,
                              std::string(static_cast<size_t>(stars), '*'), bar_width));
  }
  return out;
}

}  // namespace ctrace::output
