/* SPDX-License-Identifier: GPL-2.0 */
/* Constants shared by BPF programs and user space (C and C++). */
#ifndef CTRACE_COMMON_H
#define CTRACE_COMMON_H

enum ctrace_filter_mode {
	CTRACE_FILTER_NONE = 0,
	CTRACE_FILTER_CGROUP_SUBTREE = 1,
	CTRACE_FILTER_CGROUP_EXACT = 2,
	CTRACE_FILTER_UTS = 3,
};

#define CTRACE_TASK_COMM_LEN 16

/* Every CLONE_NEW* bit: NS, CGROUP, UTS, IPC, USER, PID, NET and TIME (0x80). */
#define CTRACE_CLONE_NEW_FLAGS 0x7e020080ULL
/* clone(2) keeps the exit signal in the low byte, so 0x80 is not CLONE_NEWTIME there. */
#define CTRACE_CLONE_NEW_FLAGS_CLONE 0x7e020000ULL

/* Bit (sig - 1) of every signal whose default action kills (terminate or core dump, signal(7)):
 * 1-16, 24-27, 29-31 and the real-time ones 32-64; not SIGCHLD, SIGCONT, the stop signals,
 * SIGURG, SIGWINCH. */
#define CTRACE_FATAL_SIGNALS 0xfffffffff780ffffULL

/* A syscall's return value is an error: -4095 <= ret < 0 (the kernel's IS_ERR_VALUE range;
 * larger negative values are results, such as addresses). BPF and user space alike. */
static inline int is_syscall_error(long long ret)
{
	return ret < 0 && ret >= -4095;
}

#endif
