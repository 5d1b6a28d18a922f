/* SPDX-License-Identifier: GPL-2.0 */
/* Who did it: the fields every streamed event starts with (filled by
 * fill_task_info() in task_info.bpf.h, decoded by commands::TaskFields). */
#ifndef CTRACE_TASK_INFO_H
#define CTRACE_TASK_INFO_H

#include "common.h"

#define CTRACE_HOSTNAME_LEN 65 /* __NEW_UTS_LEN + 1 */

struct ctrace_task_info {
	__u64 ts_ns; /* bpf_ktime_get_ns() */
	__u64 cgroup_id;
	__u32 pid; /* tgid */
	__u32 tid;
	__u32 uid;
	__u32 gid;
	__u32 uts_inum;
	char comm[CTRACE_TASK_COMM_LEN];
	char hostname[CTRACE_HOSTNAME_LEN];
};

#endif
