/* SPDX-License-Identifier: GPL-2.0 */
/* Who sent a signal, from signal_generate's siginfo: shared by `signal` and the recorder's
 * post-mortems (record_all.bpf.c). Include after vmlinux.h. */
#ifndef CTRACE_SIGNAL_BPF_H
#define CTRACE_SIGNAL_BPF_H

#include "common.bpf.h"
#include "signal.h"

#define SI_QUEUE -1
#define SI_TIMER -2
#define SI_MESGQ -3
#define SI_ASYNCIO -4
#define SI_SIGIO -5
#define SI_TKILL -6
#define SI_DETHREAD -7
#define SI_ASYNCNL -60

/* si_code of the siginfo, and whether the kernel sent it (the rules: the top of signal.bpf.c). */
static __always_inline bool signal_from_kernel(struct kernel_siginfo *info, int *code)
{
	int c;

	if ((unsigned long)info == 0) { /* SEND_SIG_NOINFO */
		*code = SIGNAL_SI_USER;
		return false;
	}
	if ((unsigned long)info == 1) { /* SEND_SIG_PRIV */
		*code = SIGNAL_SI_KERNEL;
		return true;
	}
	c = BPF_CORE_READ(info, si_code);
	*code = c;
	return c > 0 || c == SI_TIMER || c == SI_SIGIO || c == SI_ASYNCIO || c == SI_ASYNCNL;
}

#endif
