/* SPDX-License-Identifier: GPL-2.0 */
/* The host view: per-cgroup activity counted in the kernel for every container at once.
 * Read by `ctrace top`, `--by-container` and the Prometheus exporter through
 * ctrace::probe::HostView. Shared by kernel and user space. */
#ifndef CTRACE_HOSTVIEW_H
#define CTRACE_HOSTVIEW_H

#include "cgroup_event.h"
#include "common.h"

/* Map sizes (entries); every one bounds memory. Full: the event is counted in
 * hostview_dropped instead (reported by every reader). Per-CPU maps: value size x CPUs. */
#define HOSTVIEW_MAX_CGROUPS 8192          /* cgroups with activity since load */
#define HOSTVIEW_MAX_SYSCALL_KEYS 32768    /* (cgroup, syscall nr) pairs */
#define HOSTVIEW_MAX_CONNECTING 16384      /* TCP sockets in SYN_SENT at one time (LRU) */
#define HOSTVIEW_EVENTS_BYTES (256 * 1024) /* cgroup_mkdir/rmdir ring buffer */

enum hostview_connect_result {
	HOSTVIEW_CONNECT_OK = 0,
	HOSTVIEW_CONNECT_REFUSED = 1,
	HOSTVIEW_CONNECT_TIMEOUT = 2,
	HOSTVIEW_CONNECT_OTHER = 3,
	HOSTVIEW_CONNECT_RESULTS = 4,
};

enum hostview_ns_call {
	HOSTVIEW_NS_UNSHARE = 0,
	HOSTVIEW_NS_SETNS = 1,
	HOSTVIEW_NS_CLONE = 2, /* clone and clone3 with CLONE_NEW* */
	HOSTVIEW_NS_CALLS = 3,
};

/* How a thread group ended (sched_process_exit, the last thread): exit(0); exit(N), N != 0;
 * killed by a signal. */
enum hostview_exit_reason {
	HOSTVIEW_EXIT_OK = 0,
	HOSTVIEW_EXIT_CODE = 1,
	HOSTVIEW_EXIT_SIGNAL = 2,
	HOSTVIEW_EXIT_REASONS = 3,
};

/* fatal_signals[]: [sig] for the standard signals 1-31 (only those CTRACE_FATAL_SIGNALS names
 * are ever counted), [0] every real-time signal (32-64) */
#define HOSTVIEW_SIGNAL_SLOTS 32

/* Everything counted for one cgroup (the task's own cgroup v2), per CPU. Never reset:
 * readers diff snapshots. */
struct hostview_counters {
	__u64 syscalls; /* syscall exits */
	__u64 errors;   /* exits with -4095 <= ret < 0 */
	__u64 opens;    /* successful open, openat, openat2, creat */
	__u64 connects; /* TCP connect attempts (CLOSE -> SYN_SENT) */
	__u64 connect_results[HOSTVIEW_CONNECT_RESULTS];
	__u64 ns_changes[HOSTVIEW_NS_CALLS];
	__u64 read_bytes; /* block I/O submitted (block_bio_queue) */
	__u64 write_bytes;
	__u64 read_ios;
	__u64 write_ios;
	__u64 execs; /* successful execve/execveat (sched_process_exec) */
	__u64 exits[HOSTVIEW_EXIT_REASONS]; /* thread-group exits, by enum hostview_exit_reason */
	__u64 oom_kills; /* OOM-killer victims (mark_victim), by the victim's cgroup */
	/* signals delivered whose default action kills, by the target's cgroup and signal (whether
	 * the target had a handler is not looked at: docker stop's SIGTERM counts) */
	__u64 fatal_signals[HOSTVIEW_SIGNAL_SLOTS];
};

struct hostview_syscall_key {
	__u64 cgroup_id;
	__u32 nr;
	__u32 pad;
};

struct hostview_syscall_value {
	__u64 count;
	__u64 errors;
};

#endif
