// SPDX-License-Identifier: GPL-2.0
/* ctrace oomkill: the OOM killer's victims.
 * tp_btf/oom/mark_victim (mark_oom_victim(), once per victim, after its SIGKILL was sent):
 * the filter on the victim (current is the task whose allocation ran into the OOM, anywhere),
 * then one event with the tracepoint's own figures and the victim's memory cgroup.
 *
 * Fields (oomkill.h): victim (ctrace_task_info of the task argument: pid/tid, comm, cgroup
 * v2, UTS), total_vm/anon/file/shmem rss in pages as the tracepoint reads them (get_mm_counter:
 * the percpu counters' approximate count), pgtables_bytes, uid (the tracepoint's argument),
 * oom_score_adj; memcg_* of the victim's memory cgroup (the v1 memory hierarchy in hybrid mode,
 * where memory.limit_in_bytes is this same page counter's max); trigger_* = current.
 * Cgroup or global OOM, without kprobes: mem_cgroup_oom() takes the memcg OOM lock
 * (memcg1_oom_prepare(), CONFIG_MEMCG_V1: on v1 and v2 hierarchies alike) over the whole
 * subtree of the memcg whose limit was hit, for as long as it runs the killer; a global OOM
 * takes none. So the victim's memcg has oom_lock set during a cgroup OOM, and the highest
 * locked ancestor is the cgroup that hit its limit (oom_memcg_*). Limits: a kernel built
 * without CONFIG_MEMCG_V1 has no oom_lock (kind UNKNOWN); when a memcg OOM of an overlapping
 * subtree is waiting for the global oom_lock at the same time, a global OOM's victim in that
 * subtree reads as a cgroup OOM.
 * Edge cases:
 * - the victim's SIGKILL is also in ctrace signal (FROM_KERNEL, SI_KERNEL), and its death in
 *   ctrace exit (SIGKILL); other processes sharing its mm are killed without their own
 *   mark_victim;
 * - a task already exiting (task_will_free_mem) is marked a victim without a new SIGKILL;
 * - memory.oom.group (v2) kills the rest of the cgroup: one event per marked task. */
#include "vmlinux.h"

#include "common.bpf.h"
#include "oomkill.h"
#include "task_info.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 4096); /* bytes; user space sets it before load */
} oomkill_events SEC(".maps");

CTRACE_LOST_COUNTER(oomkill_lost);

/* memcg v1's fields, absent without CONFIG_MEMCG_V1 */
struct mem_cgroup___v1 {
	bool oom_lock;
} __attribute__((preserve_access_index));

static __always_inline bool memcg_oom_locked(struct mem_cgroup *memcg)
{
	return BPF_CORE_READ((struct mem_cgroup___v1 *)memcg, oom_lock);
}

static __always_inline __u64 mm_counter(struct mm_struct *mm, int member)
{
	__s64 n = BPF_CORE_READ(mm, rss_stat[member & 3].count);

	return n > 0 ? n : 0; /* percpu_counter_read_positive() */
}

SEC("tp_btf/mark_victim")
int BPF_PROG(handle_mark_victim, struct task_struct *task, uid_t uid)
{
	struct mem_cgroup *memcg, *parent;
	struct oomkill_event *e;
	struct mm_struct *mm;
	__u64 pid_tgid;
	int i;

	if (ctrace_should_discard_task(task))
		return 0;
	e = reserve_or_count_lost(&oomkill_events, &oomkill_lost, sizeof(*e));
	if (!e)
		return 0;
	fill_task_info_of(&e->victim, task);
	mm = BPF_CORE_READ(task, mm);
	e->total_vm_pages = BPF_CORE_READ(mm, total_vm);
	e->anon_rss_pages = mm_counter(mm, MM_ANONPAGES);
	e->file_rss_pages = mm_counter(mm, MM_FILEPAGES);
	e->shmem_rss_pages = mm_counter(mm, MM_SHMEMPAGES);
	e->pgtables_bytes = BPF_CORE_READ(mm, pgtables_bytes.counter);
	e->uid = uid;
	e->oom_score_adj = BPF_CORE_READ(task, signal, oom_score_adj);
	e->victim_ns_pid = ns_tgid_of(task);

	pid_tgid = bpf_get_current_pid_tgid();
	e->trigger_pid = pid_tgid >> 32;
	e->trigger_tid = (__u32)pid_tgid;
	e->trigger_cgroup_id = bpf_get_current_cgroup_id();
	bpf_get_current_comm(e->trigger_comm, sizeof(e->trigger_comm));

	memcg = (struct mem_cgroup *)BPF_CORE_READ(task, cgroups,
						   subsys[bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id)]);
	e->memcg_id = BPF_CORE_READ(memcg, css.cgroup, kn, id);
	e->memcg_limit_pages = BPF_CORE_READ(memcg, memory.max);
	e->memcg_usage_pages = BPF_CORE_READ(memcg, memory.usage.counter);
	e->flags = BPF_CORE_READ(memcg, css.cgroup, root) == BPF_CORE_READ(task, cgroups, dfl_cgrp, root)
			   ? OOMKILL_F_MEMCG_ON_DFL
			   : 0;
	e->oom_memcg_id = 0;
	e->oom_memcg_limit_pages = 0;
	e->oom_memcg_usage_pages = 0;
	e->memcg_level = 0;
	if (!bpf_core_field_exists(((struct mem_cgroup___v1 *)memcg)->oom_lock)) {
		e->kind = OOMKILL_UNKNOWN;
	} else if (!memcg || !memcg_oom_locked(memcg)) {
		e->kind = OOMKILL_GLOBAL;
	} else {
		e->kind = OOMKILL_CGROUP;
		/* up to the highest locked ancestor: the memcg whose limit was hit */
		for (i = 0; i < OOMKILL_MEMCG_WALK_MAX; i++) {
			parent = (struct mem_cgroup *)BPF_CORE_READ(memcg, css.parent);
			if (!parent || !memcg_oom_locked(parent))
				break;
			memcg = parent;
			e->memcg_level = i + 1;
		}
		e->oom_memcg_id = BPF_CORE_READ(memcg, css.cgroup, kn, id);
		e->oom_memcg_limit_pages = BPF_CORE_READ(memcg, memory.max);
		e->oom_memcg_usage_pages = BPF_CORE_READ(memcg, memory.usage.counter);
	}
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
