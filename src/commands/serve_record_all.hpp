#pragma once
// serve --record-all: every container recorded from its first call (probe::RecordAll), each
// adopted by the daemon as a trace named after the container, and a post-mortem written by
// itself when one fails (a task killed by a fatal signal, the init exiting non-zero, an OOM
// kill). Runs its own event loop on a thread of its own: a post-mortem does not wait for dumps
// that HTTP clients asked for.
#include <filesystem>
#include <memory>
#include <string>

#include "ctrace/commands/postmortem.hpp"
#include "ctrace/commands/serve_api.hpp"
#include "ctrace/core/stop.hpp"
#include "ctrace/output/metrics.hpp"
#include "ctrace/probe/record_all.hpp"

namespace ctrace::commands {

struct RecordAllServiceOptions {
  probe::RecordAllOptions recorder;
  std::string match;                    // --record-match GLOB on names ("" : every container)
  std::filesystem::path postmortem_dir;  // "" : no post-mortems
  PostmortemLimits limits;
};

class RecordAllService : public output::MetricsSource {
 public:
  RecordAllService(ServeApi& api, const target::CgroupFs& cgroup_fs, unsigned self_tgid,
                   const enrich::SyscallFormats& formats, RecordAllServiceOptions opts, StopToken& stop);
  ~RecordAllService() override;  // stops the thread
  // Adopts the containers running now, then follows cgroups on a thread until stop.
  void start();
  uint32_t regions() const;

  void collect(prometheus::Registry& registry) override;
  uint64_t lost_events() override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ctrace::commands
