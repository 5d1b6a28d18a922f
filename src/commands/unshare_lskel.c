// SPDX-License-Identifier: GPL-2.0
/* The C side of unshare_lskel.h: bpftool's light skeleton only compiles as C. */
#include "commands/unshare_lskel.h"

#include <errno.h> /* skel_internal.h uses these without including them */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unshare.lskel.h"

CTRACE_LSKEL_DEFINE(unshare)

void unshare_lbpf_configure(struct unshare_lbpf* skel, const struct unshare_lbpf_config* c) {
  CTRACE_LSKEL_SET_FILTER(skel, c);
  skel->rodata->targ_nr_unshare = c->targ_nr_unshare;
  skel->rodata->targ_nr_setns = c->targ_nr_setns;
  skel->rodata->targ_nr_clone = c->targ_nr_clone;
  skel->rodata->targ_nr_clone3 = c->targ_nr_clone3;
  skel->rodata->targ_failed = c->targ_failed;
  skel->rodata->targ_failed_only = c->targ_failed_only;
  skel->maps.unshare_events.max_entries = c->ring_bytes;
}

int unshare_lbpf_events_fd(const struct unshare_lbpf* skel) {
  return skel->maps.unshare_events.map_fd;
}

int unshare_lbpf_lost_fd(const struct unshare_lbpf* skel) {
  return skel->maps.unshare_lost.map_fd;
}
