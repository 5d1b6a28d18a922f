/* SPDX-License-Identifier: GPL-2.0 */
/* ctrace hostview's BPF programs through their light skeleton (hostview.lskel.h, C only; see
 * ctrace/probe/lskel.h). */
#ifndef CTRACE_HOSTVIEW_LSKEL_H
#define CTRACE_HOSTVIEW_LSKEL_H

#include <stdbool.h>

#include "ctrace/probe/lskel.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The globals of hostview.bpf.c, named as there (probe::configure_filter fills the filter). */
struct hostview_lbpf_config {
  CTRACE_LSKEL_FILTER_FIELDS
  __s32 targ_nr_open, targ_nr_creat, targ_nr_openat, targ_nr_openat2;
  __s32 targ_nr_unshare, targ_nr_setns, targ_nr_clone, targ_nr_clone3;
};

CTRACE_LSKEL_DECLARE(hostview)
/* between open and load */
void hostview_lbpf_configure(struct hostview_lbpf* skel, const struct hostview_lbpf_config* config);
int hostview_lbpf_counters_fd(const struct hostview_lbpf* skel);
int hostview_lbpf_syscalls_fd(const struct hostview_lbpf* skel);
int hostview_lbpf_events_fd(const struct hostview_lbpf* skel);
int hostview_lbpf_lost_fd(const struct hostview_lbpf* skel);
int hostview_lbpf_dropped_fd(const struct hostview_lbpf* skel);

#ifdef __cplusplus
}
#endif

#endif
