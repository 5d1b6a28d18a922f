/* SPDX-License-Identifier: GPL-2.0 */
/* ctrace openclose: one event per open/openat/openat2/accept/accept4/connect/close exit. */
#ifndef CTRACE_OPENCLOSE_H
#define CTRACE_OPENCLOSE_H

#include "task_info.h"

/* The syscalls traced, in the order of targ_nrs[]; user space resolves their numbers. */
enum openclose_kind {
	OC_OPEN = 0,
	OC_OPENAT,
	OC_OPENAT2,
	OC_ACCEPT,
	OC_ACCEPT4,
	OC_CONNECT,
	OC_CLOSE,
	OC_KINDS,
};

#define OPENCLOSE_DATA_LEN 256 /* a path (NUL-terminated, truncated) or a sockaddr */
#define OPENCLOSE_ADDR_MAX 128 /* sizeof(struct sockaddr_storage) */

/* The ring's events end after the bytes of data in use (a path with its NUL, an address):
 * user space reads them with openclose_event_from() (commands/openclose.hpp). */
struct openclose_event {
	struct ctrace_task_info task;
	__s64 ret;
	__u64 flags;    /* open flags */
	__s32 fd;       /* close, accept, connect: the fd argument; openat/openat2: dirfd */
	__u32 kind;     /* enum openclose_kind */
	__u32 addr_len; /* accept/connect: bytes of sockaddr in data (0: none) */
	char data[OPENCLOSE_DATA_LEN];
};

#endif
