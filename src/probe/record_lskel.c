// SPDX-License-Identifier: GPL-2.0
/* The C side of record_lskel.h: bpftool's light skeleton only compiles as C. */
#include "probe/record_lskel.h"

#include <errno.h> /* skel_internal.h uses these without including them */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "record.lskel.h"

CTRACE_LSKEL_DEFINE(record)

void record_lbpf_configure(struct record_lbpf* skel, const struct record_lbpf_config* c) {
  CTRACE_LSKEL_SET_FILTER(skel, c);
  skel->rodata->targ_slots_per_cpu = c->targ_slots_per_cpu;
  skel->rodata->targ_string_size = c->targ_string_size;
  skel->rodata->targ_filter_syscalls = c->targ_filter_syscalls;
  skel->maps.record_ring.max_entries = c->ring_entries;
}

int record_lbpf_ring_fd(const struct record_lbpf* skel) {
  return skel->maps.record_ring.map_fd;
}

int record_lbpf_head_fd(const struct record_lbpf* skel) {
  return skel->maps.record_head.map_fd;
}

int record_lbpf_syscalls_fd(const struct record_lbpf* skel) {
  return skel->maps.record_syscalls.map_fd;
}

int record_lbpf_argspecs_fd(const struct record_lbpf* skel) {
  return skel->maps.record_argspecs.map_fd;
}

int record_lbpf_lost_fd(const struct record_lbpf* skel) {
  return skel->maps.record_lost.map_fd;
}
