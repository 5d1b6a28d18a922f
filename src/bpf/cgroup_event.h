/* SPDX-License-Identifier: GPL-2.0 */
/* What a program that watches cgroups being made sends to user space (the host view, advise
 * --from-start): shared by kernel and user space (with linux/types.h). */
#ifndef CTRACE_CGROUP_EVENT_H
#define CTRACE_CGROUP_EVENT_H

/* A cgroup v2 directory made or removed (tp_btf/cgroup_mkdir, cgroup_rmdir), sent by
 * ctrace_send_cgroup_event(): its path while it still exists, for names. */
enum ctrace_cgroup_event_kind {
	CTRACE_CGROUP_MKDIR = 1,
	CTRACE_CGROUP_RMDIR = 2,
};

#define CTRACE_CGROUP_PATH_LEN 256

struct ctrace_cgroup_event {
	__u64 cgroup_id;
	__u64 ts_ns;
	__u32 kind;
	__u32 level;
	char path[CTRACE_CGROUP_PATH_LEN]; /* relative to the cgroup2 mount, "/a/b" */
};

#endif
