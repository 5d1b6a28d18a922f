/* SPDX-License-Identifier: GPL-2.0 */
/* ctrace biograph: running totals of a container's block I/O, per direction. */
#ifndef CTRACE_BIOGRAPH_H
#define CTRACE_BIOGRAPH_H

enum biograph_dir {
	BIOGRAPH_READ = 0,
	BIOGRAPH_WRITE = 1,
	BIOGRAPH_DIRS = 2,
};

/* One slot per direction in a per-CPU array. The kernel only ever adds; user space
 * sums the CPUs and diffs two snapshots to get an interval (no read-then-reset). */
struct biograph_value {
	__u64 bytes;      /* bio sizes at block_bio_queue */
	__u64 ios;        /* bios at block_bio_queue */
	__u64 lat_ns;     /* sum of request issue -> complete times */
	__u64 lat_count;  /* requests timed */
};

#endif
