// SPDX-License-Identifier: GPL-2.0
/* ctrace unshare: unshare(2), setns(2) and clone/clone3 with CLONE_NEW* flags.
 * sys_enter: filter (container, then syscall nr, then flags), remember the
 * arguments and the caller's cgroup/hostname in task storage.
 * sys_exit: take them back, add the return value, send one event to the ring buffer. */
#include "vmlinux.h"

#include "common.bpf.h"
#include "unshare.h"

#define NSFS_MAGIC 0x6e736673

/* Syscall nrs of the native ABI, resolved in user space with libseccomp; -1: not traced. */
const volatile __s32 targ_nr_unshare = -1;
const volatile __s32 targ_nr_setns = -1;
const volatile __s32 targ_nr_clone = -1;
const volatile __s32 targ_nr_clone3 = -1;
/* Report failed calls too (--all). */
const volatile bool targ_failed = false;
/* Report failed calls only (-x/--failed). */
const volatile bool targ_failed_only = false;

struct unshare_start {
	__u64 ts_ns;
	__u64 cgroup_id;
	__u64 flags;
	__u32 call; /* 0: no call in flight */
	__u32 fd_ns_type;
	char hostname[UNSHARE_HOSTNAME_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct unshare_start);
} unshare_start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} unshare_events SEC(".maps");

/* events dropped: ring buffer full, or no task storage for the entry */
CTRACE_LOST_COUNTER(unshare_lost);

/* Before 6.18 the namespace kind lived in ns->ops->type. */
struct proc_ns_operations___old {
	int type;
};

static __always_inline __u32 call_of(long nr)
{
	if (nr < 0)
		return 0;
	if (nr == targ_nr_unshare)
		return UNSHARE_CALL_UNSHARE;
	if (nr == targ_nr_setns)
		return UNSHARE_CALL_SETNS;
	if (nr == targ_nr_clone)
		return UNSHARE_CALL_CLONE;
	if (nr == targ_nr_clone3)
		return UNSHARE_CALL_CLONE3;
	return 0;
}

/* CLONE_NEW* kind of the namespace behind fd, 0 when fd is not an nsfs file (a pidfd). */
static __always_inline __u32 ns_type_of_fd(int fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct file **fds;
	struct file *f = NULL;
	struct ns_common *ns;
	struct proc_ns_operations___old *ops;

	if (fd < 0 || (unsigned int)fd >= BPF_CORE_READ(task, files, fdt, max_fds))
		return 0;
	fds = BPF_CORE_READ(task, files, fdt, fd);
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]) || !f)
		return 0;
	if (BPF_CORE_READ(f, f_inode, i_sb, s_magic) != NSFS_MAGIC)
		return 0;
	ns = (struct ns_common *)BPF_CORE_READ(f, f_inode, i_private);
	if (bpf_core_field_exists(ns->ns_type))
		return BPF_CORE_READ(ns, ns_type);
	ops = (struct proc_ns_operations___old *)BPF_CORE_READ(ns, ops);
	return BPF_CORE_READ(ops, type);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(handle_sys_enter, struct pt_regs *regs, long id)
{
	struct task_struct *task;
	struct unshare_start *s;
	__u64 flags, arg0;
	__u32 call, fd_ns_type = 0;

	if (ctrace_should_discard())
		return 0;
	call = call_of(id);
	if (!call)
		return 0;

	arg0 = syscall_arg(regs, 0);
	flags = arg0;
	switch (call) {
	case UNSHARE_CALL_SETNS:
		flags = (__u32)syscall_arg(regs, 1);
		fd_ns_type = ns_type_of_fd((int)arg0);
		break;
	case UNSHARE_CALL_CLONE:
		if (!(flags & CTRACE_CLONE_NEW_FLAGS_CLONE))
			return 0;
		break;
	case UNSHARE_CALL_CLONE3:
		/* flags is the first member of the user's struct clone_args */
		if (syscall_arg(regs, 1) < sizeof(__u64) ||
		    bpf_probe_read_user(&flags, sizeof(flags), (void *)arg0))
			return 0;
		if (!(flags & CTRACE_CLONE_NEW_FLAGS))
			return 0;
		break;
	}

	task = bpf_get_current_task_btf();
	s = bpf_task_storage_get(&unshare_start, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!s) {
		count_lost(&unshare_lost);
		return 0;
	}
	s->ts_ns = bpf_ktime_get_ns();
	s->cgroup_id = bpf_get_current_cgroup_id();
	s->flags = flags;
	s->call = call;
	s->fd_ns_type = fd_ns_type;
	BPF_CORE_READ_STR_INTO(&s->hostname, task, nsproxy, uts_ns, name.nodename);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(handle_sys_exit, struct pt_regs *regs, long ret)
{
	struct unshare_start *s;
	struct unshare_event *e;
	__u64 pid_tgid;
	__u32 call;

	/* No container check here: only tasks that passed it at entry have a start.
	 * The nr test first keeps the storage lookup off every other syscall. */
	call = call_of(syscall_nr_of(regs));
	if (!call)
		return 0;
	s = bpf_task_storage_get(&unshare_start, bpf_get_current_task_btf(), 0, 0);
	if (!s || s->call != call)
		return 0;
	s->call = 0;
	if (ret < 0 && !targ_failed)
		return 0;
	if (ret >= 0 && targ_failed_only)
		return 0;

	e = reserve_or_count_lost(&unshare_events, &unshare_lost, sizeof(*e));
	if (!e)
		return 0;
	pid_tgid = bpf_get_current_pid_tgid();
	e->ts_ns = s->ts_ns;
	e->cgroup_id = s->cgroup_id;
	e->flags = s->flags;
	e->ret = ret;
	e->pid = pid_tgid >> 32;
	e->tid = (__u32)pid_tgid;
	e->call = call;
	e->fd_ns_type = s->fd_ns_type;
	bpf_get_current_comm(&e->comm, sizeof(e->comm));
	__builtin_memcpy(e->hostname, s->hostname, sizeof(e->hostname));
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
