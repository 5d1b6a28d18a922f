// Parsing of what names a target, without writing anything:
//   - cgroup directory names and paths: match_cgroup_dir, container_id_of, qos_of_path, and the
//     resolver's path patterns (lookup_path, --no-names) and queries (find) on the fixture tree;
//   - the files ctrace reads: a mounts file (find_cgroup2_mount, mount_of), /proc/PID/cgroup
//     (cgroup_of_pid, and resolve() of -p and -c on a fake CgroupFs), a runc state.json,
//     Docker's config.v2.json, a runtime API's HTTP response (chunked or not), OCI annotations.
// Input: one byte picks the parser, the rest is its text (files are written to a temp dir).
#include <fuzzer/FuzzedDataProvider.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "ctrace/core/cgroup.hpp"
#include "ctrace/core/error.hpp"
#include "ctrace/enrich/container_info.hpp"
#include "ctrace/enrich/unix_http.hpp"
#include "ctrace/target/target.hpp"
#include "enrich/container_sources.hpp"

namespace fs = std::filesystem;
using namespace ctrace;

namespace {

const fs::path kRoot = fs::path(CTRACE_TEST_FIXTURES) / "containers";
const fs::path kMount = kRoot / "sys/fs/cgroup";

struct Scratch {
  fs::path dir;
  Scratch() {
    char tmpl[] = "/tmp/ctrace-fuzz-XXXXXX";
    if (!::mkdtemp(tmpl)) std::abort();
    dir = tmpl;
    fs::create_directories(dir / "proc/1");
    std::ofstream(dir / "mounts") << "cgroup2 " << kMount.string() << " cgroup2 rw 0 0\n";
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  fs::path write(const std::string& name, const std::string& text) const {
    fs::path p = dir / name;
    std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
    return p;
  }
};

enrich::RuntimePaths fixture_paths() {
  enrich::RuntimePaths p;
  p.root = kRoot;
  p.docker_socket = "run/no-docker.sock";  // no sockets: files only
  p.podman_socket = "run/no-podman.sock";
  return p;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Scratch scratch;
  static enrich::ContainerResolver paths_only(kMount, fixture_paths(), false);
  static enrich::ContainerResolver resolver(kMount, fixture_paths(), true);
  FuzzedDataProvider in(data, size);
  int which = in.ConsumeIntegralInRange<int>(0, 9);
  try {
    switch (which) {
      case 0: {  // one directory name under its parent's
        std::string parent = in.ConsumeRandomLengthString(80);
        std::string name = in.ConsumeRemainingBytesAsString();
        enrich::detail::match_cgroup_dir(name, parent);
        enrich::container_id_of(name);
        enrich::detail::qos_of_path(parent + "/" + name);
        break;
      }
      case 1: {  // a cgroup path, as an event's cgroup or a state file gives it
        std::string path = in.ConsumeRemainingBytesAsString();
        paths_only.lookup_path(path);
        enrich::detail::qos_of_path(path);
        break;
      }
      case 2: {  // --container QUERY over the fixture tree's containers
        std::string query = in.ConsumeRemainingBytesAsString();
        resolver.find(query);
        break;
      }
      case 3: {  // a mounts file
        auto mounts = scratch.write("mounts-fuzz", in.ConsumeRandomLengthString(2048));
        std::string path = in.ConsumeRemainingBytesAsString();
        try {
          cgroup::find_cgroup2_mount(mounts);
        } catch (const Error&) {
        }
        cgroup::mount_of(path, mounts);
        cgroup::fs_type_of(path, mounts);
        break;
      }
      case 4: {  // /proc/PID/cgroup, then -p PID resolved from it
        scratch.write("proc/1/cgroup", in.ConsumeRemainingBytesAsString());
        cgroup::cgroup_of_pid(1, scratch.dir / "proc");
        target::CgroupFs cfs{kMount, scratch.dir / "mounts", scratch.dir / "proc"};
        target::TargetOptions opts;
        opts.pid = 1;
        target::resolve(opts, cfs);
        break;
      }
      case 5: {  // -c CGDIR: relative, absolute, "..", symlinks out of the mount
        target::CgroupFs cfs{kMount, scratch.dir / "mounts", scratch.dir / "proc"};
        target::TargetOptions opts;
        opts.cgroup = in.ConsumeRemainingBytesAsString();
        opts.exact = size & 1;
        target::resolve(opts, cfs);
        break;
      }
      case 6: {  // a runc state.json (its bundle's config.json is read from the fixture root)
        auto state = scratch.write("state.json", in.ConsumeRemainingBytesAsString());
        enrich::detail::read_runc_state(state, "runc", kMount, kRoot);
        break;
      }
      case 7: {  // Docker's config.v2.json or its API's answer
        enrich::ContainerInfo info;
        enrich::detail::apply_docker_json(info, in.ConsumeRemainingBytesAsString());
        info.to_object();
        break;
      }
      case 8: {  // what a runtime's API socket answered
        auto r = enrich::parse_http_response(in.ConsumeRemainingBytesAsString());
        if (r && r->body.size() > size) std::abort();  // a body is never larger than what came
        break;
      }
      default: {  // OCI annotations / Docker labels
        std::map<std::string, std::string> annotations;
        while (in.remaining_bytes() > 0 && annotations.size() < 16) {
          std::string k = in.ConsumeRandomLengthString(64);
          annotations[k] = in.ConsumeRandomLengthString(64);
        }
        enrich::ContainerInfo info;
        enrich::detail::apply_annotations(info, annotations);
        info.display_name();
        break;
      }
    }
  } catch (const UsageError&) {
    // a bad -c / -p: one line for the user, the contract
  } catch (const Error&) {
  }
  return 0;
}
