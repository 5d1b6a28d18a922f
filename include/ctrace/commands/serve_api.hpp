#pragma once
// The daemon behind `ctrace serve`: its HTTP routes and handlers over the recordings it holds,
// apart from the command (options, BPF, sockets), so that the handlers can serve requests over
// fake recorders (test/fuzz/fuzz_serve_http.cpp).
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>

#include "ctrace/commands/http_server.hpp"
#include "ctrace/enrich/syscall_formats.hpp"
#include "ctrace/output/metrics.hpp"
#include "ctrace/probe/recorder.hpp"
#include "ctrace/target/target.hpp"

namespace ctrace::commands {

// Starts one recording of a resolved target (serve: the kernel's `record` programs). Throws.
using RecorderFactory = std::function<std::unique_ptr<probe::TraceRecorder>(const target::Target&,
                                                                            const probe::RecorderOptions&)>;

struct ServeApiOptions {
  uint64_t default_size = probe::RecorderOptions::kDefaultSize;  // --size, bytes per target
  int string_size = 64;                                          // --string-size
  std::filesystem::path postmortem_dir;                          // --postmortem-dir: /postmortems
};

class ServeApi {
 public:
  virtual ~ServeApi() = default;
  // /list /add /dump /dump-by-name /dump-by-cgroup /close /close-by-name /metrics.
  virtual void routes(SocketHttpServer& server) = 0;
  // What /metrics renders (the daemon's own families); the command adds its other sources.
  virtual output::MetricsExporter& exporter() = 0;
  // Stops every recording; returns how many there were.
  virtual size_t close_all() = 0;
  // A recording the daemon did not start by request (serve --record-all): listed, dumped and
  // closed like the others. Returns the name it got: `name`, or `name` + "." + the cgroup id
  // when a trace has that name already.
  virtual std::string adopt(const std::string& name, const target::Target& target,
                            std::unique_ptr<probe::TraceRecorder> recorder) = 0;
  // Ends an adopted recording (its region is given to another container); false when a client
  // closed it before.
  virtual bool drop(const std::string& name) = 0;
};

// Targets are resolved in `cgroup_fs`; dumps are decoded with `formats`.
std::unique_ptr<ServeApi> make_serve_api(target::CgroupFs cgroup_fs, enrich::SyscallFormats formats,
                                         ServeApiOptions opts, RecorderFactory make_recorder);

}  // namespace ctrace::commands
