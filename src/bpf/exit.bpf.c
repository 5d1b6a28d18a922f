// SPDX-License-Identifier: GPL-2.0
/* ctrace exit: how the processes of a container end.
 * sched_process_exit (do_exit(), in the exiting thread, before its mm and files are
 * released): filter, then one event per thread-group exit (group_dead: the last thread out),
 * or per thread with targ_threads.
 *
 * Fields (exit.h): exit_code is the wait(2) status, EXIT_STATUS/EXIT_SIGNAL/EXIT_CORE_DUMPED,
 * as wait() will give it to the parent (task_exit_status(), task_info.bpf.h).
 * The core flag (0x80) is set only when a core file was actually written (RLIMIT_CORE and
 * core_pattern allowing), as WCOREDUMP() shows it. lifetime_ns uses start_boottime, not
 * start_time: CLOCK_BOOTTIME counts a suspend, as the parent's clock does, and it is what
 * /proc/PID/stat's starttime is; exec does not reset it (a process's life starts at fork).
 * After a non-leader thread's exec the leader's start time is kept (de_thread copies it).
 * For a group exit it is the leader's start, even when a later thread exits last.
 * ns_pid == 1 (EXIT_F_NS_INIT): the container's init; its death makes the kernel SIGKILL
 * every other process of its pid namespace (their exits follow, as SIGKILL).
 * Edge cases:
 * - zombies: the event is the exit itself; the zombie stays until the parent's wait()
 *   (not traced), ppid is who will reap it at that moment (reparented if the parent died).
 * - threads (targ_threads): every thread's exit with its own code; the threads an exit_group
 *   or a fatal signal kills carry the group's status (do_group_exit()).
 * - a thread that execs: the kernel ends the other threads (the old leader too, with its tid)
 *   with code 0 and no signal_generate; no group exit, the process lives on in the new program.
 *   EXIT_F_NS_INIT on such a thread exit is not the container's end: that is GROUP_DEAD too. */
#include "vmlinux.h"

#include "common.bpf.h"
#include "exit.h"
#include "task_info.bpf.h"

/* --threads: every thread's exit, not just the last of each group */
const volatile bool targ_threads = false;
/* -x/--failed: non-zero status or death by a signal */
const volatile bool targ_failed_only = false;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1024 * 4096); /* bytes; user space sets it before load */
} exit_events SEC(".maps");

CTRACE_LOST_COUNTER(exit_lost);

SEC("tp_btf/sched_process_exit")
int BPF_PROG(handle_sched_process_exit, struct task_struct *task, bool group_dead)
{
	struct task_struct *leader;
	struct exit_event *e;
	__u32 code, flags = 0;

	if (ctrace_should_discard())
		return 0;
	if (!group_dead && !targ_threads)
		return 0;
	code = task_exit_status(task, group_dead);
	if (group_dead)
		flags |= EXIT_F_GROUP_DEAD;
	if (targ_failed_only && code == 0)
		return 0;

	e = reserve_or_count_lost(&exit_events, &exit_lost, sizeof(*e));
	if (!e)
		return 0;
	fill_task_info(&e->task);
	leader = BPF_CORE_READ(task, group_leader);
	if (leader == task)
		flags |= EXIT_F_LEADER;
	e->lifetime_ns = bpf_ktime_get_boot_ns() -
			 (group_dead ? BPF_CORE_READ(leader, start_boottime) : BPF_CORE_READ(task, start_boottime));
	e->exit_code = code;
	e->ns_tid = ns_pid_of(task);
	e->ns_pid = ns_pid_of(leader);
	if (e->ns_pid == 1)
		flags |= EXIT_F_NS_INIT;
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	e->flags = flags;
	e->pad = 0;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
