/* SPDX-License-Identifier: GPL-2.0 */
/* What both advise programs share: --from-start. Every cgroup made while ctrace runs is
 * remembered (a hash keyed by its id) and told to user space (a ring), which picks the
 * container's out of them by name; the calls of tasks in those cgroups count from the first
 * one, with no race against user space. Include after vmlinux.h and common.bpf.h. */
#ifndef CTRACE_ADVISE_BPF_H
#define CTRACE_ADVISE_BPF_H

#include "advise.h"

const volatile bool targ_from_start = false;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ADVISE_MAX_CGROUPS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, __u8);
} advise_new_cgroups SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, ADVISE_EVENTS_BYTES);
} advise_cgroups SEC(".maps");

/* cgroups not remembered (the hash was full) and ring events lost, and keys the counting maps
 * had no room for: user space says so */
CTRACE_LOST_COUNTER(advise_lost);

/* The key the current task counts under, or false when it is not counted: outside the target
 * (or ctrace itself); with --from-start, outside the cgroups made since ctrace started. */
static __always_inline bool advise_cgroup_of(__u64 *cgroup_id)
{
	if (!targ_from_start) {
		if (ctrace_should_discard())
			return false;
		*cgroup_id = 0;
		return true;
	}
	if (is_self())
		return false;
	*cgroup_id = current_dfl_cgroup()->kn->id;
	return bpf_map_lookup_elem(&advise_new_cgroups, cgroup_id) != NULL;
}

SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(handle_cgroup_mkdir, struct cgroup *cgrp, const char *path)
{
	__u64 id;
	__u8 one = 1;

	if (!targ_from_start || !cgroup_is_v2(cgrp))
		return 0;
	id = BPF_CORE_READ(cgrp, kn, id);
	if (bpf_map_update_elem(&advise_new_cgroups, &id, &one, BPF_ANY))
		count_lost(&advise_lost);
	return ctrace_send_cgroup_event(&advise_cgroups, &advise_lost, cgrp, path, CTRACE_CGROUP_MKDIR);
}

SEC("tp_btf/cgroup_rmdir")
int BPF_PROG(handle_cgroup_rmdir, struct cgroup *cgrp, const char *path)
{
	if (!targ_from_start)
		return 0;
	return ctrace_send_cgroup_event(&advise_cgroups, &advise_lost, cgrp, path, CTRACE_CGROUP_RMDIR);
}

#endif
