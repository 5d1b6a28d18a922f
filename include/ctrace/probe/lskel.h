/* SPDX-License-Identifier: GPL-2.0 */
/* Light skeletons (bpftool gen skeleton -L, NAME.lskel.h): the kernel does the CO-RE
 * relocations and finds the attach BTF ids, so user space never parses the 5 MB vmlinux BTF.
 * The generated code only compiles as C, so each skeleton gets a small C file that defines
 * its functions with CTRACE_LSKEL_DEFINE(NAME) plus a configure function for its own globals,
 * and a header that declares them with CTRACE_LSKEL_DECLARE(NAME) for C++
 * (probe::Skeleton, CTRACE_LSKEL_OPS). */
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
#endif

#define CTRACE_LSKEL_DECLARE(NAME)                                                      \
  struct NAME##_lbpf;                                                                   \
  struct NAME##_lbpf* NAME##_lbpf_open(void);                                           \
  int NAME##_lbpf_load(struct NAME##_lbpf* skel);                                       \
  int NAME##_lbpf_attach(struct NAME##_lbpf* skel);                                     \
  void NAME##_lbpf_destroy(struct NAME##_lbpf* skel);                                   \
  /* after load: the running programs follow another cgroup (a re-created container) */ \
  void NAME##_lbpf_retarget(struct NAME##_lbpf* skel, __u64 cgroup_id, __u32 level);

/* In the skeleton's C file, after #include "NAME.lskel.h". */
#define CTRACE_LSKEL_DEFINE(NAME)                                                         \
  struct NAME##_lbpf* NAME##_lbpf_open(void) {                                            \
    return NAME##_lbpf__open();                                                           \
  }                                                                                       \
  int NAME##_lbpf_load(struct NAME##_lbpf* skel) {                                        \
    return NAME##_lbpf__load(skel);                                                       \
  }                                                                                       \
  int NAME##_lbpf_attach(struct NAME##_lbpf* skel) {                                      \
    return NAME##_lbpf__attach(skel);                                                     \
  }                                                                                       \
  void NAME##_lbpf_destroy(struct NAME##_lbpf* skel) {                                    \
    NAME##_lbpf__destroy(skel);                                                           \
  }                                                                                       \
  void NAME##_lbpf_retarget(struct NAME##_lbpf* skel, __u64 cgroup_id, __u32 level) {     \
    /* after load, bss is the map's own memory; level first: a program that reads the new \
     * level with the old id matches nothing */                                           \
    skel->bss->targ_cgroup_level = level;                                                 \
    skel->bss->targ_cgroup_id = cgroup_id;                                                \
  }

/* Writes common.bpf.h's filter globals from a config struct that names them the same way
 * (probe::configure_filter fills it). */
#define CTRACE_LSKEL_SET_FILTER(skel, c)                      \
  do {                                                        \
    (skel)->rodata->targ_filter_mode = (c)->targ_filter_mode; \
    (skel)->rodata->targ_uts_inum = (c)->targ_uts_inum;       \
    (skel)->rodata->targ_self_tgid = (c)->targ_self_tgid;     \
    (skel)->bss->targ_cgroup_id = (c)->targ_cgroup_id;        \
    (skel)->bss->targ_cgroup_level = (c)->targ_cgroup_level;  \
  } while (0)

/* The filter fields of every config struct, in the order of common.bpf.h. */
#define CTRACE_LSKEL_FILTER_FIELDS \
  __u32 targ_filter_mode;          \
  __u64 targ_cgroup_id;            \
  __u32 targ_cgroup_level;         \
  __u32 targ_uts_inum;             \
  __u32 targ_self_tgid;

#endif
