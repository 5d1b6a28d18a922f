// SPDX-License-Identifier: GPL-2.0
/* The host view: what every container does, counted in the kernel, keyed by cgroup.
 * sys_exit: one program for syscall counts, errors, per-syscall counts, opens and
 *   namespace changes: the syscall nr and arguments are still in pt_regs at exit, so
 *   no sys_enter program and no per-task state are needed (half the floor's hooks).
 * block_bio_queue: block I/O bytes by the submitter's cgroup.
 * inet_sock_set_state: TCP connect attempts and their result.
 * cgroup_mkdir/rmdir: a small ring buffer, so that user space names short-lived cgroups.
 * sched_process_exec, sched_process_exit, signal_generate, mark_victim: execs, exits by how
 *   they ended, fatal signals by the target's cgroup, OOM kills by the victim's; rare events
 *   next to syscalls, nothing added to sys_exit.
 *
 * The cgroup id comes from bpf_get_current_cgroup_id(), the rare events (bio_list,
 * cgroup_mkdir/rmdir) read with BPF_CORE_READ: the verifier's checks of direct loads cost
 * start-up time (bench/README.md, "top: CPU until attached").
 *
 * Keyed by the task's own cgroup v2 id, not folded into the container's here: which
 * grouping a reader wants (container, pod, cgroup) is its choice, made once per interval
 * over a few hundred keys, and a kernel-side fold would add a third hash lookup per
 * syscall plus a map that must be kept in step with cgroup creation. Readers learn every
 * cgroup's path from the mkdir events, so removed cgroups still fold correctly. */
#include "vmlinux.h"

#include "common.bpf.h"
#include "hostview.h"

/* include/linux/blk_types.h: the op is the low bits of bi_opf */
#define HOSTVIEW_REQ_OP_MASK ((1U << 8) - 1)
#define HOSTVIEW_REQ_OP_READ 0
#define HOSTVIEW_REQ_OP_WRITE 1


/* struct sock's fields read through the inet_sock that embeds it first (every socket of this
 * tracepoint is one): the same offsets, but a CO-RE root type that does not share the kernel's
 * candidate-cache slot with kernfs_node (bench/README.md, "top: CPU until attached"). */
#define HOSTVIEW_SOCK(sk) ((const struct inet_sock *)(sk))

#define HOSTVIEW_ECONNREFUSED 111
#define HOSTVIEW_ETIMEDOUT 110
#define IPPROTO_TCP 6

/* Syscall nrs of the native ABI (libseccomp in user space); -1: none on this arch. */
const volatile __s32 targ_nr_open = -1;
const volatile __s32 targ_nr_creat = -1;
const volatile __s32 targ_nr_openat = -1;
const volatile __s32 targ_nr_openat2 = -1;
const volatile __s32 targ_nr_unshare = -1;
const volatile __s32 targ_nr_setns = -1;
const volatile __s32 targ_nr_clone = -1;
const volatile __s32 targ_nr_clone3 = -1;

/* Not preallocated: a host has far fewer cgroups and (cgroup, nr) pairs than the bounds, and
 * preallocating every per-CPU value cost ~13 ms of top's start-up (pcpu_alloc) and
 * max_entries x CPUs x value size of kernel memory whether used or not. A key is allocated
 * once, on its first count (lookup_or_create). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, HOSTVIEW_MAX_CGROUPS);
	__type(key, __u64);
	__type(value, struct hostview_counters);
} hostview_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, HOSTVIEW_MAX_SYSCALL_KEYS);
	__type(key, struct hostview_syscall_key);
	__type(value, struct hostview_syscall_value);
} hostview_syscalls SEC(".maps");

/* sockets in SYN_SENT -> the cgroup of the task that connected */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, HOSTVIEW_MAX_CONNECTING);
	__type(key, __u64);
	__type(value, __u64);
} hostview_connecting SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, HOSTVIEW_EVENTS_BYTES);
} hostview_events SEC(".maps");

/* counts that found their map full (hostview_counters or hostview_syscalls) */
CTRACE_LOST_COUNTER(hostview_dropped);
/* cgroup events that did not fit in the ring buffer */
CTRACE_LOST_COUNTER(hostview_lost);

static const struct hostview_counters zero_counters;
static const struct hostview_syscall_value zero_syscall;

/* The value of `key`, created when missing; NULL (and counted) when the map is full. */
static __always_inline void *lookup_or_create(void *map, const void *key, const void *zero)
{
	void *v = bpf_map_lookup_elem(map, key);
	if (v)
		return v;
	/* -EEXIST: another CPU created it in between; anything else: full */
	if (bpf_map_update_elem(map, key, zero, BPF_NOEXIST) && !bpf_map_lookup_elem(map, key)) {
		count_lost(&hostview_dropped);
		return NULL;
	}
	return bpf_map_lookup_elem(map, key);
}

static __always_inline struct hostview_counters *counters_of(__u64 cgroup_id)
{
	return lookup_or_create(&hostview_counters, &cgroup_id, &zero_counters);
}

/* The rarer calls: only reached for the few nrs that need a look at their arguments. */
static __always_inline void count_special(struct hostview_counters *c, struct pt_regs *regs,
					  long nr, long ret)
{
	__u64 flags;

	if (ret < 0)
		return;
	if (nr == targ_nr_openat || nr == targ_nr_open || nr == targ_nr_openat2 || nr == targ_nr_creat) {
		c->opens++;
	} else if (nr == targ_nr_unshare) {
		if (syscall_arg(regs, 0) & CTRACE_CLONE_NEW_FLAGS)
			c->ns_changes[HOSTVIEW_NS_UNSHARE]++;
	} else if (nr == targ_nr_setns) {
		c->ns_changes[HOSTVIEW_NS_SETNS]++;
	} else if (nr == targ_nr_clone) {
		/* the parent (ret = child pid): the child returns 0 in its own exit */
		if (ret > 0 && (syscall_arg(regs, 0) & CTRACE_CLONE_NEW_FLAGS_CLONE))
			c->ns_changes[HOSTVIEW_NS_CLONE]++;
	} else if (nr == targ_nr_clone3) {
		struct clone_args *args = (struct clone_args *)syscall_arg(regs, 0);
		if (ret > 0 && !bpf_probe_read_user(&flags, sizeof(flags), &args->flags) &&
		    (flags & CTRACE_CLONE_NEW_FLAGS))
			c->ns_changes[HOSTVIEW_NS_CLONE]++;
	}
}

SEC("tp_btf/sys_exit")
int BPF_PROG(handle_sys_exit, struct pt_regs *regs, long ret)
{
	struct hostview_syscall_key key;
	struct hostview_syscall_value *s;
	struct hostview_counters *c;
	bool failed = is_syscall_error(ret);
	long nr;

	if (ctrace_should_discard())
		return 0;
	key.cgroup_id = bpf_get_current_cgroup_id();
	c = counters_of(key.cgroup_id);
	if (!c)
		return 0;
	nr = syscall_nr_of(regs);
	c->syscalls++;
	if (failed)
		c->errors++;
	/* the special nrs are all below 512 on every arch; one compare skips them mostly */
	if (nr == targ_nr_openat || nr == targ_nr_open || nr == targ_nr_openat2 ||
	    nr == targ_nr_creat || nr == targ_nr_unshare || nr == targ_nr_setns ||
	    nr == targ_nr_clone || nr == targ_nr_clone3)
		count_special(c, regs, nr, ret);

	key.nr = (__u32)nr;
	key.pad = 0;
	s = lookup_or_create(&hostview_syscalls, &key, &zero_syscall);
	if (!s)
		return 0;
	s->count++;
	if (failed)
		s->errors++;
	return 0;
}

SEC("tp_btf/block_bio_queue")
int BPF_PROG(handle_block_bio_queue, struct bio *bio)
{
	struct hostview_counters *c;
	__u32 op, size;

	if (ctrace_should_discard())
		return 0;
	/* a stacked driver's clones: the bio they come from was counted when it was submitted */
	if (BPF_CORE_READ((struct task_struct *)bpf_get_current_task(), bio_list))
		return 0;
	op = BPF_CORE_READ(bio, bi_opf) & HOSTVIEW_REQ_OP_MASK;
	if (op != HOSTVIEW_REQ_OP_READ && op != HOSTVIEW_REQ_OP_WRITE)
		return 0;
	c = counters_of(bpf_get_current_cgroup_id());
	if (!c)
		return 0;
	size = BPF_CORE_READ(bio, bi_iter.bi_size);
	if (op == HOSTVIEW_REQ_OP_READ) {
		c->read_bytes += size;
		c->read_ios++;
	} else {
		c->write_bytes += size;
		c->write_ios++;
	}
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(handle_inet_sock_set_state, const struct sock *sk, const int oldstate, const int newstate)
{
	struct hostview_counters *c;
	__u64 key = (__u64)sk;
	__u64 cgroup_id, *saved;
	int result, err;

	if (oldstate == TCP_SYN_SENT) {
		/* Leaving SYN_SENT, often in softirq (any task): only sockets counted below are
		 * in the map, with their connecting task's cgroup. */
		saved = bpf_map_lookup_elem(&hostview_connecting, &key);
		if (!saved)
			return 0;
		cgroup_id = *saved;
		bpf_map_delete_elem(&hostview_connecting, &key);
		if (newstate == TCP_ESTABLISHED) {
			result = HOSTVIEW_CONNECT_OK;
		} else {
			/* tcp_done_with_error() sets sk_err before the state goes to CLOSE */
			err = BPF_CORE_READ(HOSTVIEW_SOCK(sk), sk.sk_err);
			result = err == HOSTVIEW_ECONNREFUSED ? HOSTVIEW_CONNECT_REFUSED
				 : err == HOSTVIEW_ETIMEDOUT  ? HOSTVIEW_CONNECT_TIMEOUT
							      : HOSTVIEW_CONNECT_OTHER;
		}
		c = counters_of(cgroup_id);
		if (c && result >= 0 && result < HOSTVIEW_CONNECT_RESULTS)
			c->connect_results[result]++;
		return 0;
	}
	if (oldstate != TCP_CLOSE || newstate != TCP_SYN_SENT)
		return 0;
	if (ctrace_should_discard())
		return 0;
	if (BPF_CORE_READ(HOSTVIEW_SOCK(sk), sk.sk_protocol) != IPPROTO_TCP)
		return 0;
	cgroup_id = bpf_get_current_cgroup_id();
	c = counters_of(cgroup_id);
	if (!c)
		return 0;
	c->connects++;
	bpf_map_update_elem(&hostview_connecting, &key, &cgroup_id, BPF_ANY);
	return 0;
}

SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(handle_cgroup_mkdir, struct cgroup *cgrp, const char *path)
{
	return ctrace_send_cgroup_event(&hostview_events, &hostview_lost, cgrp, path, CTRACE_CGROUP_MKDIR);
}

SEC("tp_btf/cgroup_rmdir")
int BPF_PROG(handle_cgroup_rmdir, struct cgroup *cgrp, const char *path)
{
	return ctrace_send_cgroup_event(&hostview_events, &hostview_lost, cgrp, path, CTRACE_CGROUP_RMDIR);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(handle_sched_process_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct hostview_counters *c;

	if (ctrace_should_discard())
		return 0;
	c = counters_of(bpf_get_current_cgroup_id());
	if (c)
		c->execs++;
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(handle_sched_process_exit, struct task_struct *task, bool group_dead)
{
	struct hostview_counters *c;
	__u32 status;

	if (ctrace_should_discard())
		return 0;
	/* processes, not threads: the group's last thread */
	if (!group_dead)
		return 0;
	/* The last thread's own code, not signal->group_exit_code (exit.bpf.c): the same
	 * exit, code or signal whenever it matters here (a group exit or a fatal signal gives every
	 * thread the group's code; only a core flag, not looked at, can differ), and no signal_struct
	 * relocation: it shares the kernel's CO-RE candidate-cache slot with block_bio_queue's bio,
	 * each would evict the other and search the kernel's BTF again at every load. */
	status = BPF_CORE_READ(task, exit_code);
	c = counters_of(bpf_get_current_cgroup_id());
	if (!c)
		return 0;
	if (status == 0)
		c->exits[HOSTVIEW_EXIT_OK]++;
	else if (status & 0x7f)
		c->exits[HOSTVIEW_EXIT_SIGNAL]++;
	else
		c->exits[HOSTVIEW_EXIT_CODE]++;
	return 0;
}

/* In the sender's context, counted for the target: its filter is the target's. */
SEC("tp_btf/signal_generate")
int BPF_PROG(handle_signal_generate, int sig, struct kernel_siginfo *info, struct task_struct *task,
	     int group, int result)
{
	struct hostview_counters *c;
	__u32 slot;

	if (result != TRACE_SIGNAL_DELIVERED || sig < 1 || sig > 64 ||
	    !(CTRACE_FATAL_SIGNALS & (1ULL << ((sig - 1) & 63))))
		return 0;
	if (ctrace_should_discard_task(task))
		return 0;
	c = counters_of(BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id));
	if (!c)
		return 0;
	slot = (__u32)sig < HOSTVIEW_SIGNAL_SLOTS ? (__u32)sig : 0;
	c->fatal_signals[slot & (HOSTVIEW_SIGNAL_SLOTS - 1)]++;
	return 0;
}

/* In the task that ran into the OOM, counted for the victim. */
SEC("tp_btf/mark_victim")
int BPF_PROG(handle_mark_victim, struct task_struct *task, uid_t uid)
{
	struct hostview_counters *c;

	if (ctrace_should_discard_task(task))
		return 0;
	c = counters_of(BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id));
	if (c)
		c->oom_kills++;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
