/* SPDX-License-Identifier: GPL-2.0 */
/* ctrace exit: one event per thread-group exit (per thread with targ_threads). Shared by
 * kernel and user space. */
#ifndef CTRACE_EXIT_H
#define CTRACE_EXIT_H

#include "task_info.h"

/* exit_event.flags */
#define EXIT_F_GROUP_DEAD 0x1 /* the last thread of its group: the process is gone */
#define EXIT_F_NS_INIT 0x2    /* the process is pid 1 of its pid namespace (a container's init) */
#define EXIT_F_LEADER 0x4     /* the exiting thread is the group leader (tid == pid) */

/* The wait(2) status in exit_code, as <sys/wait.h> reads it. */
#define EXIT_STATUS(code) (((code) >> 8) & 0xff) /* exit(N): N, when EXIT_SIGNAL is 0 */
#define EXIT_SIGNAL(code) ((code) & 0x7f)	 /* killed by this signal (0: exited) */
#define EXIT_CORE_DUMPED(code) (((code) & 0x80) != 0)

struct exit_event {
	struct ctrace_task_info task; /* the exiting thread (current) */
	/* the process's life: now - start_boottime of the group leader (of the thread with
	 * targ_threads and !EXIT_F_GROUP_DEAD), CLOCK_BOOTTIME, suspend included */
	__u64 lifetime_ns;
	__u32 exit_code; /* group exit: the status wait() gives the parent; a thread: its own */
	__u32 ns_pid;	 /* pid (tgid) in the task's own pid namespace */
	__u32 ns_tid;
	__u32 ppid; /* the real parent's tgid (host) at exit: who reaps it */
	__u32 flags; /* EXIT_F_* */
	__u32 pad;
};

#endif
