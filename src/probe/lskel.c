// SPDX-License-Identifier: GPL-2.0
#include "ctrace/probe/lskel.h"

#include <errno.h> /* skel_internal.h uses these without including them */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
/* clang-format off */
#include <bpf/skel_internal.h>
/* clang-format on */

void ctrace_lskel_set_log(void* skel, char* buf, __u32 size, __u32 level) {
  struct bpf_loader_ctx* ctx = (struct bpf_loader_ctx*)skel;
  ctx->log_level = level;
  ctx->log_size = level ? size : 0;
  ctx->log_buf = level ? (__u64)(unsigned long)buf : 0;
}
