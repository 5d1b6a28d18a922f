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

#endif
