/* SPDX-License-Identifier: GPL-2.0 */
/* ctrace tcpconnect's BPF programs through their light skeleton (tcpconnect.lskel.h, C only; see
 * ctrace/probe/lskel.h). */
#ifndef CTRACE_TCPCONNECT_LSKEL_H
#define CTRACE_TCPCONNECT_LSKEL_H

#include <stdbool.h>

#include "ctrace/probe/lskel.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The globals of tcpconnect.bpf.c, named as there (probe::configure_filter fills the filter). */
struct tcpconnect_lbpf_config {
  CTRACE_LSKEL_FILTER_FIELDS
  __u32 ring_bytes; /* the events ring buffer, a power of two pages */
};

CTRACE_LSKEL_DECLARE(tcpconnect)
/* between open and load */
void tcpconnect_lbpf_configure(struct tcpconnect_lbpf* skel, const struct tcpconnect_lbpf_config* config);
int tcpconnect_lbpf_events_fd(const struct tcpconnect_lbpf* skel);
int tcpconnect_lbpf_lost_fd(const struct tcpconnect_lbpf* skel);

#ifdef __cplusplus
}
#endif

#endif
