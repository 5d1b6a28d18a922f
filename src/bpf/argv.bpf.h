/* SPDX-License-Identifier: GPL-2.0 */
/* The one reader of a user argv[] (execve's and execveat's argument vector), shared by record
 * and exec. A program includes this once, after defining its bounds:
 *   CTRACE_ARGV_MAX  strings read, at most 47 (their cut bits must fit the result)
 *   CTRACE_ARGV_LEN  bytes of each string's part, its NUL included
 * and gets struct ctrace_argv_area (string k in arg[k], NUL-terminated, cut to LEN - 1
 * bytes) and ctrace_read_argv(). Include after vmlinux.h and common.bpf.h. */
#ifndef CTRACE_ARGV_BPF_H
#define CTRACE_ARGV_BPF_H

#include "argv.h"

#if !defined(CTRACE_ARGV_MAX) || !defined(CTRACE_ARGV_LEN)
#error "define CTRACE_ARGV_MAX and CTRACE_ARGV_LEN before including argv.bpf.h"
#endif
#if CTRACE_ARGV_MAX > 47 || CTRACE_ARGV_MAX > CTRACE_ARGV_COUNT
#error "CTRACE_ARGV_MAX: the cut bits of 47 strings fill the result"
#endif

struct ctrace_argv_area {
	char arg[CTRACE_ARGV_MAX][CTRACE_ARGV_LEN];
};

/* Reads up to CTRACE_ARGV_MAX strings of the NULL-terminated user array at uargv into dst.
 * Returns the strings read | CTRACE_ARGV_MORE when argv goes on | bit CTRACE_ARGV_CUT_SHIFT + k
 * when string k was longer than its part (argv.h). A string that cannot be read counts, empty.
 * A global function, verified once on its own: inlined in record's loop over a slot's strings,
 * its unrolled loop multiplied the states the verifier walked through (start-up time). The cut
 * bits live apart from the count and no branch tests them: the verifier never needs their
 * exact value, so the 2^MAX ways of cutting MAX strings prune to one state per string. */
__noinline long ctrace_read_argv(struct ctrace_argv_area *dst, __u64 uargv)
{
	const char *argp = NULL;
	long count = 0, more = 0, cut = 0;
	long r;
	char c;
	int k;

	if (!dst)
		return 0;
#pragma unroll
	for (k = 0; k < CTRACE_ARGV_MAX; k++) {
		if (bpf_probe_read_user(&argp, sizeof(argp), (const void *)(uargv + k * sizeof(argp))) ||
		    !argp)
			break;
		r = bpf_probe_read_user_str(dst->arg[k], CTRACE_ARGV_LEN, argp);
		/* a full part holds LEN - 1 bytes whether the string ends there or goes on: the
		 * byte after them tells (never a false cut) */
		if (r == CTRACE_ARGV_LEN &&
		    (bpf_probe_read_user(&c, 1, argp + CTRACE_ARGV_LEN - 1) || c))
			cut |= 1L << k;
		count++;
	}
	if (count == CTRACE_ARGV_MAX &&
	    !bpf_probe_read_user(&argp, sizeof(argp), (const void *)(uargv + CTRACE_ARGV_MAX * sizeof(argp))) &&
	    argp)
		more = CTRACE_ARGV_MORE;
	return count | more | (cut << CTRACE_ARGV_CUT_SHIFT);
}

#endif
