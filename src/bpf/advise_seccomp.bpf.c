// SPDX-License-Identifier: GPL-2.0
/* ctrace advise seccomp: which syscalls a container makes, for a seccomp profile.
 * sys_enter: the filter, then one count per (cgroup, nr) in a hash (first time: when and who).
 * sys_exit (--check only; user space detaches it otherwise): a seccomp filter that refuses a
 * call makes the kernel skip it before the sys_enter tracepoint (syscall_trace_enter(): seccomp
 * first, the tracepoint after), while sys_exit still fires with the error the filter chose. So
 * a sys_exit whose nr had no sys_enter in that task, returning an error, is a refusal. The
 * task's pending nr lives in task storage; a task that was inside a call when ctrace attached
 * has none and is not judged (its start time is before the attach), nor is a task moved into a
 * cgroup (tp_btf/cgroup_attach_task) on its next exit: it may be inside a call it entered
 * outside the target (a runtime moves its init while the init's threads wait in read or futex). */
#include "vmlinux.h"

#include "common.bpf.h"
#include "advise.bpf.h"

const volatile bool targ_check = false;
/* CLOCK_MONOTONIC ns when user space loaded the programs */
const volatile __u64 targ_start_ns = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ADVISE_MAX_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct advise_syscall_key);
	__type(value, struct advise_syscall_value);
} advise_syscalls SEC(".maps");

struct pending_call {
	__s64 nr; /* -1: none; PENDING_UNKNOWN: moved, maybe inside a call entered elsewhere */
};

#define PENDING_UNKNOWN -2

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct pending_call);
} advise_pending SEC(".maps");

static __always_inline struct advise_syscall_value *slot_of(__u64 cgroup_id, __u32 nr)
{
	struct advise_syscall_key key = {.cgroup_id = cgroup_id, .nr = nr};
	struct advise_syscall_value *v, zero = {};

	v = bpf_map_lookup_elem(&advise_syscalls, &key);
	if (v)
		return v;
	zero.first_ns = bpf_ktime_get_ns();
	zero.first_pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(zero.first_comm, sizeof(zero.first_comm));
	/* NOEXIST: another CPU's first one wins, and both count below */
	bpf_map_update_elem(&advise_syscalls, &key, &zero, BPF_NOEXIST);
	v = bpf_map_lookup_elem(&advise_syscalls, &key);
	if (!v)
		count_lost(&advise_lost);
	return v;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(handle_sys_enter, struct pt_regs *regs, long id)
{
	struct advise_syscall_value *v;
	struct pending_call *p;
	__u64 cgroup_id;

	if (!advise_cgroup_of(&cgroup_id))
		return 0;
	if (id < 0 || id >= ADVISE_MAX_SYSCALLS)
		return 0;
	v = slot_of(cgroup_id, (__u32)id);
	if (v)
		__sync_fetch_and_add(&v->count, 1);
	if (targ_check) {
		p = bpf_task_storage_get(&advise_pending, bpf_get_current_task_btf(), 0,
					 BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (p)
			p->nr = id;
	}
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(handle_sys_exit, struct pt_regs *regs, long ret)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct advise_syscall_value *v;
	struct pending_call *p;
	__u64 cgroup_id;
	long nr;

	if (!targ_check)
		return 0;
	if (!advise_cgroup_of(&cgroup_id))
		return 0;
	nr = syscall_nr_of(regs);
	p = bpf_task_storage_get(&advise_pending, task, 0, 0);
	if (p) {
		__s64 pending = p->nr;

		p->nr = -1;
		if (pending == nr || pending == PENDING_UNKNOWN)
			return 0;
	} else if (task->start_time < targ_start_ns) {
		/* maybe inside a call since before the attach: not judged */
		return 0;
	}
	if (!is_syscall_error(ret) || nr < 0 || nr >= ADVISE_MAX_SYSCALLS)
		return 0;
	v = slot_of(cgroup_id, (__u32)nr);
	if (v)
		__sync_fetch_and_add(&v->denied, 1);
	return 0;
}

SEC("tp_btf/cgroup_attach_task")
int BPF_PROG(handle_cgroup_attach_task, struct cgroup *dst_cgrp, const char *path, struct task_struct *task,
	     bool threadgroup)
{
	struct pending_call *p;

	/* run by the task that moves `task` (rare: only --check looks at it) */
	if (!targ_check)
		return 0;
	p = bpf_task_storage_get(&advise_pending, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (p)
		p->nr = PENDING_UNKNOWN;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
