// SPDX-License-Identifier: GPL-2.0
/* ctrace tcpconnect: TCP connection attempts of a container with their outcome.
 * inet_sock_set_state CLOSE -> SYN_SENT runs in the connecting task: filter there and keep
 * the socket (and the time) in task storage. The source port is chosen after that state change,
 * so the 4-tuple is read when the syscall returns (sys_exit), together with its return value.
 * A refused blocking connect has cleared the socket's addresses by then: the tuple is also
 * saved per socket when it leaves SYN_SENT (in softirq, any task) and used in that case.
 * A blocking connect's outcome is its return value: the event goes at sys_exit. A non-blocking
 * one (-EINPROGRESS) still in SYN_SENT waits, whole, in an LRU hash keyed by the socket until
 * the socket leaves SYN_SENT (ESTABLISHED: ok; CLOSE: sk_err says refused, timed out, reset,
 * or 0 when its task closed it first), and goes then with the outcome and its time. On
 * loopback the answer often comes before connect() returns: the socket is no longer in
 * SYN_SENT at sys_exit, and its state there is the outcome. */
#include "vmlinux.h"

#include "common.bpf.h"
#include "task_info.bpf.h"
#include "tcpconnect.h"

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6

struct tcpconnect_start {
	__u64 sk; /* struct sock *, 0 when none is pending */
	__u64 start_ns;
};

#define ECONNRESET 104
#define ETIMEDOUT 110
#define ECONNREFUSED 111
#define EINPROGRESS 115

struct tcpconnect_tuple {
	__u16 family;
	__u16 sport;
	__u16 dport;
	__u16 pad;
	__u8 saddr[16];
	__u8 daddr[16];
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

/* sockets in SYN_SENT of a traced task -> their last known 4-tuple */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct tcpconnect_tuple);
} tcpconnect_tuples SEC(".maps");

/* non-blocking connects in SYN_SENT -> their event, sent when the socket leaves it */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, TCPCONNECT_MAX_INFLIGHT);
	__type(key, __u64);
	__type(value, struct tcpconnect_event);
} tcpconnect_inflight SEC(".maps");

CTRACE_LOST_COUNTER(tcpconnect_lost);

/* The outcome of a socket that left SYN_SENT for `state` (tcp_done_with_error() sets sk_err
 * before the state goes to CLOSE). */
static __always_inline __u32 outcome_of(const struct sock *sk, int state, __s32 *err)
{
	if (state == TCP_ESTABLISHED)
		return TCPCONNECT_OK;
	*err = BPF_CORE_READ(sk, sk_err);
	switch (*err) {
	case 0:
		return TCPCONNECT_CLOSED;
	case ECONNREFUSED:
		return TCPCONNECT_REFUSED;
	case ETIMEDOUT:
		return TCPCONNECT_TIMEOUT;
	case ECONNRESET:
		return TCPCONNECT_RESET;
	default:
		return TCPCONNECT_OTHER;
	}
}

/* A blocking connect's outcome: its return value. */
static __always_inline __u32 outcome_of_ret(long ret)
{
	switch (ret) {
	case 0:
		return TCPCONNECT_OK;
	case -ECONNREFUSED:
		return TCPCONNECT_REFUSED;
	case -ETIMEDOUT:
		return TCPCONNECT_TIMEOUT;
	case -ECONNRESET:
		return TCPCONNECT_RESET;
	default:
		return TCPCONNECT_UNKNOWN;
	}
}

static __always_inline void read_tuple(const struct sock *sk, struct tcpconnect_tuple *t)
{
	__builtin_memset(t, 0, sizeof(*t));
	t->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	/* inet_sport, not skc_num: closing a refused socket releases the port (skc_num = 0)
	 * but leaves inet_sport */
	t->sport = __builtin_bswap16(BPF_CORE_READ((struct inet_sock *)sk, inet_sport));
	t->dport = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (t->family == AF_INET6) {
		BPF_CORE_READ_INTO(&t->saddr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(&t->daddr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	} else {
		BPF_CORE_READ_INTO((__u32 *)t->saddr, sk, __sk_common.skc_rcv_saddr);
		BPF_CORE_READ_INTO((__u32 *)t->daddr, sk, __sk_common.skc_daddr);
	}
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(handle_inet_sock_set_state, const struct sock *sk, const int oldstate, const int newstate)
{
	struct tcpconnect_start *s;
	struct tcpconnect_tuple t;
	__u64 key = (__u64)sk;

	if (oldstate == TCP_SYN_SENT) {
		struct tcpconnect_event *pending, *e;

		/* Leaving SYN_SENT, maybe in softirq: no container check, only sockets that
		 * passed it below are in the maps. The 4-tuple is complete here. */
		if (bpf_map_lookup_elem(&tcpconnect_tuples, &key)) {
			read_tuple(sk, &t);
			bpf_map_update_elem(&tcpconnect_tuples, &key, &t, BPF_EXIST);
		}
		pending = bpf_map_lookup_elem(&tcpconnect_inflight, &key);
		if (!pending)
			return 0;
		e = reserve_or_count_lost(&tcpconnect_events, &tcpconnect_lost, sizeof(*e));
		if (!e) {
			bpf_map_delete_elem(&tcpconnect_inflight, &key);
			return 0;
		}
		__builtin_memcpy(e, pending, sizeof(*e));
		/* whoever deletes the entry sends the event: here, or sys_exit (see there) */
		if (bpf_map_delete_elem(&tcpconnect_inflight, &key)) {
			bpf_ringbuf_discard(e, 0);
			return 0;
		}
		e->outcome_ns = bpf_ktime_get_ns();
		e->err = 0;
		e->outcome = outcome_of(sk, newstate, &e->err);
		bpf_ringbuf_submit(e, 0);
		return 0;
	}
	if (oldstate != TCP_CLOSE || newstate != TCP_SYN_SENT)
		return 0;
	if (ctrace_should_discard())
		return 0;
	if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	s = bpf_task_storage_get(&tcpconnect_start, bpf_get_current_task_btf(), 0,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!s) {
		count_lost(&tcpconnect_lost);
		return 0;
	}
	s->sk = key;
	s->start_ns = bpf_ktime_get_ns();
	read_tuple(sk, &t);
	bpf_map_update_elem(&tcpconnect_tuples, &key, &t, BPF_ANY);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(handle_sys_exit, struct pt_regs *regs, long ret)
{
	struct tcpconnect_start *s;
	struct tcpconnect_event *e;
	struct tcpconnect_tuple now, *saved;
	__u64 key, start_ns;
	int state;

	/* No container check: only tasks that passed it in the state change have a socket. */
	s = bpf_task_storage_get(&tcpconnect_start, bpf_get_current_task_btf(), 0, 0);
	if (!s || !s->sk)
		return 0;
	key = s->sk;
	start_ns = s->start_ns;
	s->sk = 0;
	read_tuple((struct sock *)key, &now);
	saved = bpf_map_lookup_elem(&tcpconnect_tuples, &key);
	/* a reset connect cleared the socket's ports: use the tuple saved as it left SYN_SENT */
	if (!now.dport && saved)
		now = *saved;
	bpf_map_delete_elem(&tcpconnect_tuples, &key);

	e = reserve_or_count_lost(&tcpconnect_events, &tcpconnect_lost, sizeof(*e));
	if (!e)
		return 0;
	fill_task_info(&e->task);
	e->ret = ret;
	e->start_ns = start_ns;
	e->outcome_ns = e->task.ts_ns;
	e->err = 0;
	e->family = now.family;
	e->sport = now.sport;
	e->dport = now.dport;
	e->pad = 0;
	__builtin_memcpy(e->saddr, now.saddr, sizeof(e->saddr));
	__builtin_memcpy(e->daddr, now.daddr, sizeof(e->daddr));
	if (ret != -EINPROGRESS) {
		e->outcome = outcome_of_ret(ret);
		bpf_ringbuf_submit(e, 0);
		return 0;
	}
	/* Waits for the answer in the map (without room: goes now, outcome unknown). The state is
	 * read after the entry is in: a socket still in SYN_SENT then is sent by the state change;
	 * one answered already (on loopback, often before connect() returned) is sent here with
	 * the state it is in, unless the state change took the entry first. */
	e->outcome = TCPCONNECT_UNKNOWN;
	if (bpf_map_update_elem(&tcpconnect_inflight, &key, e, BPF_ANY)) {
		bpf_ringbuf_submit(e, 0);
		return 0;
	}
	state = BPF_CORE_READ((struct sock *)key, __sk_common.skc_state);
	if (state == TCP_SYN_SENT || bpf_map_delete_elem(&tcpconnect_inflight, &key)) {
		bpf_ringbuf_discard(e, 0);
		return 0;
	}
	e->outcome = outcome_of((struct sock *)key, state, &e->err);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
