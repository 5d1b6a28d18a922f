// SPDX-License-Identifier: GPL-2.0
/* ctrace record: a flight recorder of every syscall of one target (a container, or all).
 * The ring and its writers: record.bpf.h (region 0 is the whole ring).
 * sys_enter/sys_exit: the filter first, then the writer. */
#include "vmlinux.h"

#include "record.bpf.h"

SEC("tp_btf/sys_enter")
int BPF_PROG(handle_sys_enter, struct pt_regs *regs, long id)
{
	if (ctrace_should_discard())
		return 0;
	return record_enter(regs, id, 0, 0);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(handle_sys_exit, struct pt_regs *regs, long ret)
{
	if (ctrace_should_discard())
		return 0;
	return record_exit(regs, ret, 0, 0);
}

char LICENSE[] SEC("license") = "GPL";
