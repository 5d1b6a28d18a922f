/* SPDX-License-Identifier: GPL-2.0 */
/* ctrace stat: per-syscall totals aggregated in the kernel. */
#ifndef CTRACE_STAT_H
#define CTRACE_STAT_H

#define STAT_MAX_SYSCALLS 512
#define STAT_HIST_BUCKETS 32

/* One slot per syscall nr in a per-CPU array; user space sums the CPUs. */
struct stat_value {
	__u64 count;
	__u64 total_ns;
	__u64 max_ns;
	__u64 errors;
	/* log2 buckets of the latency in ns, only for targ_hist_nr */
	__u64 hist[STAT_HIST_BUCKETS];
};

#endif
