/* SPDX-License-Identifier: GPL-2.0 */
/* ctrace unshare's BPF programs through their light skeleton (unshare.lskel.h, C only; see
 * ctrace/probe/lskel.h). */
#ifndef CTRACE_UNSHARE_LSKEL_H
#define CTRACE_UNSHARE_LSKEL_H

#include <stdbool.h>

#include "ctrace/probe/lskel.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The globals of unshare.bpf.c, named as there (probe::configure_filter fills the filter). */
struct unshare_lbpf_config {
  CTRACE_LSKEL_FILTER_FIELDS
  __s32 targ_nr_unshare, targ_nr_setns, targ_nr_clone, targ_nr_clone3;
  bool targ_failed, targ_failed_only;
  __u32 ring_bytes; /* the events ring buffer, a power of two pages */
};

CTRACE_LSKEL_DECLARE(unshare)
/* between open and load */
void unshare_lbpf_configure(struct unshare_lbpf* skel, const struct unshare_lbpf_config* config);
int unshare_lbpf_events_fd(const struct unshare_lbpf* skel);
int unshare_lbpf_lost_fd(const struct unshare_lbpf* skel);

#ifdef __cplusplus
}
#endif

#endif
