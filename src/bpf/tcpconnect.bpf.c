// SPDX-License-Identifier: GPL-2.0
/* ctrace tcpconnect: TCP connection attempts of a container with their result.
 * inet_sock_set_state CLOSE -> SYN_SENT runs in the connecting task: filter there and keep
 * the socket in task storage. The source port is chosen after that state change, so the
 * 4-tuple is read when the syscall returns (sys_exit), together with its return value. */
#include "vmlinux.h"

#include "common.bpf.h"
#include "task_info.bpf.h"
#include "tcpconnect.h"

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6

struct tcpconnect_start {
	__u64 sk; /* struct sock *, 0 when none is pending */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct tcpconnect_start);
} tcpconnect_start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1024 * 4096); /* bytes; --buffer-pages sets it before load */
} tcpconnect_events SEC(".maps");

CTRACE_LOST_COUNTER(tcpconnect_lost);

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(handle_inet_sock_set_state, const struct sock *sk, const int oldstate, const int newstate)
{
	struct tcpconnect_start *s;

	if (!container_match())
		return 0;
	if (oldstate != TCP_CLOSE || newstate != TCP_SYN_SENT || is_self())
		return 0;
	if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	s = bpf_task_storage_get(&tcpconnect_start, bpf_get_current_task_btf(), 0,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!s) {
		count_lost(&tcpconnect_lost);
		return 0;
	}
	s->sk = (__u64)sk;
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(handle_sys_exit, struct pt_regs *regs, long ret)
{
	struct tcpconnect_start *s;
	struct tcpconnect_event *e;
	struct sock *sk;

	/* No container check: only tasks that passed it in the state change have a socket. */
	s = bpf_task_storage_get(&tcpconnect_start, bpf_get_current_task_btf(), 0, 0);
	if (!s || !s->sk)
		return 0;
	sk = (struct sock *)s->sk;
	s->sk = 0;

	e = reserve_or_count_lost(&tcpconnect_events, &tcpconnect_lost, sizeof(*e));
	if (!e)
		return 0;
	fill_task_info(&e->task);
	e->ret = ret;
	e->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	e->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	e->dport = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
	e->pad = 0;
	__builtin_memset(e->saddr, 0, sizeof(e->saddr));
	__builtin_memset(e->daddr, 0, sizeof(e->daddr));
	if (e->family == AF_INET6) {
		BPF_CORE_READ_INTO(&e->saddr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(&e->daddr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	} else {
		BPF_CORE_READ_INTO((__u32 *)e->saddr, sk, __sk_common.skc_rcv_saddr);
		BPF_CORE_READ_INTO((__u32 *)e->daddr, sk, __sk_common.skc_daddr);
	}
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
