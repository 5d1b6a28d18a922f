// SPDX-License-Identifier: GPL-2.0
/* The C side of stat_lskel.h: bpftool's light skeleton only compiles as C. */
#include "commands/stat_lskel.h"

#include <errno.h> /* skel_internal.h uses these without including them */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stat.lskel.h"

CTRACE_LSKEL_DEFINE(stat)

void stat_lbpf_configure(struct stat_lbpf* skel, const struct stat_lbpf_config* c) {
  CTRACE_LSKEL_SET_FILTER(skel, c);
  skel->rodata->targ_failures_only = c->targ_failures_only;
  skel->rodata->targ_hist_nr = c->targ_hist_nr;
}

int stat_lbpf_values_fd(const struct stat_lbpf* skel) {
  return skel->maps.stat_values.map_fd;
}

int stat_lbpf_lost_fd(const struct stat_lbpf* skel) {
  return skel->maps.stat_lost.map_fd;
}
