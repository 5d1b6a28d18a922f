// SPDX-License-Identifier: GPL-2.0
/* The C side of tcpconnect_lskel.h: bpftool's light skeleton only compiles as C. */
#include "commands/tcpconnect_lskel.h"

#include <errno.h> /* skel_internal.h uses these without including them */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tcpconnect.lskel.h"

CTRACE_LSKEL_DEFINE(tcpconnect)

void tcpconnect_lbpf_configure(struct tcpconnect_lbpf* skel, const struct tcpconnect_lbpf_config* c) {
  CTRACE_LSKEL_SET_FILTER(skel, c);
  skel->maps.tcpconnect_events.max_entries = c->ring_bytes;
}

int tcpconnect_lbpf_events_fd(const struct tcpconnect_lbpf* skel) {
  return skel->maps.tcpconnect_events.map_fd;
}

int tcpconnect_lbpf_lost_fd(const struct tcpconnect_lbpf* skel) {
  return skel->maps.tcpconnect_lost.map_fd;
}
