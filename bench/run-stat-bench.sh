#!/usr/bin/env bash
# Benchmarks `ctrace stat` against the floor (empty BPF programs on the same hooks) and, when
# installed, libbpf-tools syscount and bpftrace. Run as root:
#   bench/run-stat-bench.sh [BUILD_DIR] [--runs N] [--calls N] [--cpu N]
# BUILD_DIR defaults to ./build; it is built first (ninja). Not part of ctest.
set -euo pipefail
build=${1:-build}
[[ $# -gt 0 ]] && shift
if [[ $(id -u) -ne 0 ]]; then
  echo "run-stat-bench.sh: run as root (BPF programs and cgroups)" >&2
  exit 2
fi
ninja -C "$build" -j2 ctrace ctrace_bench_floor ctrace_stat_bench >/dev/null
# syscount and bpftrace use classic tracepoints: they need tracefs.
if [[ ! -d /sys/kernel/tracing/events ]]; then
  mount -t tracefs tracefs /sys/kernel/tracing
fi
extra=()
syscount=$(command -v syscount || true)
bpftrace=$(command -v bpftrace || true)
[[ -n $syscount ]] && extra+=(--syscount "$syscount") || echo "syscount not installed (apt install libbpf-tools): skipped" >&2
[[ -n $bpftrace ]] && extra+=(--bpftrace "$bpftrace") || echo "bpftrace not installed (apt install bpftrace): skipped" >&2
exec "$build/bench/ctrace_stat_bench" --ctrace "$build/ctrace" --floor "$build/bench/ctrace_bench_floor" \
  "${extra[@]}" "$@"
