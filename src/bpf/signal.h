/* SPDX-License-Identifier: GPL-2.0 */
/* ctrace signal: one event per signal generated (signal_generate), sender and target. Shared
 * by kernel and user space. */
#ifndef CTRACE_SIGNAL_H
#define CTRACE_SIGNAL_H

#include "task_info.h"

/* signal_event.result: the kernel's enum trace_signal_result, what __send_signal_locked() did */
enum signal_result {
	SIGNAL_RESULT_DELIVERED = 0,	   /* queued (or SIGKILL/SIGSTOP acted on) */
	SIGNAL_RESULT_IGNORED = 1,	   /* dropped: ignored by the target, or the target is dying */
	SIGNAL_RESULT_ALREADY_PENDING = 2, /* a standard signal already pending: merged */
	SIGNAL_RESULT_OVERFLOW_FAIL = 3,   /* a real-time signal past RLIMIT_SIGPENDING: lost */
	SIGNAL_RESULT_LOSE_INFO = 4,	   /* delivered without its siginfo (no memory, rlimit) */
};

/* signal_event.flags */
#define SIGNAL_F_FROM_KERNEL 0x1 /* sent by the kernel: `sender` is only where it ran */
#define SIGNAL_F_GROUP 0x2	 /* process-directed (kill, the whole group); else this thread */
#define SIGNAL_F_SENDER_MATCH 0x4 /* the sender (current) passed the filter */
#define SIGNAL_F_TARGET_MATCH 0x8 /* the target passed the filter */

/* si_code values (include/uapi/asm-generic/siginfo.h) */
#define SIGNAL_SI_USER 0
#define SIGNAL_SI_KERNEL 0x80

struct signal_event {
	struct ctrace_task_info sender; /* current: the sender, or the task the kernel ran in */
	struct ctrace_task_info target;
	__s32 sig;
	__s32 code;  /* si_code: SI_USER, SI_TKILL, SI_QUEUE, SI_KERNEL, a fault's SEGV_* ... */
	__s32 si_errno;
	__u32 result; /* enum signal_result */
	__u32 flags;  /* SIGNAL_F_* */
	__u32 sender_ns_pid; /* tgids in their own pid namespaces */
	__u32 target_ns_pid;
	__u32 pad;
};

#endif
