// SPDX-License-Identifier: GPL-2.0
/* ctrace biograph: bytes and I/Os a container submits to block devices, and the
 * latency of the requests it caused.
 * block_bio_queue (submitter's context): filter, add the bio's size to its direction.
 * block_getrq (submitter's context, the bio that starts a new request): remember the bio.
 * block_rq_issue (any context): a request whose first bio is remembered gets a start time.
 * block_rq_complete (usually an interrupt): add issue -> complete to the latency totals.
 * Limits: a bio merged into a request another task started is counted in bytes and I/Os
 * but not timed; buffered writes are submitted by writeback threads, not the writer. */
#include "vmlinux.h"

#include "biograph.h"
#include "common.bpf.h"

/* include/linux/blk_types.h: the op is the low bits of bi_opf / cmd_flags */
#define BIOGRAPH_REQ_OP_MASK ((1U << 8) - 1)
#define BIOGRAPH_REQ_OP_READ 0
#define BIOGRAPH_REQ_OP_WRITE 1

#define BIOGRAPH_MAX_INFLIGHT 16384

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, BIOGRAPH_DIRS);
	__type(key, __u32);
	__type(value, struct biograph_value);
} biograph_values SEC(".maps");

/* bios of the target that started a request, until that request is issued */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, BIOGRAPH_MAX_INFLIGHT);
	__type(key, __u64);
	__type(value, __u8);
} biograph_bios SEC(".maps");

/* issue time of the target's requests, until they complete */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, BIOGRAPH_MAX_INFLIGHT);
	__type(key, __u64);
	__type(value, __u64);
} biograph_start SEC(".maps");

/* READ or WRITE, or -1 for the ops that move no data of the caller (flush, discard...) */
static __always_inline int op_dir(__u32 opf)
{
	switch (opf & BIOGRAPH_REQ_OP_MASK) {
	case BIOGRAPH_REQ_OP_READ:
		return BIOGRAPH_READ;
	case BIOGRAPH_REQ_OP_WRITE:
		return BIOGRAPH_WRITE;
	default:
		return -1;
	}
}

SEC("tp_btf/block_bio_queue")
int BPF_PROG(handle_block_bio_queue, struct bio *bio)
{
	struct biograph_value *v;
	__u32 dir;
	int d;

	if (ctrace_should_discard())
		return 0;
	/* A stacked driver (device mapper, md) submits its clones while current->bio_list is
	 * set: the bio they come from was counted already, when the task submitted it. */
	if (BPF_CORE_READ(bpf_get_current_task_btf(), bio_list))
		return 0;
	d = op_dir(BPF_CORE_READ(bio, bi_opf));
	if (d < 0)
		return 0;
	dir = (__u32)d;
	v = bpf_map_lookup_elem(&biograph_values, &dir);
	if (!v)
		return 0;
	v->bytes += BPF_CORE_READ(bio, bi_iter.bi_size);
	v->ios++;
	return 0;
}

SEC("tp_btf/block_getrq")
int BPF_PROG(handle_block_getrq, struct bio *bio)
{
	__u64 key = (__u64)bio;
	__u8 one = 1;

	if (ctrace_should_discard())
		return 0;
	if (op_dir(BPF_CORE_READ(bio, bi_opf)) < 0)
		return 0;
	bpf_map_update_elem(&biograph_bios, &key, &one, BPF_ANY);
	return 0;
}

SEC("tp_btf/block_rq_issue")
int BPF_PROG(handle_block_rq_issue, struct request *rq)
{
	/* No container check: the issuing task may be a kworker. The request is the
	 * target's when its first bio was remembered at block_getrq. */
	__u64 key = (__u64)rq, bio = (__u64)BPF_CORE_READ(rq, bio);
	__u64 now = bpf_ktime_get_ns();

	if (bpf_map_lookup_elem(&biograph_start, &key)) {
		/* issued again after a requeue: time the last attempt */
		bpf_map_update_elem(&biograph_start, &key, &now, BPF_ANY);
		return 0;
	}
	if (!bio || !bpf_map_lookup_elem(&biograph_bios, &bio))
		return 0;
	bpf_map_delete_elem(&biograph_bios, &bio);
	bpf_map_update_elem(&biograph_start, &key, &now, BPF_ANY);
	return 0;
}

SEC("tp_btf/block_rq_complete")
int BPF_PROG(handle_block_rq_complete, struct request *rq, blk_status_t error, unsigned int nr_bytes)
{
	struct biograph_value *v;
	__u64 key = (__u64)rq, *start, delta;
	__u32 dir;
	int d;

	start = bpf_map_lookup_elem(&biograph_start, &key);
	if (!start)
		return 0;
	delta = bpf_ktime_get_ns() - *start;
	bpf_map_delete_elem(&biograph_start, &key);
	d = op_dir(BPF_CORE_READ(rq, cmd_flags));
	if (d < 0)
		return 0;
	dir = (__u32)d;
	v = bpf_map_lookup_elem(&biograph_values, &dir);
	if (!v)
		return 0;
	v->lat_ns += delta;
	v->lat_count++;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
