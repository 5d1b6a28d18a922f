/* SPDX-License-Identifier: GPL-2.0 */
/* Light skeletons (bpftool gen skeleton -L, NAME.lskel.h): the kernel does the CO-RE
 * relocations and finds the attach BTF ids, so user space never parses the 5 MB vmlinux BTF.
 * bpftool's code only compiles as C: the build (cmake/LightSkeletonGlue.cmake) gives every
 * program NAME.lskel.hpp, its struct for C++ with CTRACE_LSKEL_DECLARE(NAME), and NAME.lskel.c,
 * which defines the functions with CTRACE_LSKEL_DEFINE(NAME). C++ opens them through
 * probe::Skeleton<NAME_lbpf>. */
#ifndef CTRACE_PROBE_LSKEL_H
#define CTRACE_PROBE_LSKEL_H

#include <linux/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Asks the loader for the verifier log of every program it loads (level 0: none). The
 * buffer must outlive the load. Works on any light skeleton: bpf_loader_ctx comes first. */
void ctrace_lskel_set_log(void* skel, char* buf, __u32 size, __u32 level);

#ifdef __cplusplus
}
namespace ctrace::probe {
/* The life-cycle functions of one light skeleton, specialized by CTRACE_LSKEL_DECLARE. */
template <typename T>
struct LightSkeleton;
}  // namespace ctrace::probe
#define CTRACE_LSKEL_TRAITS(NAME)                                       \
  template <>                                                           \
  struct ctrace::probe::LightSkeleton<NAME##_lbpf> {                    \
    static constexpr const char* name = #NAME;                          \
    static NAME##_lbpf* open() { return NAME##_lbpf_open(); }           \
    static int load(NAME##_lbpf* s) { return NAME##_lbpf_load(s); }     \
    static int attach(NAME##_lbpf* s) { return NAME##_lbpf_attach(s); } \
    static void destroy(NAME##_lbpf* s) { NAME##_lbpf_destroy(s); }     \
  };
#define CTRACE_LSKEL_EXTERN_C_BEGIN extern "C" {
#define CTRACE_LSKEL_EXTERN_C_END }
#else
#define CTRACE_LSKEL_TRAITS(NAME)
#define CTRACE_LSKEL_EXTERN_C_BEGIN
#define CTRACE_LSKEL_EXTERN_C_END
#endif

#define CTRACE_LSKEL_DECLARE(NAME)                    \
  CTRACE_LSKEL_EXTERN_C_BEGIN                         \
  struct NAME##_lbpf* NAME##_lbpf_open(void);         \
  int NAME##_lbpf_load(struct NAME##_lbpf* skel);     \
  int NAME##_lbpf_attach(struct NAME##_lbpf* skel);   \
  void NAME##_lbpf_destroy(struct NAME##_lbpf* skel); \
  CTRACE_LSKEL_EXTERN_C_END                           \
  CTRACE_LSKEL_TRAITS(NAME)

/* In the generated C file, after #include "NAME.lskel.h". */
#define CTRACE_LSKEL_DEFINE(NAME)                      \
  struct NAME##_lbpf* NAME##_lbpf_open(void) {         \
    return NAME##_lbpf__open();                        \
  }                                                    \
  int NAME##_lbpf_load(struct NAME##_lbpf* skel) {     \
    return NAME##_lbpf__load(skel);                    \
  }                                                    \
  int NAME##_lbpf_attach(struct NAME##_lbpf* skel) {   \
    return NAME##_lbpf__attach(skel);                  \
  }                                                    \
  void NAME##_lbpf_destroy(struct NAME##_lbpf* skel) { \
    NAME##_lbpf__destroy(skel);                        \
  }

#endif
