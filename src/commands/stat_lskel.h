/* SPDX-License-Identifier: GPL-2.0 */
/* ctrace stat's BPF programs through their light skeleton (stat.lskel.h, C only):
 * no vmlinux BTF parsed in user space, so ctrace starts in a few ms with a small RSS. */
#ifndef CTRACE_STAT_LSKEL_H
#define CTRACE_STAT_LSKEL_H

#include <linux/types.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

struct stat_lbpf;

/* The filter globals of stat.bpf.c (common.bpf.h's filter + stat's own), named as
 * there so that ctrace::probe::configure_filter() fills them. */
struct stat_lbpf_config {
  __u32 targ_filter_mode;
  __u64 targ_cgroup_id;
  __u32 targ_cgroup_level;
  __u32 targ_uts_inum;
  __u32 targ_self_tgid;
  bool targ_failures_only;
  __s32 targ_hist_nr;
};

struct stat_lbpf* stat_lbpf_open(void);
/* between open and load */
void stat_lbpf_configure(struct stat_lbpf* skel, const struct stat_lbpf_config* config);
int stat_lbpf_load(struct stat_lbpf* skel);
/* after load: a new target cgroup for the running programs (a followed container) */
void stat_lbpf_retarget(struct stat_lbpf* skel, __u64 cgroup_id, __u32 level);
int stat_lbpf_attach(struct stat_lbpf* skel);
void stat_lbpf_destroy(struct stat_lbpf* skel);
int stat_lbpf_values_fd(const struct stat_lbpf* skel);
int stat_lbpf_lost_fd(const struct stat_lbpf* skel);

#ifdef __cplusplus
}
#endif

#endif
