/* SPDX-License-Identifier: GPL-2.0 */
/* ctrace oomkill: one event per OOM-killer victim (oom:mark_victim). Shared by kernel and
 * user space. */
#ifndef CTRACE_OOMKILL_H
#define CTRACE_OOMKILL_H

#include "task_info.h"

enum oomkill_kind {
	OOMKILL_UNKNOWN = 0, /* this kernel has no memcg v1 oom_lock to tell by */
	OOMKILL_CGROUP = 1,  /* a memory cgroup's limit (mem_cgroup_out_of_memory) */
	OOMKILL_GLOBAL = 2,  /* the whole system (or a cpuset/mempolicy) ran out */
};

/* oomkill_event.flags */
#define OOMKILL_F_MEMCG_ON_DFL 0x1 /* the memory controller is on the cgroup v2 hierarchy */

#define OOMKILL_MEMCG_WALK_MAX 8 /* memory cgroups walked up from the victim's */

struct oomkill_event {
	struct ctrace_task_info victim; /* the task the OOM killer chose (its ts_ns: now) */
	/* the tracepoint's figures, in pages (the tracepoint prints kB) and bytes */
	__u64 total_vm_pages;
	__u64 anon_rss_pages;
	__u64 file_rss_pages;
	__u64 shmem_rss_pages;
	__u64 pgtables_bytes;
	/* the victim's memory cgroup: kernfs id on its hierarchy (the v1 memory one in hybrid
	 * mode), memory.max / memory.limit_in_bytes and usage in pages (max: PAGE_COUNTER_MAX =
	 * LONG_MAX / PAGE_SIZE when unlimited) */
	__u64 memcg_id;
	__u64 memcg_limit_pages;
	__u64 memcg_usage_pages;
	/* OOMKILL_CGROUP: the cgroup whose limit was hit (the victim's or an ancestor) */
	__u64 oom_memcg_id;
	__u64 oom_memcg_limit_pages;
	__u64 oom_memcg_usage_pages;
	/* the task that ran into the OOM and ran the killer (current): often elsewhere */
	__u64 trigger_cgroup_id;
	__u32 trigger_pid;
	__u32 trigger_tid;
	char trigger_comm[CTRACE_TASK_COMM_LEN];
	__u32 victim_ns_pid; /* tgid in the victim's pid namespace */
	__u32 uid;	     /* the tracepoint's uid: the victim's real uid */
	__s16 oom_score_adj;
	__u8 kind;  /* enum oomkill_kind */
	__u8 flags; /* OOMKILL_F_* */
	__u32 memcg_level; /* level of oom_memcg below the victim's memcg (0: its own) */
};

#endif
