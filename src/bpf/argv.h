/* SPDX-License-Identifier: GPL-2.0 */
/* What ctrace_read_argv() (argv.bpf.h) returns, for BPF and user space alike: the strings
 * read, whether argv went on past them, and which of them were cut. */
#ifndef CTRACE_ARGV_H
#define CTRACE_ARGV_H

#define CTRACE_ARGV_COUNT 0xff	 /* strings read (argv[0..count-1]) */
#define CTRACE_ARGV_MORE 0x100	 /* argv had more strings than were read */
#define CTRACE_ARGV_CUT_SHIFT 16 /* bit CUT_SHIFT + k: string k was longer than its part */

#endif
