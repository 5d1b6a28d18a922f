// SPDX-License-Identifier: GPL-2.0
/* ctrace advise caps: the capabilities a container is checked for, granted or denied.
 * tp_btf/cap_capable (cap_capable(), every capability check: capable(), ns_capable(), file
 * capability checks, the noaudit ones too): the filter on current, then one count per (cgroup,
 * cap, result, comm, syscall, borrowed) in a hash. The comm tells the container runtime's own
 * checks (runc's init before it executes the container's program) from the workload's; the
 * syscall (from the task's pt_regs) where it came; `borrowed` a check of a credential that is
 * not the task's own (overlayfs checks its upper and work directories with its mounter's). */
#include "vmlinux.h"

#include "common.bpf.h"
#include "advise.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ADVISE_MAX_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct advise_cap_key);
	__type(value, struct advise_cap_value);
} advise_caps SEC(".maps");

SEC("tp_btf/cap_capable")
int BPF_PROG(handle_cap_capable, const struct cred *cred, struct user_namespace *target_ns,
	     const struct user_namespace *capable_ns, int cap, int ret)
{
	struct advise_cap_key key = {};
	struct advise_cap_value *v, zero = {};

	if (!advise_cgroup_of(&key.cgroup_id))
		return 0;
	key.cap = cap;
	key.denied = ret != 0;
	bpf_get_current_comm(key.comm, sizeof(key.comm));
	key.nr = syscall_nr_of(bpf_task_pt_regs(bpf_get_current_task_btf()));
	key.borrowed = cred != bpf_get_current_task_btf()->real_cred;
	v = bpf_map_lookup_elem(&advise_caps, &key);
	if (!v) {
		zero.first_ns = bpf_ktime_get_ns();
		zero.first_pid = bpf_get_current_pid_tgid() >> 32;
		bpf_map_update_elem(&advise_caps, &key, &zero, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&advise_caps, &key);
		if (!v) {
			count_lost(&advise_lost);
			return 0;
		}
	}
	__sync_fetch_and_add(&v->count, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
