// SPDX-License-Identifier: GPL-2.0
/* The C side of stat_lskel.h: bpftool's light skeleton only compiles as C. */
#include "commands/stat_lskel.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stat.lskel.h"

struct stat_lbpf* stat_lbpf_open(void) {
  return stat_lbpf__open();
}

void stat_lbpf_configure(struct stat_lbpf* skel, const struct stat_lbpf_config* c) {
  skel->rodata->targ_filter_mode = c->targ_filter_mode;
  skel->bss->targ_cgroup_id = c->targ_cgroup_id;
  skel->bss->targ_cgroup_level = c->targ_cgroup_level;
  skel->rodata->targ_uts_inum = c->targ_uts_inum;
  skel->rodata->targ_self_tgid = c->targ_self_tgid;
  skel->rodata->targ_failures_only = c->targ_failures_only;
  skel->rodata->targ_hist_nr = c->targ_hist_nr;
}

void stat_lbpf_retarget(struct stat_lbpf* skel, __u64 cgroup_id, __u32 level) {
  /* after load, bss is the map's own memory: the running programs see the change */
  skel->bss->targ_cgroup_level = level;
  skel->bss->targ_cgroup_id = cgroup_id;
}

int stat_lbpf_load(struct stat_lbpf* skel) {
  return stat_lbpf__load(skel);
}
int stat_lbpf_attach(struct stat_lbpf* skel) {
  return stat_lbpf__attach(skel);
}
void stat_lbpf_destroy(struct stat_lbpf* skel) {
  stat_lbpf__destroy(skel);
}
int stat_lbpf_values_fd(const struct stat_lbpf* skel) {
  return skel->maps.stat_values.map_fd;
}
int stat_lbpf_lost_fd(const struct stat_lbpf* skel) {
  return skel->maps.stat_lost.map_fd;
}
