/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by every ctrace BPF program: the container filter and the
 * reserve-or-count-lost ring-buffer helper. Include after vmlinux.h. */
#ifndef CTRACE_COMMON_BPF_H
#define CTRACE_COMMON_BPF_H

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "cgroup_event.h"
#include "common.h"

/* Container filter, set by user space between open and load (ctrace::probe::configure_filter,
 * the one writer of these fields). The verifier sees the constants and removes the branches a
 * mode does not use. */
const volatile __u32 targ_filter_mode = CTRACE_FILTER_NONE;
const volatile __u32 targ_uts_inum = 0;
/* The target cgroup lives in .bss, not rodata: when a followed container is re-created
 * (a restart gives it a new cgroup id), user space re-targets the running programs
 * (ctrace::probe::retarget). A plain load either way (bench/README.md, "A run-time target: the cgroup id in .bss"). */
__u64 targ_cgroup_id = 0;
__u32 targ_cgroup_level = 0;
/* Our own tgid: a command never reports ctrace's own activity. */
const volatile __u32 targ_self_tgid = 0;

static __always_inline __u32 task_uts_inum(struct task_struct *task)
{
	return BPF_CORE_READ(task, nsproxy, uts_ns, ns.inum);
}

static __always_inline __u32 current_uts_inum(void)
{
	return task_uts_inum((struct task_struct *)bpf_get_current_task());
}

extern void *bpf_rdonly_cast(const void *obj__ign, __u32 btf_id) __ksym;

/* The current task's cgroup v2, read with direct BTF loads (what bpf_get_current_cgroup_id()
 * reads, without its helper call) through a read-only cast of the task, which spares the
 * verifier's trust checks of each load (bench/README.md, "The container filter through a read-only cast"). */
static __always_inline struct cgroup *current_dfl_cgroup(void)
{
	struct task_struct *task =
		bpf_rdonly_cast(bpf_get_current_task_btf(), bpf_core_type_id_kernel(struct task_struct));

	return task->cgroups->dfl_cgrp;
}

/* The registers of a syscall as sys_enter/sys_exit hand them over, in the layout the
 * architecture's ptrace ABI fixes (x86: uapi asm/ptrace.h; arm64: user_pt_regs, orig_x0,
 * syscallno): direct loads without CO-RE relocations, whose type shared the kernel's CO-RE
 * candidate-cache slot with the UTS filter's (bench/README.md, "Syscall registers without CO-RE"). */
struct ctrace_syscall_regs {
#if defined(__TARGET_ARCH_arm64)
	__u64 regs[31], sp, pc, pstate, orig_x0;
	__s32 syscallno;
#else
	__u64 r15, r14, r13, r12, bp, bx, r11, r10, r9, r8, ax, cx, dx, si, di, orig_ax;
#endif
};

/* Argument n (0-5, a constant) of the syscall. */
#if defined(__TARGET_ARCH_arm64)
#define syscall_arg(regs, n) (((struct ctrace_syscall_regs *)(regs))->regs[n])
#else
#define syscall_arg(regs, n)                                                                   \
	((n) == 0 ? ((struct ctrace_syscall_regs *)(regs))->di :                              \
	 (n) == 1 ? ((struct ctrace_syscall_regs *)(regs))->si :                              \
	 (n) == 2 ? ((struct ctrace_syscall_regs *)(regs))->dx :                              \
	 (n) == 3 ? ((struct ctrace_syscall_regs *)(regs))->r10 :                             \
	 (n) == 4 ? ((struct ctrace_syscall_regs *)(regs))->r8 :                              \
		    ((struct ctrace_syscall_regs *)(regs))->r9)
#endif

/* The syscall nr in a sys_enter/sys_exit pt_regs. */
static __always_inline long syscall_nr_of(struct pt_regs *regs)
{
#if defined(__TARGET_ARCH_arm64)
	return ((struct ctrace_syscall_regs *)regs)->syscallno;
#else
	return ((struct ctrace_syscall_regs *)regs)->orig_ax;
#endif
}

/* Ancestors walked with direct loads before falling back to the helper. */
#define CTRACE_FILTER_WALK_MAX 4

/* Before 6.1 the ancestors were ids, not cgroups. */
struct cgroup___ids {
	__u64 ancestor_ids[1]; /* a flexible array there */
} __attribute__((preserve_access_index));

/* The id of the ancestor at `level` (<= its own level) of the cgroup at address cg. */
static __always_inline __u64 cgroup_ancestor_id(struct cgroup *cg, __u32 level)
{
	struct cgroup *anc = NULL;
	__u64 id = 0;

	if (bpf_core_field_exists(cg->ancestors)) {
		bpf_core_read(&anc, sizeof(anc), &cg->ancestors[level]);
		return BPF_CORE_READ(anc, kn, id);
	}
	bpf_core_read(&id, sizeof(id), &((struct cgroup___ids *)cg)->ancestor_ids[level]);
	return id;
}

/* The ancestor of task's cgroup v2 cgrp at targ_cgroup_level is the target (task NULL: current).
 * The verifier refuses loads from cgroup->ancestors[] (an array of pointers at the end
 * of the struct), so go up through the parents: a container's tasks usually sit at or
 * a level or two below its cgroup. Deeper than that, a helper does the walk: for current
 * bpf_get_current_ancestor_cgroup_id(), for another task a read of ancestors[]. */
static __always_inline bool cgroup_in_subtree(struct cgroup *cgrp, struct task_struct *task)
{
	int up = cgrp->level - (int)targ_cgroup_level;

	if (up < 0)
		return false;
	if (up > CTRACE_FILTER_WALK_MAX) {
		if (!task)
			return bpf_get_current_ancestor_cgroup_id(targ_cgroup_level) == targ_cgroup_id;
		/* a plain read of the pointer: arithmetic on the cast one is refused */
		return cgroup_ancestor_id(BPF_CORE_READ(task, cgroups, dfl_cgrp), targ_cgroup_level) ==
		       targ_cgroup_id;
	}
	/* a bounded loop: clang does not unroll it (its early exit), and written out as four
	 * ifs it costs the verifier more (CPU until attached 1.07-1.09x, bench/README.md) */
	for (int i = 0; i < CTRACE_FILTER_WALK_MAX; i++) {
		if (i >= up)
			break;
		cgrp = cgrp->self.parent->cgroup;
	}
	return cgrp->kn->id == targ_cgroup_id;
}

static __always_inline bool current_in_subtree(void)
{
	return cgroup_in_subtree(current_dfl_cgroup(), NULL);
}

/* Does the current task belong to the target? */
static __always_inline bool container_match(void)
{
	switch (targ_filter_mode) {
	case CTRACE_FILTER_CGROUP_SUBTREE:
		return current_in_subtree();
	case CTRACE_FILTER_CGROUP_EXACT:
		return current_dfl_cgroup()->kn->id == targ_cgroup_id;
	case CTRACE_FILTER_UTS:
		return current_uts_inum() == targ_uts_inum;
	default:
		return true;
	}
}

/* The filter for another task than current: a signal's target, an OOM victim. The same tests
 * as container_match() (the same cgroup_in_subtree()), on that task's cgroup v2 and UTS
 * namespace; only the fallback of a deep cgroup differs (the helper knows current only).
 * container_match() compiles to the instructions it had before these were added: nothing
 * changes for the programs that do not use them. */
static __always_inline struct cgroup *task_dfl_cgroup(struct task_struct *task)
{
	struct task_struct *t = bpf_rdonly_cast(task, bpf_core_type_id_kernel(struct task_struct));

	return t->cgroups->dfl_cgrp;
}

static __always_inline bool task_in_subtree(struct task_struct *task)
{
	return cgroup_in_subtree(task_dfl_cgroup(task), task);
}

static __always_inline bool task_match(struct task_struct *task)
{
	switch (targ_filter_mode) {
	case CTRACE_FILTER_CGROUP_SUBTREE:
		return task_in_subtree(task);
	case CTRACE_FILTER_CGROUP_EXACT:
		return task_dfl_cgroup(task)->kn->id == targ_cgroup_id;
	case CTRACE_FILTER_UTS:
		return task_uts_inum(task) == targ_uts_inum;
	default:
		return true;
	}
}

/* cgroup_mkdir/rmdir fire for the v1 hierarchies of hybrid mode too, with ids of their own:
 * is `cgrp` on the v2 hierarchy, the root of every task's dfl_cgrp? */
static __always_inline bool cgroup_is_v2(struct cgroup *cgrp)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();

	return BPF_CORE_READ(cgrp, root) == BPF_CORE_READ(task, cgroups, dfl_cgrp, root);
}

static __always_inline bool is_self(void)
{
	return targ_self_tgid && (bpf_get_current_pid_tgid() >> 32) == targ_self_tgid;
}

/* The first statement of every handler that runs in the task it reports on: outside the
 * target, or ctrace itself. The filter first: on an untraced task it is a few loads. */
static __always_inline bool ctrace_should_discard(void)
{
	return !container_match() || is_self();
}

static __always_inline bool is_self_task(struct task_struct *task)
{
	return targ_self_tgid && BPF_CORE_READ(task, tgid) == targ_self_tgid;
}

/* ctrace_should_discard() for a handler that reports on another task than current (an OOM
 * victim): outside the target, or one of ctrace's own. */
static __always_inline bool ctrace_should_discard_task(struct task_struct *task)
{
	return !task_match(task) || is_self_task(task);
}

/* A per-CPU counter of events that could not be delivered; user space reads
 * the sum (ctrace::probe::LostCounter) and reports the delta. */
#define CTRACE_LOST_COUNTER(name)                                                                  \
	struct {                                                                                   \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);                                           \
		__uint(max_entries, 1);                                                            \
		__type(key, __u32);                                                                \
		__type(value, __u64);                                                              \
	} name SEC(".maps")

static __always_inline void count_lost(void *lost_map)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(lost_map, &zero);
	if (n)
		(*n)++;
}

/* Reserve ring-buffer space or count the event as lost. */
static __always_inline void *reserve_or_count_lost(void *ringbuf, void *lost_map, __u64 size)
{
	void *e = bpf_ringbuf_reserve(ringbuf, size, 0);
	if (!e)
		count_lost(lost_map);
	return e;
}

/* Tells user space of a cgroup v2 directory made or removed (the v1 ones of hybrid mode are
 * skipped) through `ringbuf`, or counts it lost. */
static __always_inline int ctrace_send_cgroup_event(void *ringbuf, void *lost_map, struct cgroup *cgrp,
						    const char *path, __u32 kind)
{
	struct ctrace_cgroup_event *e;

	if (!cgroup_is_v2(cgrp))
		return 0;
	e = reserve_or_count_lost(ringbuf, lost_map, sizeof(*e));
	if (!e)
		return 0;
	e->cgroup_id = BPF_CORE_READ(cgrp, kn, id);
	e->ts_ns = bpf_ktime_get_ns();
	e->kind = kind;
	e->level = cgrp->level;
	if (bpf_probe_read_kernel_str(e->path, sizeof(e->path), path) < 0)
		e->path[0] = 0;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

static __always_inline __u32 log2_bucket(__u64 v)
{
	__u32 r = 0;
	/* floor(log2(v)) + 1 for v > 0, 0 for v == 0; bounded for the verifier */
	if (v >= (1ULL << 32)) { v >>= 32; r += 32; }
	if (v >= (1ULL << 16)) { v >>= 16; r += 16; }
	if (v >= (1ULL << 8)) { v >>= 8; r += 8; }
	if (v >= (1ULL << 4)) { v >>= 4; r += 4; }
	if (v >= (1ULL << 2)) { v >>= 2; r += 2; }
	if (v >= (1ULL << 1)) { r += 1; }
	return v ? r + 1 : 0;
}

#endif
