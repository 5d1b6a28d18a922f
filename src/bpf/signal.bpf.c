// SPDX-License-Identifier: GPL-2.0
/* ctrace signal: who signals whom.
 * signal_generate (__send_signal_locked(), every signal the kernel queues or drops, in the
 * sender's context): the signal mask, then the filter on EITHER end: the target task's
 * container, or the sender's (current) when the sender is a task; then one event.
 *
 * Fields (signal.h): sender = current and target = the `task` argument, each a full
 * ctrace_task_info (cgroup, UTS, comm) plus its pid in its own pid namespace; sig, si_code,
 * si_errno, result (enum signal_result), SIGNAL_F_GROUP (process-directed: kill(2), a group
 * kill; the `task` is then the thread the pid named, usually the leader; else thread-directed:
 * tgkill(2), a fault), SIGNAL_F_*_MATCH (which end passed the filter).
 * From the kernel or from current (SIGNAL_F_FROM_KERNEL), decided from the siginfo:
 * - SEND_SIG_NOINFO (info 0, si_code SI_USER): an in-kernel send on behalf of current
 *   (SIGPIPE of a write to a closed pipe, SIGXFSZ): current;
 * - SEND_SIG_PRIV (info 1, SI_KERNEL): the kernel (the OOM killer's SIGKILL, a tty hangup's
 *   SIGHUP, SIGALRM of an itimer, a pid namespace's init dying);
 * - si_code > 0 (SI_FROMKERNEL: faults SEGV_*, BUS_*, FPE_*, ILL_*, TRAP_*, SIGCHLD's CLD_*,
 *   POLL_*) and SI_TIMER, SI_SIGIO, SI_ASYNCIO, SI_ASYNCNL (timers, I/O, completions that run
 *   in interrupt or another task's context): the kernel;
 * - SI_USER, SI_QUEUE, SI_TKILL, SI_MESGQ (kill, sigqueue, tgkill, a message queue's
 *   notify) and SI_DETHREAD: the syscall's caller, current.
 * A kernel signal is matched on its target only: current may be any task then.
 * Edge cases:
 * - the OOM killer's SIGKILL shows here too: FROM_KERNEL, SI_KERNEL, the sender is the task
 *   that ran into the OOM (ctrace oomkill names the same victim);
 * - a signal the target ignores (SIG_IGN, or a default-ignore one such as SIGCHLD/SIGWINCH
 *   without a handler) is IGNORED; a standard signal already pending is ALREADY_PENDING;
 * - SIGKILL/SIGSTOP of a group go to the whole group; which thread handles a group signal is
 *   chosen later (complete_signal), not here;
 * - the SIGKILL that exit_group(2), an exec or a core dump sends a process's other threads
 *   does not pass through here (zap_other_threads() sets it directly): ctrace exit shows those
 *   deaths. A pid namespace's teardown (its init died) does: SEND_SIG_PRIV, from the kernel.
 * Signals to or from ctrace itself are not reported. */
#include "vmlinux.h"

#include "common.bpf.h"
#include "signal.bpf.h"
#include "task_info.bpf.h"

/* --signal LIST / --fatal (CTRACE_FATAL_SIGNALS, common.h): bit (sig - 1) of the signals
 * reported, 1..64 */
const volatile __u64 targ_signal_mask = ~0ULL;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1024 * 4096); /* bytes; user space sets it before load */
} signal_events SEC(".maps");

CTRACE_LOST_COUNTER(signal_lost);

SEC("tp_btf/signal_generate")
int BPF_PROG(handle_signal_generate, int sig, struct kernel_siginfo *info, struct task_struct *task,
	     int group, int result)
{
	struct signal_event *e;
	__u32 flags = 0;
	int code;
	bool kernel;

	if (sig < 1 || sig > 64 || !(targ_signal_mask & (1ULL << ((sig - 1) & 63))))
		return 0;
	kernel = signal_from_kernel(info, &code);
	/* either end: the target, or the sender when it is a task */
	if (task_match(task))
		flags |= SIGNAL_F_TARGET_MATCH;
	if (!kernel && container_match())
		flags |= SIGNAL_F_SENDER_MATCH;
	if (!flags)
		return 0;
	if (is_self_task(task) || (!kernel && is_self()))
		return 0;

	e = reserve_or_count_lost(&signal_events, &signal_lost, sizeof(*e));
	if (!e)
		return 0;
	if (kernel)
		flags |= SIGNAL_F_FROM_KERNEL;
	if (group)
		flags |= SIGNAL_F_GROUP;
	fill_task_info(&e->sender);
	fill_task_info_of(&e->target, task);
	e->sig = sig;
	e->code = code;
	e->si_errno = ((unsigned long)info > 1) ? BPF_CORE_READ(info, si_errno) : 0;
	e->result = result;
	e->flags = flags;
	e->sender_ns_pid = ns_tgid_of(bpf_get_current_task_btf());
	e->target_ns_pid = ns_tgid_of(task);
	e->pad = 0;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
