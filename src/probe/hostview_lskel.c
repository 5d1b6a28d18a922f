// SPDX-License-Identifier: GPL-2.0
/* The C side of hostview_lskel.h: bpftool's light skeleton only compiles as C. */
#include "probe/hostview_lskel.h"

#include <errno.h> /* skel_internal.h uses these without including them */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hostview.lskel.h"

CTRACE_LSKEL_DEFINE(hostview)

void hostview_lbpf_configure(struct hostview_lbpf* skel, const struct hostview_lbpf_config* c) {
  CTRACE_LSKEL_SET_FILTER(skel, c);
  skel->rodata->targ_nr_open = c->targ_nr_open;
  skel->rodata->targ_nr_creat = c->targ_nr_creat;
  skel->rodata->targ_nr_openat = c->targ_nr_openat;
  skel->rodata->targ_nr_openat2 = c->targ_nr_openat2;
  skel->rodata->targ_nr_unshare = c->targ_nr_unshare;
  skel->rodata->targ_nr_setns = c->targ_nr_setns;
  skel->rodata->targ_nr_clone = c->targ_nr_clone;
  skel->rodata->targ_nr_clone3 = c->targ_nr_clone3;
}

int hostview_lbpf_counters_fd(const struct hostview_lbpf* skel) {
  return skel->maps.hostview_counters.map_fd;
}

int hostview_lbpf_syscalls_fd(const struct hostview_lbpf* skel) {
  return skel->maps.hostview_syscalls.map_fd;
}

int hostview_lbpf_events_fd(const struct hostview_lbpf* skel) {
  return skel->maps.hostview_events.map_fd;
}

int hostview_lbpf_lost_fd(const struct hostview_lbpf* skel) {
  return skel->maps.hostview_lost.map_fd;
}

int hostview_lbpf_dropped_fd(const struct hostview_lbpf* skel) {
  return skel->maps.hostview_dropped.map_fd;
}
