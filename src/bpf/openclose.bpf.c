// SPDX-License-Identifier: GPL-2.0
/* ctrace openclose: open, openat, openat2, accept, accept4, connect and close of a container.
 * sys_enter: filter, then keep the arguments in task storage (the path and connect's peer
 * address are read here, while the caller's memory is what it passed).
 * sys_exit: accept's peer address (the kernel filled it), the return value, one ring-buffer event
 * as long as its data (with a 20-byte path: 169 bytes instead of 408). */
#include "vmlinux.h"

#include "common.bpf.h"
#include "openclose.h"
#include "task_info.bpf.h"

/* Syscall numbers of the selected kinds (-1: not traced, or not on this architecture). */
const volatile __s32 targ_nrs[OC_KINDS] = { -1, -1, -1, -1, -1, -1, -1 };
/* -I: the host's UTS namespace inode (0: show every namespace). */
const volatile __u32 targ_host_uts_inum = 0;
const volatile bool targ_failed_only = false;

struct openclose_start {
	__u32 active;
	__u32 kind;
	__s32 fd;
	__u32 addr_len;
	__u64 flags;
	__u64 uaddr;    /* accept: where the kernel writes the peer address */
	__u64 uaddrlen; /* accept: its socklen_t * */
	__u64 upath;    /* opens: the path pointer, to retry at exit */
	__u32 data_len; /* bytes of event.data in use: the path with its NUL, or the address */
	/* built here and copied to the ring with only data_len bytes of data: a short path makes
	 * a short event, and the ring holds that many more */
	struct openclose_event event;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct openclose_start);
} openclose_start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096 * 4096); /* bytes; --buffer-pages sets it before load */
} openclose_events SEC(".maps");

/* events dropped because the ring buffer was full, or enters that could not be stored */
CTRACE_LOST_COUNTER(openclose_lost);

static __always_inline int kind_of(long id)
{
#pragma unroll
	for (int k = 0; k < OC_KINDS; k++)
		if (targ_nrs[k] >= 0 && id == targ_nrs[k])
			return k;
	return -1;
}

static __always_inline __u32 clamp_addr_len(__u64 len)
{
	return len > OPENCLOSE_ADDR_MAX ? OPENCLOSE_ADDR_MAX : (__u32)len;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(handle_sys_enter, struct pt_regs *regs, long id)
{
	struct openclose_start *s;
	const char *path = 0;
	int kind;

	if (ctrace_should_discard())
		return 0;
	kind = kind_of(id);
	if (kind < 0)
		return 0;
	if (targ_host_uts_inum && current_uts_inum() == targ_host_uts_inum)
		return 0;
	s = bpf_task_storage_get(&openclose_start, bpf_get_current_task_btf(), 0,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!s) {
		count_lost(&openclose_lost);
		return 0;
	}
	s->kind = kind;
	s->fd = -1;
	s->flags = 0;
	s->addr_len = 0;
	s->uaddr = 0;
	s->uaddrlen = 0;
	s->upath = 0;
	s->data_len = 0;
	switch (kind) {
	case OC_OPEN:
		path = (const char *)syscall_arg(regs, 0);
		s->flags = syscall_arg(regs, 1);
		break;
	case OC_OPENAT:
		s->fd = syscall_arg(regs, 0);
		path = (const char *)syscall_arg(regs, 1);
		s->flags = syscall_arg(regs, 2);
		break;
	case OC_OPENAT2:
		s->fd = syscall_arg(regs, 0);
		path = (const char *)syscall_arg(regs, 1);
		/* struct open_how starts with __u64 flags */
		bpf_probe_read_user(&s->flags, sizeof(s->flags),
				    (void *)syscall_arg(regs, 2));
		break;
	case OC_ACCEPT:
	case OC_ACCEPT4:
		s->fd = syscall_arg(regs, 0);
		s->uaddr = syscall_arg(regs, 1);
		s->uaddrlen = syscall_arg(regs, 2);
		break; /* the peer address is read at exit */
	case OC_CONNECT: {
		void *uaddr = (void *)syscall_arg(regs, 1);
		__u32 len = clamp_addr_len(syscall_arg(regs, 2));

		s->fd = syscall_arg(regs, 0);
		if (uaddr && bpf_probe_read_user(s->event.data, len & (OPENCLOSE_DATA_LEN - 1), uaddr) == 0) {
			s->addr_len = len;
			s->data_len = len;
		}
		break;
	}
	case OC_CLOSE:
		s->fd = syscall_arg(regs, 0);
		break;
	}
	if (path) {
		long n = bpf_probe_read_user_str(s->event.data, sizeof(s->event.data), path);

		if (n > 0) {
			s->data_len = n;
		} else {
			/* not paged in yet: the syscall faults it in, read it again at exit */
			s->upath = (__u64)path;
		}
	}
	s->active = 1;
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(handle_sys_exit, struct pt_regs *regs, long ret)
{
	struct openclose_start *s;
	struct openclose_event *e;
	__u32 size;

	/* No container check here: only tasks that passed it at enter have an active start. */
	s = bpf_task_storage_get(&openclose_start, bpf_get_current_task_btf(), 0, 0);
	if (!s || !s->active)
		return 0;
	s->active = 0;
	if (targ_failed_only && !is_syscall_error(ret))
		return 0;

	e = &s->event;
	fill_task_info(&e->task);
	e->ret = ret;
	e->flags = s->flags;
	e->fd = s->fd;
	e->kind = s->kind;
	e->addr_len = s->addr_len;
	if (s->upath) {
		long n = bpf_probe_read_user_str(e->data, sizeof(e->data), (void *)s->upath);

		s->data_len = n > 0 ? n : 0;
	}
	if ((e->kind == OC_ACCEPT || e->kind == OC_ACCEPT4) && ret >= 0 && s->uaddr && s->uaddrlen) {
		__u32 len = 0;

		/* the peer's real length (callers normally pass a sockaddr_storage) */
		bpf_probe_read_user(&len, sizeof(len), (void *)s->uaddrlen);
		len = clamp_addr_len(len);
		if (bpf_probe_read_user(e->data, len & (OPENCLOSE_DATA_LEN - 1), (void *)s->uaddr) == 0) {
			e->addr_len = len;
			s->data_len = len;
		}
	}
	size = s->data_len;
	if (size > OPENCLOSE_DATA_LEN)
		size = OPENCLOSE_DATA_LEN;
	if (bpf_ringbuf_output(&openclose_events, e, offsetof(struct openclose_event, data) + size, 0))
		count_lost(&openclose_lost);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
