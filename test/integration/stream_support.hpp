#pragma once
// Support for commands that stream JSON events: ctrace's stdout goes to a file, not a pipe,
// so that a busy machine (no filter) or a flood cannot block ctrace on a full pipe.
#include <signal.h>

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support.hpp"

namespace ctrace::test {

struct StreamRun {
  int code = -1;
  std::vector<nlohmann::json> events;  // every record whose "type" is the command's
  uint64_t lost = 0;                   // sum of {"type":"lost"} records
  size_t lines = 0;
  std::string err;
};

// Runs `ctrace ARGS -o json > FILE`, lets `workloads` go once it collects, waits for them
// (each must exit 0), stops ctrace with SIGINT and parses FILE.
StreamRun stream_around(const std::vector<std::string>& args, const std::vector<Workload*>& workloads,
                        const std::string& type);
// The same around any action: `during` runs once ctrace collects and returns when it is done.
StreamRun stream_during(const std::vector<std::string>& args, const std::function<void()>& during,
                        const std::string& type);

// Each line of `out` parsed as one JSON document (every line must parse).
std::vector<nlohmann::json> json_lines(const std::string& out);
// A `stat -o json` document's `field` ("count", "errors") per syscall name.
std::map<std::string, uint64_t> syscall_counts(const nlohmann::json& stat, const std::string& field = "count");

// Events of one pid.
std::vector<nlohmann::json> of_pid(const std::vector<nlohmann::json>& events, pid_t pid);
// Events for which `keep` is true.
std::vector<nlohmann::json> where(const std::vector<nlohmann::json>& events,
                                  const std::function<bool(const nlohmann::json&)>& keep);

// A listening TCP socket on 127.0.0.1 or ::1, port chosen by the kernel, inherited by children
// (no CLOEXEC) so that a workload can accept on it. listen=false: bound only, so a connect to
// the port is refused while no one else can take it.
class LoopbackSocket {
 public:
  LoopbackSocket(int family, bool listen);
  ~LoopbackSocket();
  LoopbackSocket(const LoopbackSocket&) = delete;
  LoopbackSocket& operator=(const LoopbackSocket&) = delete;
  int fd() const { return fd_; }
  int port() const { return port_; }
  std::string address() const;  // "127.0.0.1:PORT" or "[::1]:PORT"

 private:
  int family_;
  int fd_ = -1;
  int port_ = 0;
};

}  // namespace ctrace::test
