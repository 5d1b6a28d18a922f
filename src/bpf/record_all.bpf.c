// SPDX-License-Identifier: GPL-2.0
/* ctrace serve --record-all: every container recorded, each in a region of one ring
 * (record.bpf.h), and its failures caught as they happen (record --postmortem: one region).
 * - record_groups maps a cgroup v2 id to its region. sys_enter/sys_exit look the current
 *   task's cgroup up first thing: a task outside every recorded group costs one hash lookup.
 * - cgroup_mkdir: a cgroup made inside a kept one (a container's) writes to its parent's
 *   region; any other new cgroup takes a free region from record_free at once, so that a
 *   container is recorded from its first call, whatever user space's lookup of its name costs;
 *   user space keeps it, or gives the region back when the cgroup is no container (or not one
 *   --record-match names). No free region: counted, and user space told.
 * - cgroup_rmdir: the cgroup leaves record_groups; its region stays with user space, which
 *   keeps it for dumps and post-mortems until the ring needs it.
 * - sched_process_exit: a failure of a recorded task (a death by a fatal signal that was not
 *   a stop asked for, or the pid namespace's init, or record's -- CMD, exiting non-zero)
 *   freezes the task's group (its region is not written until user space has written the
 *   evidence down) and is sent.
 *   The SIGKILLs a dying init's pid namespace sends the rest are no failure of their own.
 * - signal_generate: who sent a recorded task a fatal signal, kept for its death.
 * - mark_victim: the OOM killer's victim in a recorded group, with its memory cgroup. */
#include "vmlinux.h"

#include "record.bpf.h"
#include "record_all.h"
#include "signal.bpf.h"

#define PF_EXITING 0x00000004 /* include/linux/sched.h */
#define SIGHUP 1
#define SIGINT 2
#define SIGKILL 9
#define SIGPIPE 13
#define SIGTERM 15

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1); /* user space sets it before load */
	__type(key, __u64);
	__type(value, struct record_group);
} record_groups SEC(".maps");

/* the regions no group owns */
struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 1); /* regions, set before load */
	__type(value, __u32);
} record_free SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct record_sender);
} record_senders SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 4096);
} record_all_events SEC(".maps");

/* record --postmortem -- CMD: CMD is the init of what is recorded (its exit != 0 is a failure) */
const volatile __u32 targ_init_tgid = 0;

CTRACE_LOST_COUNTER(record_all_lost);   /* events user space was not told */
CTRACE_LOST_COUNTER(record_budget_full); /* new cgroups that found no free region */
CTRACE_LOST_COUNTER(record_frozen);      /* syscall events not written: the group was frozen */

static __always_inline struct record_group *current_group(void)
{
	__u64 id = current_dfl_cgroup()->kn->id;

	return bpf_map_lookup_elem(&record_groups, &id);
}

/* sys_enter and sys_exit: value is the syscall number or the result */
static __always_inline int record_call(struct pt_regs *regs, long value, bool exit)
{
	struct record_group *g = current_group();

	if (!g || is_self())
		return 0;
	if (g->frozen) {
		count_lost(&record_frozen);
		return 0;
	}
	if (exit)
		return record_exit(regs, value, g->region, (__u32)g->owner);
	return record_enter(regs, value, g->region, (__u32)g->owner);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(handle_sys_enter, struct pt_regs *regs, long id)
{
	return record_call(regs, id, false);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(handle_sys_exit, struct pt_regs *regs, long ret)
{
	return record_call(regs, ret, true);
}

static __always_inline struct record_all_event *new_event(__u32 kind, __u64 cgroup_id, struct record_group *g)
{
	struct record_all_event *e;

	e = reserve_or_count_lost(&record_all_events, &record_all_lost, sizeof(*e));
	if (!e)
		return NULL;
	__builtin_memset(e, 0, sizeof(*e));
	e->ts_ns = bpf_ktime_get_ns();
	e->kind = kind;
	e->cgroup_id = cgroup_id;
	if (g) {
		e->owner = g->owner;
		e->region = g->region;
	}
	return e;
}

SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(handle_cgroup_mkdir, struct cgroup *cgrp, const char *path)
{
	struct record_group g = {}, *parent;
	struct record_all_event *e;
	__u64 id, parent_id;
	__u32 kind;

	if (!cgroup_is_v2(cgrp))
		return 0;
	id = BPF_CORE_READ(cgrp, kn, id);
	parent_id = BPF_CORE_READ(cgrp, self.parent, cgroup, kn, id);
	parent = bpf_map_lookup_elem(&record_groups, &parent_id);
	if (parent && parent->kept) {
		g.owner = parent->owner;
		g.kept = 1;
		g.region = parent->region;
		kind = RECORD_ALL_CHILD;
	} else if (bpf_map_pop_elem(&record_free, &g.region) == 0) {
		g.owner = id;
		kind = RECORD_ALL_ASSIGNED;
	} else {
		count_lost(&record_budget_full);
		kind = RECORD_ALL_FULL;
	}
	if (kind != RECORD_ALL_FULL && bpf_map_update_elem(&record_groups, &id, &g, BPF_NOEXIST) != 0) {
		if (kind == RECORD_ALL_ASSIGNED)
			bpf_map_push_elem(&record_free, &g.region, 0);
		kind = RECORD_ALL_FULL; /* the table is full: not recorded either */
		count_lost(&record_budget_full);
	}
	e = new_event(kind, id, kind == RECORD_ALL_FULL ? NULL : &g);
	if (!e)
		return 0;
	e->level = BPF_CORE_READ(cgrp, level);
	if (bpf_probe_read_kernel_str(e->path, sizeof(e->path), path) < 0)
		e->path[0] = 0;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tp_btf/cgroup_rmdir")
int BPF_PROG(handle_cgroup_rmdir, struct cgroup *cgrp, const char *path)
{
	struct record_group *g;
	struct record_all_event *e;
	__u64 id;

	if (!cgroup_is_v2(cgrp))
		return 0;
	id = BPF_CORE_READ(cgrp, kn, id);
	g = bpf_map_lookup_elem(&record_groups, &id);
	if (!g)
		return 0;
	e = new_event(RECORD_ALL_RMDIR, id, g);
	bpf_map_delete_elem(&record_groups, &id);
	if (e)
		bpf_ringbuf_submit(e, 0);
	return 0;
}

static __always_inline bool fatal_signal(int sig)
{
	return sig >= 1 && sig <= 64 && (CTRACE_FATAL_SIGNALS & (1ULL << ((sig - 1) & 63)));
}

/* The init of task's pid namespace is exiting: the SIGKILL task died of is the namespace's end. */
static __always_inline bool pid_ns_ending(struct task_struct *task)
{
	struct pid *p = BPF_CORE_READ(task, thread_pid);
	unsigned int level = BPF_CORE_READ(p, level);
	struct pid_namespace *ns = NULL;
	struct task_struct *reaper;

	bpf_core_read(&ns, sizeof(ns), &p->numbers[level & 31].ns);
	reaper = BPF_CORE_READ(ns, child_reaper);
	return reaper && reaper != task && (BPF_CORE_READ(reaper, flags) & PF_EXITING);
}

SEC("tp_btf/signal_generate")
int BPF_PROG(handle_signal_generate, int sig, struct kernel_siginfo *info, struct task_struct *task,
	     int group, int result)
{
	struct record_sender s = {};
	__u64 id;
	int code;

	if (!fatal_signal(sig) || sig == SIGTERM || sig == SIGINT || sig == SIGHUP || sig == SIGPIPE)
		return 0;
	id = task_dfl_cgroup(task)->kn->id;
	if (!bpf_map_lookup_elem(&record_groups, &id))
		return 0;
	s.kernel = signal_from_kernel(info, &code);
	s.code = code;
	s.sig = sig;
	s.tgid = bpf_get_current_pid_tgid() >> 32;
	s.cgroup_id = bpf_get_current_cgroup_id();
	bpf_get_current_comm(s.comm, sizeof(s.comm));
	id = BPF_CORE_READ(task, tgid);
	bpf_map_update_elem(&record_senders, &id, &s, BPF_ANY);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(handle_sched_process_exit, struct task_struct *task, bool group_dead)
{
	struct record_all_event *e;
	struct record_sender *s;
	struct record_group *g;
	__u32 code, sig, ns_pid, tgid;
	bool init;
	__u64 id;

	if (!group_dead)
		return 0;
	id = current_dfl_cgroup()->kn->id;
	g = bpf_map_lookup_elem(&record_groups, &id);
	if (!g)
		return 0;
	code = task_exit_status(task, true);
	sig = code & 0x7f;
	ns_pid = ns_tgid_of(task);
	tgid = BPF_CORE_READ(task, tgid);
	init = ns_pid == 1 || (targ_init_tgid && tgid == targ_init_tgid);
	if (sig) {
		/* a stop asked for (SIGTERM honoured, ^C, a hangup) or a closed pipe is no failure */
		if (!fatal_signal(sig) || sig == SIGTERM || sig == SIGINT || sig == SIGHUP || sig == SIGPIPE)
			return 0;
		if (sig == SIGKILL && ns_pid != 1 && pid_ns_ending(task))
			return 0;
	} else if (!init || code == 0) {
		return 0;
	}
	g->frozen = 1;
	e = new_event(RECORD_ALL_DEATH, id, g);
	if (!e)
		return 0;
	e->tgid = tgid;
	e->tid = BPF_CORE_READ(task, pid);
	e->ns_pid = ns_pid;
	e->exit_code = code;
	if (init)
		e->flags |= RECORD_ALL_F_NS_INIT;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	s = sig ? bpf_map_lookup_elem(&record_senders, &tgid) : NULL;
	if (s) {
		e->sender = *s;
		e->flags |= RECORD_ALL_F_SENDER | (s->kernel ? RECORD_ALL_F_FROM_KERNEL : 0);
	}
	bpf_ringbuf_submit(e, 0);
	bpf_map_delete_elem(&record_senders, &tgid);
	return 0;
}

/* memcg v1's field, absent without CONFIG_MEMCG_V1 (oomkill.bpf.c tells why it marks a cgroup OOM) */
struct mem_cgroup___v1 {
	bool oom_lock;
} __attribute__((preserve_access_index));

SEC("tp_btf/mark_victim")
int BPF_PROG(handle_mark_victim, struct task_struct *task, uid_t uid)
{
	struct record_all_event *e;
	struct mem_cgroup *memcg;
	struct record_group *g;
	struct mm_struct *mm;
	__u64 id;
	__s64 rss;

	id = task_dfl_cgroup(task)->kn->id;
	g = bpf_map_lookup_elem(&record_groups, &id);
	if (!g)
		return 0;
	g->frozen = 1;
	e = new_event(RECORD_ALL_OOM, id, g);
	if (!e)
		return 0;
	e->tgid = BPF_CORE_READ(task, tgid);
	e->tid = BPF_CORE_READ(task, pid);
	e->ns_pid = ns_tgid_of(task);
	if (e->ns_pid == 1)
		e->flags |= RECORD_ALL_F_NS_INIT;
	BPF_CORE_READ_STR_INTO(&e->comm, task, comm);
	mm = BPF_CORE_READ(task, mm);
	e->total_vm_pages = BPF_CORE_READ(mm, total_vm);
	rss = BPF_CORE_READ(mm, rss_stat[MM_ANONPAGES].count) + BPF_CORE_READ(mm, rss_stat[MM_FILEPAGES].count) +
	      BPF_CORE_READ(mm, rss_stat[MM_SHMEMPAGES].count);
	e->rss_pages = rss > 0 ? rss : 0;
	memcg = (struct mem_cgroup *)BPF_CORE_READ(task, cgroups,
						   subsys[bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id)]);
	e->memcg_limit_pages = BPF_CORE_READ(memcg, memory.max);
	e->memcg_usage_pages = BPF_CORE_READ(memcg, memory.usage.counter);
	if (bpf_core_field_exists(((struct mem_cgroup___v1 *)memcg)->oom_lock) &&
	    BPF_CORE_READ((struct mem_cgroup___v1 *)memcg, oom_lock))
		e->flags |= RECORD_ALL_F_CGROUP_OOM;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
