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

#endif
