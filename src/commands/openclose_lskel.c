// SPDX-License-Identifier: GPL-2.0
/* The C side of openclose_lskel.h: bpftool's light skeleton only compiles as C. */
#include "commands/openclose_lskel.h"

#include <errno.h> /* skel_internal.h uses these without including them */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "openclose.lskel.h"

CTRACE_LSKEL_DEFINE(openclose)

void openclose_lbpf_configure(struct openclose_lbpf* skel, const struct openclose_lbpf_config* c) {
  CTRACE_LSKEL_SET_FILTER(skel, c);
  for (int k = 0; k < OC_KINDS; ++k) skel->rodata->targ_nrs[k] = c->targ_nrs[k];
  skel->rodata->targ_host_uts_inum = c->targ_host_uts_inum;
  skel->rodata->targ_failed_only = c->targ_failed_only;
  skel->maps.openclose_events.max_entries = c->ring_bytes;
}

int openclose_lbpf_events_fd(const struct openclose_lbpf* skel) {
  return skel->maps.openclose_events.map_fd;
}

int openclose_lbpf_lost_fd(const struct openclose_lbpf* skel) {
  return skel->maps.openclose_lost.map_fd;
}
