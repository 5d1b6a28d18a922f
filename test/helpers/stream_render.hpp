#pragma once
// What a stream command writes for `n` events through a formatter of format `f`: the events
// given as Records (direct false), or written field by field into the formatter as the
// commands do (direct true). `write(i, sink)` puts event i's fields. Shared by the unit tests
// and the fuzz_decoders target, which both check that the two give the same bytes.
#include <cstddef>
#include <string>

#include "ctrace/output/formatter.hpp"

namespace ctrace::test {

template <class Write>
std::string render_events(output::Format f, const Schema& schema, size_t n, const Write& write, bool direct) {
  return output::render_to_string(f, [&](output::Formatter& out) {
    out.begin(schema);
    for (size_t i = 0; i < n; ++i) {
      if (direct) {
        write(i, out.start_record());
        out.finish_record();
      } else {
        out.record(collect([&](FieldSink& s) { write(i, s); }));
      }
    }
    out.lost(3);
  });
}

}  // namespace ctrace::test
