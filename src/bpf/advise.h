/* SPDX-License-Identifier: GPL-2.0 */
/* ctrace advise: what a container used, aggregated in the kernel per (cgroup, syscall) and per
 * (cgroup, capability, result, comm), for the least-privilege advice user space writes. */
#ifndef CTRACE_ADVISE_H
#define CTRACE_ADVISE_H

#include "cgroup_event.h"
#include "common.h"

#define ADVISE_MAX_SYSCALLS 512 /* syscall nrs counted (SyscallNames and stat use as many) */
#define ADVISE_MAX_ENTRIES 16384 /* keys of either map: sized for 256 cgroups x 64 kinds */
#define ADVISE_MAX_CGROUPS 4096 /* cgroups made while --from-start waits */
#define ADVISE_EVENTS_BYTES (256 * 1024) /* cgroup_mkdir/rmdir ring (ctrace_cgroup_event), --from-start only */

/* Without --from-start every call of the target counts under cgroup id 0 (a followed container
 * keeps its totals across restarts); with it, under the task's own cgroup. */
struct advise_syscall_key {
	__u64 cgroup_id;
	__u32 nr;
	__u32 pad;
};

struct advise_syscall_value {
	__u64 count;    /* entered: the call ran (seccomp let it through) */
	__u64 denied;   /* --check: returned an error without entering (seccomp refused it) */
	__u64 first_ns; /* CLOCK_MONOTONIC of the first one */
	__u32 first_pid;
	__u32 pad;
	char first_comm[CTRACE_TASK_COMM_LEN];
};

struct advise_cap_key {
	__u64 cgroup_id;
	__u32 cap;
	__u32 denied; /* 1: cap_capable() said no */
	char comm[CTRACE_TASK_COMM_LEN];
	__s32 nr; /* the syscall the check was made in, -1 outside one */
	__u32 borrowed; /* 1: of another credential than the task's own (advise_caps.bpf.c) */
};

struct advise_cap_value {
	__u64 count;
	__u64 first_ns;
	__u32 first_pid;
	__u32 pad;
};

#endif
