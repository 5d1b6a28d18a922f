/* SPDX-License-Identifier: GPL-2.0 */
/* ctrace stat's BPF programs through their light skeleton (stat.lskel.h, C only; see ctrace/probe/lskel.h).
 */
#ifndef CTRACE_STAT_LSKEL_H
#define CTRACE_STAT_LSKEL_H

#include <stdbool.h>

#include "ctrace/probe/lskel.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The globals of stat.bpf.c, named as there (probe::configure_filter fills the filter). */
struct stat_lbpf_config {
  CTRACE_LSKEL_FILTER_FIELDS
  bool targ_failures_only;
  __s32 targ_hist_nr;
};

CTRACE_LSKEL_DECLARE(stat)
/* between open and load */
void stat_lbpf_configure(struct stat_lbpf* skel, const struct stat_lbpf_config* config);
int stat_lbpf_values_fd(const struct stat_lbpf* skel);
int stat_lbpf_lost_fd(const struct stat_lbpf* skel);

#ifdef __cplusplus
}
#endif

#endif
