// SPDX-License-Identifier: GPL-2.0
/* The C side of biograph_lskel.h: bpftool's light skeleton only compiles as C. */
#include "commands/biograph_lskel.h"

#include <errno.h> /* skel_internal.h uses these without including them */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "biograph.lskel.h"

CTRACE_LSKEL_DEFINE(biograph)

void biograph_lbpf_configure(struct biograph_lbpf* skel, const struct biograph_lbpf_config* c) {
  CTRACE_LSKEL_SET_FILTER(skel, c);
}

int biograph_lbpf_values_fd(const struct biograph_lbpf* skel) {
  return skel->maps.biograph_values.map_fd;
}
