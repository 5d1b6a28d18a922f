/* SPDX-License-Identifier: GPL-2.0 */
/* ctrace tcpconnect: one event per TCP connection attempt (CLOSE -> SYN_SENT). */
#ifndef CTRACE_TCPCONNECT_H
#define CTRACE_TCPCONNECT_H

#include "task_info.h"

struct tcpconnect_event {
	struct ctrace_task_info task;
	__s64 ret; /* of the syscall that started the connection: connect(2), sendto(MSG_FASTOPEN) */
	__u16 family; /* AF_INET or AF_INET6 */
	__u16 sport;  /* host byte order */
	__u16 dport;  /* host byte order */
	__u16 pad;
	__u8 saddr[16]; /* IPv4: the first 4 bytes */
	__u8 daddr[16];
};

#endif
