/* SPDX-License-Identifier: GPL-2.0 */
/* ctrace biograph's BPF programs through their light skeleton (biograph.lskel.h, C only; see
 * ctrace/probe/lskel.h). */
#ifndef CTRACE_BIOGRAPH_LSKEL_H
#define CTRACE_BIOGRAPH_LSKEL_H

#include <stdbool.h>

#include "ctrace/probe/lskel.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The globals of biograph.bpf.c, named as there (probe::configure_filter fills the filter). */
struct biograph_lbpf_config {
  CTRACE_LSKEL_FILTER_FIELDS
};

CTRACE_LSKEL_DECLARE(biograph)
/* between open and load */
void biograph_lbpf_configure(struct biograph_lbpf* skel, const struct biograph_lbpf_config* config);
int biograph_lbpf_values_fd(const struct biograph_lbpf* skel);

#ifdef __cplusplus
}
#endif

#endif
