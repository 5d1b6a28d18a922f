/* SPDX-License-Identifier: GPL-2.0 */
/* serve --record-all: a region of the record ring (record.h) per container, and what the
 * kernel tells user space about the groups and their failures. Shared by kernel and user space. */
#ifndef CTRACE_RECORD_ALL_H
#define CTRACE_RECORD_ALL_H

#include "cgroup_event.h"
#include "common.h"

/* A recorded cgroup v2 (record_groups: cgroup id -> this). A child cgroup made inside a kept
 * one writes into its parent's region, under the same owner; a child of one not kept yet (user
 * space has not looked at it: /docker, made with the first container's /docker/ID) gets a region
 * of its own. */
struct record_group {
	__u64 owner;  /* the id of the cgroup the region was given to */
	__u32 region; /* index of the region in the ring */
	__u16 frozen; /* a failure is being written down: the group does not write meanwhile */
	__u16 kept;   /* user space keeps it: a container */
};

enum record_all_kind {
	RECORD_ALL_ASSIGNED = 1, /* a new cgroup got a free region (owner = itself) */
	RECORD_ALL_CHILD = 2,    /* a new cgroup inside a recorded one writes to its region */
	RECORD_ALL_FULL = 3,     /* a new cgroup found no free region: not recorded */
	RECORD_ALL_RMDIR = 4,    /* a recorded cgroup was removed */
	RECORD_ALL_DEATH = 5,    /* a task died of a fatal signal, or the init exited non-zero */
	RECORD_ALL_OOM = 6,      /* the OOM killer picked a victim in a recorded cgroup */
};

/* record_all_event.flags */
#define RECORD_ALL_F_NS_INIT 0x1      /* the task is pid 1 of its pid namespace (or record's -- CMD) */
#define RECORD_ALL_F_SENDER 0x2       /* sender_* hold who sent the fatal signal */
#define RECORD_ALL_F_FROM_KERNEL 0x4  /* ... and the kernel sent it (a fault, the OOM killer) */
#define RECORD_ALL_F_CGROUP_OOM 0x8   /* OOM: a memory cgroup's limit, not the host's memory */

/* Who sent a task its fatal signal (record_senders, by the target's tgid). */
struct record_sender {
	__u64 cgroup_id;
	__u32 tgid;
	__s32 code; /* si_code (SIGNAL_SI_KERNEL for the kernel's own) */
	__u32 sig;
	__u32 kernel;
	char comm[CTRACE_TASK_COMM_LEN];
};

struct record_all_event {
	__u64 ts_ns;
	__u64 cgroup_id; /* the cgroup made/removed, or the dying task's */
	__u64 owner;     /* the region's owner (0: none) */
	__u32 region;
	__u32 kind; /* enum record_all_kind */
	__u32 level;
	__u32 flags; /* RECORD_ALL_F_* */
	/* DEATH and OOM: the task */
	__u32 tgid;
	__u32 tid;
	__u32 ns_pid;
	__u32 exit_code; /* wait(2) status (DEATH) */
	char comm[CTRACE_TASK_COMM_LEN];
	struct record_sender sender; /* with RECORD_ALL_F_SENDER */
	/* OOM: the victim's memory cgroup, in pages */
	__u64 memcg_limit_pages;
	__u64 memcg_usage_pages;
	__u64 total_vm_pages;
	__u64 rss_pages;
	/* ASSIGNED/CHILD/FULL: the cgroup's path, relative to the cgroup2 mount */
	char path[CTRACE_CGROUP_PATH_LEN];
};

#endif
