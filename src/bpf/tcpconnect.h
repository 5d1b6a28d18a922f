/* SPDX-License-Identifier: GPL-2.0 */
/* ctrace tcpconnect: one event per TCP connection attempt (CLOSE -> SYN_SENT). */
#ifndef CTRACE_TCPCONNECT_H
#define CTRACE_TCPCONNECT_H

#include "task_info.h"

/* How the attempt ended: for a blocking connect when the call returned, for a non-blocking one
 * (-EINPROGRESS) when its socket left SYN_SENT (ESTABLISHED, or CLOSE with sk_err) */
enum tcpconnect_outcome {
	TCPCONNECT_OK = 0,
	TCPCONNECT_REFUSED = 1, /* ECONNREFUSED: a RST answered the SYN */
	TCPCONNECT_TIMEOUT = 2, /* ETIMEDOUT: no answer to the SYN retries */
	TCPCONNECT_RESET = 3,   /* ECONNRESET */
	TCPCONNECT_CLOSED = 4,  /* closed (or shut down) by its task before an answer */
	TCPCONNECT_OTHER = 5,   /* another error (EHOSTUNREACH, ENETUNREACH...: in `err`) */
	TCPCONNECT_UNKNOWN = 6, /* a connect that failed before the SYN, or still pending when ctrace ended */
};

#define TCPCONNECT_MAX_INFLIGHT 8192 /* non-blocking connects awaiting their outcome (LRU) */

struct tcpconnect_event {
	struct ctrace_task_info task; /* ts_ns: when the call returned */
	__s64 ret; /* of the syscall that started the connection: connect(2), sendto(MSG_FASTOPEN) */
	__u64 start_ns;   /* when the socket entered SYN_SENT (the SYN) */
	__u64 outcome_ns; /* when the outcome was known */
	__u32 outcome;    /* enum tcpconnect_outcome */
	__s32 err;        /* the socket's error (sk_err) for a non-blocking connect that failed */
	__u16 family; /* AF_INET or AF_INET6 */
	__u16 sport;  /* host byte order */
	__u16 dport;  /* host byte order */
	__u16 pad;
	__u8 saddr[16]; /* IPv4: the first 4 bytes */
	__u8 daddr[16];
};

#endif
