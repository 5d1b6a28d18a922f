/* SPDX-License-Identifier: GPL-2.0 */
/* ctrace record's BPF programs through their light skeleton (record.lskel.h, C only; see
 * ctrace/probe/lskel.h). */
#ifndef CTRACE_RECORD_LSKEL_H
#define CTRACE_RECORD_LSKEL_H

#include <stdbool.h>

#include "ctrace/probe/lskel.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The globals of record.bpf.c, named as there (probe::configure_filter fills the filter). */
struct record_lbpf_config {
  CTRACE_LSKEL_FILTER_FIELDS
  __u32 targ_slots_per_cpu;
  __u32 targ_string_size;
  bool targ_filter_syscalls;
  __u32 ring_entries; /* slots of the record_ring array, all CPUs */
};

CTRACE_LSKEL_DECLARE(record)
/* between open and load */
void record_lbpf_configure(struct record_lbpf* skel, const struct record_lbpf_config* config);
int record_lbpf_ring_fd(const struct record_lbpf* skel);
int record_lbpf_head_fd(const struct record_lbpf* skel);
int record_lbpf_syscalls_fd(const struct record_lbpf* skel);
int record_lbpf_argspecs_fd(const struct record_lbpf* skel);
int record_lbpf_lost_fd(const struct record_lbpf* skel);

#ifdef __cplusplus
}
#endif

#endif
