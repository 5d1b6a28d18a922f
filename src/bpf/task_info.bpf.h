/* SPDX-License-Identifier: GPL-2.0 */
/* fill_task_info(): the current task's ids, cgroup and UTS hostname. Include after vmlinux.h. */
#ifndef CTRACE_TASK_INFO_BPF_H
#define CTRACE_TASK_INFO_BPF_H

#include "common.bpf.h"
#include "task_info.h"

static __always_inline void fill_task_info(struct ctrace_task_info *t)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct uts_namespace *uts = BPF_CORE_READ(task, nsproxy, uts_ns);
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 uid_gid = bpf_get_current_uid_gid();

	t->ts_ns = bpf_ktime_get_ns();
	t->cgroup_id = bpf_get_current_cgroup_id();
	t->pid = pid_tgid >> 32;
	t->tid = (__u32)pid_tgid;
	t->uid = (__u32)uid_gid;
	t->gid = uid_gid >> 32;
	t->uts_inum = BPF_CORE_READ(uts, ns.inum);
	bpf_get_current_comm(t->comm, sizeof(t->comm));
	bpf_probe_read_kernel_str(t->hostname, sizeof(t->hostname), &uts->name.nodename);
}

/* The task's number in the PID namespace it lives in (what it sees in getpid()). */
static __always_inline __u32 ns_pid_of(struct task_struct *task)
{
	struct pid *p = BPF_CORE_READ(task, thread_pid);
	unsigned int level = BPF_CORE_READ(p, level);
	int nr = 0;

	bpf_core_read(&nr, sizeof(nr), &p->numbers[level & 31].nr);
	return nr;
}

/* Its thread group's id in that namespace: 1 for a container's init. */
static __always_inline __u32 ns_tgid_of(struct task_struct *task)
{
	return ns_pid_of(BPF_CORE_READ(task, group_leader));
}

#define CTRACE_SIGNAL_GROUP_EXIT 0x00000004 /* include/linux/sched/signal.h */

/* The wait(2) status of an exiting thread at sched_process_exit: for the group's last thread
 * (group_dead), signal->group_exit_code once a group exit is set (exit_group(2), a fatal signal,
 * or the last thread's plain exit(2): synchronize_group_exit()), else task->exit_code; this is
 * what wait_task_zombie() gives the parent. For any other thread its own task->exit_code. */
static __always_inline __u32 task_exit_status(struct task_struct *task, bool group_dead)
{
	if (group_dead && (BPF_CORE_READ(task, signal, flags) & CTRACE_SIGNAL_GROUP_EXIT))
		return BPF_CORE_READ(task, signal, group_exit_code);
	return BPF_CORE_READ(task, exit_code);
}

/* fill_task_info() for another task than current (a signal's target, an OOM victim): the same
 * fields from the task's own struct (uid/gid: its subjective creds, as the helper reads). */
static __always_inline void fill_task_info_of(struct ctrace_task_info *t, struct task_struct *task)
{
	struct uts_namespace *uts = BPF_CORE_READ(task, nsproxy, uts_ns);

	t->ts_ns = bpf_ktime_get_ns();
	t->cgroup_id = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
	t->pid = BPF_CORE_READ(task, tgid);
	t->tid = BPF_CORE_READ(task, pid);
	t->uid = BPF_CORE_READ(task, cred, uid.val);
	t->gid = BPF_CORE_READ(task, cred, gid.val);
	t->uts_inum = BPF_CORE_READ(uts, ns.inum);
	BPF_CORE_READ_STR_INTO(&t->comm, task, comm);
	/* an exiting task has dropped its namespaces: no hostname then */
	if (!uts || bpf_probe_read_kernel_str(t->hostname, sizeof(t->hostname), &uts->name.nodename) < 0)
		t->hostname[0] = 0;
}

#endif
