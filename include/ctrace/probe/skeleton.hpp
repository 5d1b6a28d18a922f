#pragma once
// Skeleton<T>: move-only RAII over a bpftool light skeleton (T = NAME_lbpf from the generated
// NAME.lskel.hpp): open -> configure globals and map sizes -> load -> attach.
#include <cerrno>
#include <functional>
#include <string>
#include <utility>

#include "bpf/common.h"
#include "ctrace/core/error.hpp"
#include "ctrace/probe/lskel.h"
#include "ctrace/target/target.hpp"

namespace ctrace::probe {

// A BPF failure with a hint for the user (exit code 1).
class BpfError : public Error {
 public:
  using Error::Error;
};

// Throws BpfError when BPF cannot work here at all: no BTF, missing privileges.
void check_bpf_available();

// "what failed: why. what to do" for a libbpf error code (negative errno).
[[noreturn]] void throw_bpf_error(const std::string& what, int err);

// Whether a failed load should be retried for the verifier's log (-v).
bool verifier_log_enabled();

// Shows the verifier's log (at -v) of a light skeleton whose load failed: its loader keeps
// nothing after a failure, so a fresh copy is opened, configured and loaded again with the
// log on. Only on failure: a log on every load would cost start-up time.
void log_verifier_output(void* fresh_skel, const std::function<int()>& load, const std::string& name);

template <typename T>
class Skeleton {
  using Ops = LightSkeleton<T>;
  static constexpr int kLoadAttempts = 5;  // libbpf's PROG_LOAD_ATTEMPTS

 public:
  Skeleton() { obj_ = open(); }
  Skeleton(const Skeleton&) = delete;
  Skeleton& operator=(const Skeleton&) = delete;
  Skeleton(Skeleton&& o) noexcept : obj_(std::exchange(o.obj_, nullptr)) {}
  Skeleton& operator=(Skeleton&&) = delete;
  ~Skeleton() {
    if (obj_) Ops::destroy(obj_);
  }

  T* operator->() const { return obj_; }
  T* get() const { return obj_; }

  // `configure(T*)` sets the globals and map sizes before load (again on the logged retry).
  template <typename Configure>
  void load(Configure&& configure) {
    configure(obj_);
    int err = Ops::load(obj_);
    // The verifier gives up with EAGAIN when a signal is pending (a SIGWINCH as a terminal is
    // resized, a SIGCHLD): libbpf's bpf_prog_load() retries then, a light skeleton's loader
    // does not. Again from a fresh copy, as libbpf does, a few times.
    for (int attempt = 1; (err == -EAGAIN || err == EAGAIN) && attempt < kLoadAttempts; ++attempt) {
      Ops::destroy(std::exchange(obj_, nullptr));
      obj_ = open();
      configure(obj_);
      err = Ops::load(obj_);
    }
    if (!err) return;
    if (verifier_log_enabled()) {
      T* fresh = open();
      configure(fresh);
      log_verifier_output(
          fresh, [&] { return Ops::load(fresh); }, Ops::name);
      Ops::destroy(fresh);
    }
    throw_bpf_error(std::string("loading BPF programs of ") + Ops::name, err);
  }
  void attach() {
    if (int err = Ops::attach(obj_))
      throw_bpf_error(std::string("attaching BPF programs of ") + Ops::name, err);
  }

 private:
  static T* open() {
    errno = 0;
    T* obj = Ops::open();
    if (!obj) throw_bpf_error(std::string("opening BPF object ") + Ops::name, -(errno ? errno : EINVAL));
    return obj;
  }

  T* obj_ = nullptr;
};

// Points the running programs' filter (common.bpf.h's targ_cgroup_id/level, in .bss) at
// another cgroup: a followed container that was re-created. Also used before load.
template <typename T>
void retarget(T* skel, const target::Target& t) {
  // level first: a program that reads the new level with the old id matches nothing
  skel->bss->targ_cgroup_level = t.level;
  skel->bss->targ_cgroup_id = t.cgroup_id;
}

// Sets the container filter globals every program gets from common.bpf.h (the one list of
// them); between open and load. The mode is read-only (the verifier prunes the other modes);
// the cgroup is in .bss (see retarget).
template <typename T>
void configure_filter(T* skel, const target::Target& t, unsigned self_tgid) {
  auto* ro = skel->rodata;
  switch (t.mode) {
    case target::Mode::All:
      ro->targ_filter_mode = CTRACE_FILTER_NONE;
      break;
    case target::Mode::Cgroup:
      ro->targ_filter_mode = t.exact ? CTRACE_FILTER_CGROUP_EXACT : CTRACE_FILTER_CGROUP_SUBTREE;
      retarget(skel, t);
      break;
    case target::Mode::Uts:
      ro->targ_filter_mode = CTRACE_FILTER_UTS;
      ro->targ_uts_inum = t.uts_inum;
      break;
  }
  ro->targ_self_tgid = self_tgid;
}

}  // namespace ctrace::probe
