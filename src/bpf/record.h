/* SPDX-License-Identifier: GPL-2.0 */
/* ctrace record: the slots of the in-kernel flight-recorder ring. */
#ifndef CTRACE_RECORD_H
#define CTRACE_RECORD_H

#include "argv.h"

#define RECORD_MAX_SYSCALLS 512
#define RECORD_MAX_ARGS 6
/* Captured strings/buffers per slot, and bytes reserved for each: --string-size is
 * at most RECORD_STR_MAX; a path is read with RECORD_STR_MAX + 2 bytes to see truncation. */
#define RECORD_MAX_STRS 2
#define RECORD_STR_MAX 256
#define RECORD_STR_CAP (RECORD_STR_MAX + 8)

enum record_kind {
	RECORD_ENTER = 1,
	RECORD_EXIT = 2,
};

/* How an argument is captured (decided in user space from the syscall format files). */
enum record_capture {
	RECORD_CAPTURE_NONE = 0,
	RECORD_CAPTURE_CSTR = 1,    /* NUL-terminated string at enter (paths, names) */
	RECORD_CAPTURE_BUF_IN = 2,  /* buffer at enter, length = another argument (write) */
	RECORD_CAPTURE_BUF_OUT = 3, /* buffer at exit, length = the return value (read) */
	RECORD_CAPTURE_SOCKADDR_OUT = 4, /* struct sockaddr at exit when ret >= 0 (accept) */
	RECORD_CAPTURE_ARGV = 5,    /* execve's argv: the first strings, each in a fixed part */
};
/* argv: RECORD_ARGV_MAX strings of at most RECORD_ARGV_ARG - 1 bytes, string k at offset
 * k * RECORD_ARGV_ARG; record_str.len = strings read | RECORD_ARGV_MORE when argv goes on
 * | bit RECORD_ARGV_CUT_SHIFT + k when string k was longer than its part */
#define RECORD_ARGV_MAX 8
#define RECORD_ARGV_ARG 33 /* 32 bytes and the NUL: strace's default -s 32; 8 x 33 fill a slot's string */
#define RECORD_ARGV_COUNT CTRACE_ARGV_COUNT
#define RECORD_ARGV_MORE CTRACE_ARGV_MORE
#define RECORD_ARGV_CUT_SHIFT CTRACE_ARGV_CUT_SHIFT
/* bytes read of a struct sockaddr the kernel filled (sockaddr_un: 110), at most --string-size */
#define RECORD_SOCKADDR_MAX 128

/* Per syscall nr: which arguments to capture, in slot order. */
struct record_argspec {
	__u8 capture[RECORD_MAX_STRS]; /* enum record_capture */
	__u8 arg[RECORD_MAX_STRS];     /* argument index of the pointer */
	__u8 len_arg[RECORD_MAX_STRS]; /* BUF_IN: argument index of the length */
	__u8 pad[2];
};

struct record_str {
	__s32 len;  /* bytes read (CSTR: including the NUL); < 0: the read failed */
	__u8 arg;   /* argument index */
	__u8 capture;
	__u8 pad[2];
};

/* One slot of the ring: a syscall enter or exit. */
struct record_event {
	__u64 seq; /* position in this CPU's ring + 1; 0: never written */
	__u64 ts_ns;
	__u32 tgid;
	__u32 tid;
	__u32 ns_tgid; /* tgid and tid in the task's own PID namespace */
	__u32 ns_tid;
	__u32 nr;
	__u32 kind; /* enum record_kind */
	__u32 owner; /* record --record-all: the low 32 bits of the id of the group that owned
		       * the region then (a region outlives its group; 0 for one target) */
	__s64 ret;
	__u64 args[RECORD_MAX_ARGS];
	char comm[16];
	struct record_str str_meta[RECORD_MAX_STRS];
	char str[RECORD_MAX_STRS][RECORD_STR_CAP];
};

#endif
