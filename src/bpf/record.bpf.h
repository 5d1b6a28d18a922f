/* SPDX-License-Identifier: GPL-2.0 */
/* The flight recorder's ring and its writers, shared by `record` (one target: record.bpf.c)
 * and `serve --record-all` (a region of the ring per container: record_all.bpf.c).
 * The ring lives in the kernel: an array of fixed-size slots, one region per recorded group
 * and, inside it, one part per CPU with a per-CPU head; a new event overwrites the oldest slot
 * of its part. User space only reads the ring when it dumps, without stopping the writers: a
 * slot's seq is 0 while it is written and its position + 1 after, so a reader that sees the
 * same seq before and after copying a slot knows no writer touched it in between.
 * Two programs can run interleaved on one CPU (a preempted writer and another task's writer),
 * so the head is reserved with an atomic add: each writer owns its slot.
 * record_enter: remember the args in task storage, write an ENTER slot with the paths and
 * input buffers. record_exit: write an EXIT slot with the return value and the output buffers
 * (length = return value). The caller has filtered. Include after vmlinux.h. */
#ifndef CTRACE_RECORD_BPF_H
#define CTRACE_RECORD_BPF_H

#include "common.bpf.h"
#include "record.h"
#include "task_info.bpf.h"

#define CTRACE_ARGV_MAX RECORD_ARGV_MAX
#define CTRACE_ARGV_LEN RECORD_ARGV_ARG
#include "argv.bpf.h"

_Static_assert(sizeof(struct ctrace_argv_area) <= RECORD_STR_CAP, "argv fits a slot's string");

const volatile __u32 targ_slots_per_cpu = 1;
const volatile __u32 targ_ncpus = 1; /* possible CPUs: a region holds ncpus parts */
const volatile __u32 targ_string_size = 64;
const volatile bool targ_filter_syscalls = false;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* regions * ncpus * targ_slots_per_cpu, set before load */
	__uint(map_flags, BPF_F_MMAPABLE); /* dumps read it with one mmap */
	__type(key, __u32);
	__type(value, struct record_event);
} record_ring SEC(".maps");

/* per region, events written on this CPU since load: slot = head % targ_slots_per_cpu */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1); /* regions, set before load */
	__type(key, __u32);
	__type(value, __u64);
} record_head SEC(".maps");

/* --syscalls: 1 for a recorded nr (only used with targ_filter_syscalls) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, RECORD_MAX_SYSCALLS);
	__type(key, __u32);
	__type(value, __u8);
} record_syscalls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, RECORD_MAX_SYSCALLS);
	__type(key, __u32);
	__type(value, struct record_argspec);
} record_argspecs SEC(".maps");

struct record_task {
	__u64 args[RECORD_MAX_ARGS];
	__u32 nr;
	__u16 active;
	__u16 retry; /* bit i: string i could not be read at enter, read it again at exit */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct record_task);
} record_tasks SEC(".maps");

/* events not recorded: the ring slot could not be looked up */
CTRACE_LOST_COUNTER(record_lost);

static __always_inline bool syscall_wanted(__u32 nr)
{
	__u8 *on;

	if (!targ_filter_syscalls)
		return true;
	on = bpf_map_lookup_elem(&record_syscalls, &nr);
	return on && *on;
}

/* Reserves the next slot of this CPU's part of `region`; *h is its position, for finish_slot.
 * `owner` tells a region's successive groups apart in its slots (record.h). */
static __always_inline struct record_event *claim_slot(__u32 region, __u32 owner, __u64 *h)
{
	__u32 cpu, idx;
	struct task_struct *task;
	struct record_event *e;
	__u64 *head;

	head = bpf_map_lookup_elem(&record_head, &region);
	if (!head)
		return NULL;
	*h = __sync_fetch_and_add(head, 1);
	cpu = bpf_get_smp_processor_id();
	idx = (region * targ_ncpus + cpu) * targ_slots_per_cpu + (__u32)(*h % targ_slots_per_cpu);
	e = bpf_map_lookup_elem(&record_ring, &idx);
	if (!e) {
		count_lost(&record_lost);
		return NULL;
	}
	/* torn until finish_slot; the barrier keeps the compiler from sinking it below the body */
	*(volatile __u64 *)&e->seq = 0;
	barrier();
	e->ts_ns = bpf_ktime_get_ns();
	e->tgid = bpf_get_current_pid_tgid() >> 32;
	e->tid = (__u32)bpf_get_current_pid_tgid();
	task = bpf_get_current_task_btf();
	e->ns_tid = ns_pid_of(task);
	e->ns_tgid = ns_tgid_of(task);
	e->owner = owner;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->str_meta[0].len = 0;
	e->str_meta[0].capture = 0;
	e->str_meta[1].len = 0;
	e->str_meta[1].capture = 0;
	return e;
}

static __always_inline void finish_slot(struct record_event *e, __u64 h)
{
	barrier();
	*(volatile __u64 *)&e->seq = h + 1;
}

/* Reads string/buffer i of the slot; len is the buffer length (ignored for CSTR). */
static __always_inline void capture(struct record_event *e, int i, __u8 kind, __u8 arg, __u64 ptr,
				    __u64 len)
{
	char *dst = e->str[i & 1];
	long n;

	if (kind == RECORD_CAPTURE_CSTR) {
		n = bpf_probe_read_user_str(dst, targ_string_size + 2, (const void *)ptr);
	} else {
		if (len > targ_string_size)
			len = targ_string_size;
		barrier_var(len);
		if (len > RECORD_STR_MAX)
			len = RECORD_STR_MAX;
		n = bpf_probe_read_user(dst, len, (const void *)ptr);
		if (n == 0)
			n = len;
	}
	e->str_meta[i & 1].len = n;
	e->str_meta[i & 1].arg = arg;
	e->str_meta[i & 1].capture = kind;
}

/* argv of execve: RECORD_ARGV_MAX strings, each in its RECORD_ARGV_ARG-byte part of the buffer,
 * read by the reader exec shares (argv.bpf.h). */
static __always_inline void capture_argv(struct record_event *e, int i, __u8 arg, __u64 ptr)
{
	long n = ctrace_read_argv((struct ctrace_argv_area *)e->str[i & 1], ptr);

	e->str_meta[i & 1].len = (int)n;
	e->str_meta[i & 1].arg = arg;
	e->str_meta[i & 1].capture = RECORD_CAPTURE_ARGV;
}

/* The six syscall arguments. */
static __always_inline void read_args(__u64 *a, struct pt_regs *regs)
{
	a[0] = syscall_arg(regs, 0);
	a[1] = syscall_arg(regs, 1);
	a[2] = syscall_arg(regs, 2);
	a[3] = syscall_arg(regs, 3);
	a[4] = syscall_arg(regs, 4);
	a[5] = syscall_arg(regs, 5);
}


/* A syscall enters in the group that owns `region`. */
static __always_inline int record_enter(struct pt_regs *regs, long id, __u32 region, __u32 owner)
{
	struct record_argspec *spec;
	struct record_task *t;
	struct record_event *e;
	__u32 nr = (__u32)id;
	__u16 retry = 0;
	__u64 h;
	int i;

	/* as at exit: ids outside the table (and -1) are neither recorded nor left active */
	if (nr >= RECORD_MAX_SYSCALLS || !syscall_wanted(nr))
		return 0;
	e = claim_slot(region, owner, &h);
	if (!e)
		return 0;
	e->kind = RECORD_ENTER;
	e->nr = nr;
	e->ret = 0;
	read_args(e->args, regs);

	spec = bpf_map_lookup_elem(&record_argspecs, &nr);
	if (spec) {
#pragma unroll
		for (i = 0; i < RECORD_MAX_STRS; i++) {
			__u8 kind = spec->capture[i], arg = spec->arg[i], la = spec->len_arg[i];
			if (arg >= RECORD_MAX_ARGS)
				continue;
			if (kind == RECORD_CAPTURE_CSTR) {
				capture(e, i, kind, arg, e->args[arg], 0);
				/* a string in a page not yet faulted in (a constant never touched
				 * before): the syscall faults it in, so exit can read it */
				if (e->str_meta[i & 1].len < 0)
					retry |= 1 << i;
			} else if (kind == RECORD_CAPTURE_ARGV) {
				capture_argv(e, i, arg, e->args[arg]);
			} else if (kind == RECORD_CAPTURE_BUF_IN && la < RECORD_MAX_ARGS) {
				capture(e, i, kind, arg, e->args[arg], e->args[la]);
			}
		}
	}

	t = bpf_task_storage_get(&record_tasks, bpf_get_current_task_btf(), 0,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (t) {
		__builtin_memcpy(t->args, e->args, sizeof(t->args));
		t->nr = nr;
		t->active = 1;
		t->retry = retry;
	}
	finish_slot(e, h);
	return 0;
}

/* ... and exits. */
static __always_inline int record_exit(struct pt_regs *regs, long ret, __u32 region, __u32 owner)
{
	struct record_argspec *spec;
	struct record_task *t;
	struct record_event *e;
	__u32 nr;
	__u64 h;
	int i;

	/* The nr of the enter: rt_sigreturn's exit sees the restored registers. */
	t = bpf_task_storage_get(&record_tasks, bpf_get_current_task_btf(), 0, 0);
	if (t && !t->active)
		t = NULL;
	nr = t ? t->nr : (__u32)syscall_nr_of(regs);
	if (nr >= RECORD_MAX_SYSCALLS || !syscall_wanted(nr))
		return 0;
	e = claim_slot(region, owner, &h);
	if (!e) {
		if (t)
			t->active = 0;
		return 0;
	}
	e->kind = RECORD_EXIT;
	e->nr = nr;
	e->ret = ret;
	if (t) {
		__builtin_memcpy(e->args, t->args, sizeof(e->args));
		spec = bpf_map_lookup_elem(&record_argspecs, &nr);
		if (spec) {
#pragma unroll
			for (i = 0; i < RECORD_MAX_STRS; i++) {
				__u8 arg = spec->arg[i], kind = spec->capture[i];
				if (arg >= RECORD_MAX_ARGS)
					continue;
				if (kind == RECORD_CAPTURE_CSTR && (t->retry & (1 << i)))
					capture(e, i, kind, arg, t->args[arg], 0);
				else if (kind == RECORD_CAPTURE_BUF_OUT && ret > 0)
					capture(e, i, kind, arg, t->args[arg], (__u64)ret);
				else if (kind == RECORD_CAPTURE_SOCKADDR_OUT && ret >= 0 && t->args[arg])
					capture(e, i, kind, arg, t->args[arg], RECORD_SOCKADDR_MAX);
			}
		}
		t->active = 0;
	} else {
		__builtin_memset(e->args, 0, sizeof(e->args));
	}
	finish_slot(e, h);
	return 0;
}

#endif
