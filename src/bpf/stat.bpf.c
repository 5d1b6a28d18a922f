// SPDX-License-Identifier: GPL-2.0
/* ctrace stat: count, latency and errors per syscall nr for one container.
 * sys_enter: filter, then remember (start, nr) in task storage.
 * sys_exit: fetch it, aggregate into a per-CPU array indexed by nr. */
#include "vmlinux.h"

#include "common.bpf.h"
#include "stat.h"

const volatile bool targ_failures_only = false;
const volatile __s32 targ_hist_nr = -1;

struct syscall_start {
	__u64 start_ns;
	__u32 nr;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct syscall_start);
} stat_start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, STAT_MAX_SYSCALLS);
	__type(key, __u32);
	__type(value, struct stat_value);
} stat_values SEC(".maps");

/* enters whose start could not be stored (task storage allocation failed) */
CTRACE_LOST_COUNTER(stat_lost);

SEC("tp_btf/sys_enter")
int BPF_PROG(handle_sys_enter, struct pt_regs *regs, long id)
{
	struct syscall_start *s;

	/* ctrace's own calls (map reads, epoll) when it runs inside its target */
	if (ctrace_should_discard())
		return 0;
	s = bpf_task_storage_get(&stat_start, bpf_get_current_task_btf(), 0,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!s) {
		count_lost(&stat_lost);
		return 0;
	}
	s->nr = (__u32)id;
	s->start_ns = bpf_ktime_get_ns();
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(handle_sys_exit, struct pt_regs *regs, long ret)
{
	struct task_struct *task;
	struct syscall_start *s;
	struct stat_value *v;
	__u64 delta;
	__u32 nr;

	/* No container check here: only tasks that passed it at enter have a start.
	 * A task that never had any BPF task storage (most tasks off target) is out
	 * after one load, without the helper call. */
	task = bpf_get_current_task_btf();
	if (!task->bpf_storage)
		return 0;
	s = bpf_task_storage_get(&stat_start, task, 0, 0);
	if (!s || !s->start_ns)
		return 0;
	delta = bpf_ktime_get_ns() - s->start_ns;
	nr = s->nr;
	s->start_ns = 0;

	if (targ_failures_only && !is_syscall_error(ret))
		return 0;
	v = bpf_map_lookup_elem(&stat_values, &nr);
	if (!v)
		return 0;
	v->count++;
	v->total_ns += delta;
	if (delta > v->max_ns)
		v->max_ns = delta;
	if (is_syscall_error(ret))
		v->errors++;
	if (targ_hist_nr >= 0 && nr == (__u32)targ_hist_nr) {
		__u32 b = log2_bucket(delta / 1000);
		if (b >= STAT_HIST_BUCKETS)
			b = STAT_HIST_BUCKETS - 1;
		v->hist[b]++;
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
