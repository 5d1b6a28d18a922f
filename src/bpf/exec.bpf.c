// SPDX-License-Identifier: GPL-2.0
/* ctrace exec: every execve/execveat of a container, successful or failed, with its argv.
 * sys_enter (execve/execveat only): filter, then read the pathname and argv (the one reader
 * record shares, argv.bpf.h) into an event built in task storage: read here, so that a failed
 * call has them too, and while the caller's memory is what it passed.
 * sched_process_exec (the exec succeeded, in the new program): bprm->filename and ->interp,
 * the new comm and creds; the event goes to the ring and the storage is deleted.
 * sys_exit (execve/execveat only): the call failed (a success was sent and cleared by
 * sched_process_exec): the return value, the event goes to the ring, the storage is deleted.
 * No filter at sys_exit: only tasks that passed it at entry have a call in flight, and the nr
 * test first keeps this program to a compare on every other syscall of the host.
 *
 * Fields (exec.h): task (ctrace_task_info: after a success the new comm, uid/gid after a
 * set-id exec; after a failure the caller's), ret (0 or -errno), ns_pid (the tgid in the
 * task's pid namespace, what the container sees), ppid (host tgid of the real parent),
 * old_tid (a success: the tid that called exec; 0 for a failure), dirfd/at_flags/call,
 * filename, interp, argc/args/arg_cut/EXEC_F_ARGV_MORE (argv[0..argc-1], each cut to 255 bytes
 * with its bit in arg_cut set only when the string really went on: the byte after a full part
 * is read; MORE only when argv[20] exists), enter_ns (the syscall's entry, for its duration).
 * Edge cases:
 * - execveat(fd, "", AT_EMPTY_PATH): filename is "" on failure, "/dev/fd/N" on success
 *   (bprm->filename); a relative name with a dirfd gives "/dev/fd/N/NAME". Both are the
 *   kernel's names, not a path resolved through the fd (no d_path in tracepoints). The comm
 *   of an AT_EMPTY_PATH exec is the file's own name ("busybox" for an fd of /bin/echo, a
 *   symlink to it); a script through a close-on-exec fd fails with ENOENT (the interpreter
 *   could not open it).
 * - a script (binfmt_script, binfmt_misc): filename is the script, interp the interpreter
 *   the kernel ran ("/bin/sh"); argv is the one the caller passed (as strace shows it), not
 *   the one the kernel rewrote for the interpreter; comm is the script's basename.
 * - a thread that execs: the kernel kills the other threads and the caller takes over the
 *   thread-group id: task.pid = task.tid = the tgid, old_tid = the caller's tid before.
 * - a failure after the point of no return (the old program is gone): ret is the error
 *   and the task is killed with SIGSEGV (ctrace exit shows it).
 * - exec without a syscall (kernel_execve: usermode helpers, init) or begun before the
 *   programs were attached: EXEC_F_NO_ENTER, no argv.
 * - 32-bit (ia32) callers are not traced: their nrs are another table's. */
#include "vmlinux.h"

#include "common.bpf.h"
#include "exec.h"
#include "task_info.bpf.h"

#define CTRACE_ARGV_MAX EXEC_ARGS_MAX
#define CTRACE_ARGV_LEN EXEC_ARG_LEN
#include "argv.bpf.h"

_Static_assert(sizeof(struct ctrace_argv_area) == sizeof(((struct exec_event *)0)->args),
	       "argv area is the event's args");

#define AT_FDCWD -100
#define TS_COMPAT 0x0002 /* arch/x86/include/asm/thread_info.h */

/* Syscall nrs of the native ABI, resolved in user space with libseccomp; -1: not traced. */
const volatile __s32 targ_nr_execve = -1;
const volatile __s32 targ_nr_execveat = -1;
/* -x/--failed: failed calls only */
const volatile bool targ_failed_only = false;

struct exec_start {
	__u32 active; /* enum exec_call of the call in flight; 0: none */
	__u32 pad;
	__u64 upath; /* the pathname, when it could not be read at entry */
	/* built here and copied to the ring with only argc strings: a short argv makes a short
	 * event (exec_event_size) */
	struct exec_event event;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct exec_start);
} exec_start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1024 * 4096); /* bytes; user space sets it before load */
} exec_events SEC(".maps");

/* events dropped: ring buffer full, or no task storage for the entry */
CTRACE_LOST_COUNTER(exec_lost);

static __always_inline __u32 call_of(long nr)
{
	if (nr < 0)
		return 0;
	if (nr == targ_nr_execve)
		return EXEC_CALL_EXECVE;
	if (nr == targ_nr_execveat)
		return EXEC_CALL_EXECVEAT;
	return 0;
}

/* A 32-bit caller (int 0x80): its nrs are the ia32 table's, the same numbers mean other calls. */
static __always_inline bool is_compat_syscall(struct task_struct *task)
{
#if defined(__TARGET_ARCH_x86)
	if (bpf_core_field_exists(task->thread_info.status))
		return BPF_CORE_READ(task, thread_info.status) & TS_COMPAT;
#endif
	return false;
}

/* Reads a path of at most EXEC_PATH_LEN - 1 bytes into dst; returns EXEC_F_* of what went
 * wrong: cut (the byte after a full buffer is not its end) or unreadable. */
static __always_inline __u32 read_path(char *dst, const char *src, bool user, __u32 cut_flag)
{
	long n;
	char c = 0;

	if (user)
		n = bpf_probe_read_user_str(dst, EXEC_PATH_LEN, src);
	else
		n = bpf_probe_read_kernel_str(dst, EXEC_PATH_LEN, src);
	if (n < 0) {
		dst[0] = 0;
		return user ? EXEC_F_FILENAME_FAULT : 0;
	}
	if (n < EXEC_PATH_LEN)
		return 0;
	if (user ? bpf_probe_read_user(&c, 1, src + EXEC_PATH_LEN - 1)
		 : bpf_probe_read_kernel(&c, 1, src + EXEC_PATH_LEN - 1))
		return cut_flag;
	return c ? cut_flag : 0;
}

/* The task's event storage, made and reset for a new call (0: a success seen only at
 * sched_process_exec); NULL (counted lost) when there is no memory for it. */
static __always_inline struct exec_start *start_event(struct task_struct *task, __u32 call)
{
	struct exec_start *s;
	struct exec_event *e;

	s = bpf_task_storage_get(&exec_start, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!s) {
		count_lost(&exec_lost);
		return NULL;
	}
	s->upath = 0;
	e = &s->event;
	e->enter_ns = call ? bpf_ktime_get_ns() : 0;
	e->call = call;
	e->dirfd = AT_FDCWD;
	e->at_flags = 0;
	e->old_tid = 0;
	e->flags = 0;
	e->argc = 0;
	e->arg_cut = 0;
	e->filename[0] = 0;
	e->interp[0] = 0;
	return s;
}

static __always_inline void finish_event(struct exec_event *e, long ret)
{
	struct task_struct *task = bpf_get_current_task_btf();

	fill_task_info(&e->task);
	e->ret = ret;
	e->ns_pid = ns_tgid_of(task);
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
}

static __always_inline void send(struct exec_event *e)
{
	__u32 argc = e->argc;

	if (argc > EXEC_ARGS_MAX)
		argc = EXEC_ARGS_MAX;
	if (bpf_ringbuf_output(&exec_events, e, exec_event_size(argc), 0))
		count_lost(&exec_lost);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(handle_sys_enter, struct pt_regs *regs, long id)
{
	struct task_struct *task;
	struct exec_start *s;
	struct exec_event *e;
	const char *path;
	__u64 uargv;
	__u32 call;
	long r;

	if (ctrace_should_discard())
		return 0;
	call = call_of(id);
	if (!call)
		return 0;
	task = bpf_get_current_task_btf();
	if (is_compat_syscall(task))
		return 0;
	s = start_event(task, call);
	if (!s)
		return 0;
	e = &s->event;
	if (call == EXEC_CALL_EXECVE) {
		path = (const char *)syscall_arg(regs, 0);
		uargv = syscall_arg(regs, 1);
	} else {
		e->dirfd = (int)syscall_arg(regs, 0);
		path = (const char *)syscall_arg(regs, 1);
		uargv = syscall_arg(regs, 2);
		e->at_flags = (__u32)syscall_arg(regs, 4);
	}
	e->flags = read_path(e->filename, path, true, EXEC_F_FILENAME_CUT);
	/* not paged in yet (a constant never touched): the syscall faults it in, read it again at exit */
	if (e->flags & EXEC_F_FILENAME_FAULT)
		s->upath = (__u64)path;
	r = ctrace_read_argv((struct ctrace_argv_area *)e->args, uargv);
	e->argc = r & CTRACE_ARGV_COUNT;
	if (r & CTRACE_ARGV_MORE)
		e->flags |= EXEC_F_ARGV_MORE;
	e->arg_cut = (r >> CTRACE_ARGV_CUT_SHIFT) & ((1UL << EXEC_ARGS_MAX) - 1);
	s->active = call;
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(handle_sched_process_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct task_struct *task;
	struct exec_start *s;
	struct exec_event *e;

	if (ctrace_should_discard())
		return 0;
	task = bpf_get_current_task_btf();
	s = bpf_task_storage_get(&exec_start, task, 0, 0);
	if (!s || !s->active) {
		if (targ_failed_only)
			return 0;
		s = start_event(task, 0);
		if (!s)
			return 0;
		s->event.flags = EXEC_F_NO_ENTER;
	}
	s->active = 0;
	if (!targ_failed_only) {
		e = &s->event;
		finish_event(e, 0);
		e->old_tid = old_pid;
		e->flags &= ~(EXEC_F_FILENAME_CUT | EXEC_F_FILENAME_FAULT);
		e->flags |= read_path(e->filename, BPF_CORE_READ(bprm, filename), false, EXEC_F_FILENAME_CUT);
		e->flags |= read_path(e->interp, BPF_CORE_READ(bprm, interp), false, EXEC_F_INTERP_CUT);
		send(e);
	}
	bpf_task_storage_delete(&exec_start, task);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(handle_sys_exit, struct pt_regs *regs, long ret)
{
	struct task_struct *task;
	struct exec_start *s;
	struct exec_event *e;
	__u32 call;

	call = call_of(syscall_nr_of(regs));
	if (!call)
		return 0;
	task = bpf_get_current_task_btf();
	s = bpf_task_storage_get(&exec_start, task, 0, 0);
	if (!s)
		return 0;
	/* a success was sent by sched_process_exec; ret >= 0 here without it: not ours to tell */
	if (s->active == call && ret < 0) {
		e = &s->event;
		finish_event(e, ret);
		if (s->upath)
			e->flags = (e->flags & ~EXEC_F_FILENAME_FAULT) |
				   read_path(e->filename, (const char *)s->upath, true, EXEC_F_FILENAME_CUT);
		send(e);
	}
	bpf_task_storage_delete(&exec_start, task);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
