/* SPDX-License-Identifier: GPL-2.0 */
/* ctrace openclose's BPF programs through their light skeleton (openclose.lskel.h, C only; see
 * ctrace/probe/lskel.h). */
#ifndef CTRACE_OPENCLOSE_LSKEL_H
#define CTRACE_OPENCLOSE_LSKEL_H

#include <linux/types.h> /* before the shared struct headers, which use __u32 */
#include <stdbool.h>

#include "bpf/openclose.h"
#include "ctrace/probe/lskel.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The globals of openclose.bpf.c, named as there (probe::configure_filter fills the filter). */
struct openclose_lbpf_config {
  CTRACE_LSKEL_FILTER_FIELDS
  __s32 targ_nrs[OC_KINDS];
  __u32 targ_host_uts_inum;
  bool targ_failed_only;
  __u32 ring_bytes; /* the events ring buffer, a power of two pages */
};

CTRACE_LSKEL_DECLARE(openclose)
/* between open and load */
void openclose_lbpf_configure(struct openclose_lbpf* skel, const struct openclose_lbpf_config* config);
int openclose_lbpf_events_fd(const struct openclose_lbpf* skel);
int openclose_lbpf_lost_fd(const struct openclose_lbpf* skel);

#ifdef __cplusplus
}
#endif

#endif
