/* SPDX-License-Identifier: GPL-2.0 */
/* ctrace exec: one event per execve/execveat of a container, successful or failed. Shared by
 * kernel and user space. */
#ifndef CTRACE_EXEC_H
#define CTRACE_EXEC_H

#include "argv.h"
#include "task_info.h"

/* argv bound: EXEC_ARGS_MAX strings of at most EXEC_ARG_LEN - 1 bytes each */
#define EXEC_ARGS_MAX 20
#define EXEC_ARG_LEN 256
#define EXEC_PATH_LEN 256 /* filename and interpreter, NUL included; longer ones are cut */

enum exec_call {
	EXEC_CALL_EXECVE = 1,
	EXEC_CALL_EXECVEAT = 2,
};

/* exec_event.flags */
#define EXEC_F_ARGV_MORE 0x1	  /* argv had more than EXEC_ARGS_MAX strings */
#define EXEC_F_FILENAME_CUT 0x2	  /* filename longer than EXEC_PATH_LEN - 1 bytes */
#define EXEC_F_INTERP_CUT 0x4	  /* interp likewise */
#define EXEC_F_NO_ENTER 0x8	  /* a success whose syscall entry was not seen: no argv, filename
				   * from the kernel (attached mid-exec, or kernel_execve()) */
#define EXEC_F_FILENAME_FAULT 0x10 /* the filename could not be read at entry */

/* The ring's events end after the argc strings of args[] (exec_event_size()). */
struct exec_event {
	struct ctrace_task_info task; /* after a success: the new program's comm and creds */
	__s64 ret;		      /* 0, or -errno of a failed call */
	__u64 enter_ns;		      /* bpf_ktime_get_ns() at the syscall's entry (0: not seen) */
	__u32 ns_pid;		      /* pid (tgid) in the task's own pid namespace */
	__u32 ppid;		      /* the parent's tgid (host) */
	__u32 old_tid;		      /* the tid that called exec (!= pid: a thread exec'd); failure: 0 */
	__s32 dirfd;		      /* execveat: the dirfd argument */
	__u32 at_flags;		      /* execveat: AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW */
	__u32 call;		      /* enum exec_call */
	__u32 flags;		      /* EXEC_F_* */
	__u32 argc;		      /* strings in args[] */
	__u64 arg_cut;		      /* bit k: args[k] was cut to EXEC_ARG_LEN - 1 bytes */
	/* failure: the pathname as passed; success: bprm->filename, the same for execve, and
	 * "/dev/fd/N" or "/dev/fd/N/NAME" for execveat of a relative name or AT_EMPTY_PATH */
	char filename[EXEC_PATH_LEN];
	/* success: bprm->interp, the file really run: a script's interpreter ("/bin/sh"),
	 * otherwise the filename again */
	char interp[EXEC_PATH_LEN];
	char args[EXEC_ARGS_MAX][EXEC_ARG_LEN];
};

/* Bytes of an event with argc strings, as the ring delivers it. */
static inline unsigned long exec_event_size(unsigned int argc)
{
	if (argc > EXEC_ARGS_MAX)
		argc = EXEC_ARGS_MAX;
	return __builtin_offsetof(struct exec_event, args) + (unsigned long)argc * EXEC_ARG_LEN;
}

#endif
