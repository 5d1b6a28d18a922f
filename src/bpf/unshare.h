/* SPDX-License-Identifier: GPL-2.0 */
/* ctrace unshare: one event per namespace-changing call, shared by kernel and user space. */
#ifndef CTRACE_UNSHARE_H
#define CTRACE_UNSHARE_H

#include "common.h"

/* Which call an event comes from (0: none, an unused task-storage slot). */
enum unshare_call {
	UNSHARE_CALL_UNSHARE = 1,
	UNSHARE_CALL_SETNS = 2,
	UNSHARE_CALL_CLONE = 3,
	UNSHARE_CALL_CLONE3 = 4,
};


#define UNSHARE_HOSTNAME_LEN 65

struct unshare_event {
	__u64 ts_ns;     /* bpf_ktime_get_ns() at entry */
	__u64 cgroup_id; /* the caller's cgroup v2 id at entry */
	__u64 flags;     /* unshare/clone/clone3 flags; setns: nstype */
	__s64 ret;       /* raw return value: -errno on failure, the child's pid for clone */
	__u32 pid;       /* tgid */
	__u32 tid;
	__u32 call;      /* enum unshare_call */
	__u32 fd_ns_type; /* setns: CLONE_NEW* kind of the fd's namespace, 0 if not a namespace fd */
	char comm[CTRACE_TASK_COMM_LEN];
	char hostname[UNSHARE_HOSTNAME_LEN]; /* the caller's UTS nodename at entry */
};

#endif
