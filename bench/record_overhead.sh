#!/usr/bin/env bash
# ctrace record overhead on a 2M-getppid loop, in one run (root):
#   none     no tracer
#   floor    empty BPF programs on the same hooks (bench/floor.bpf.c): the least any tracer costs
#   passive  ctrace record of ANOTHER cgroup (the loop pays the filter only)
#   active   ctrace record of the loop's own cgroup (every enter and exit goes to the ring)
# Prints ns per syscall, the overhead (minus none) and its ratio to the floor's. Usage: bench/record_overhead.sh [BUILD_DIR] [N]
set -euo pipefail
build=${1:-build}
n=${2:-2000000}
ctrace=$build/ctrace
floor_bin=$build/bench/ctrace_bench_floor
ninja -C "$build" -j2 ctrace ctrace_workload ctrace_bench_floor >/dev/null
work=$build/test/ctrace_workload
cgmount=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/self/mounts)
loop_cg=$cgmount/ctrace-bench-record-loop
other_cg=$cgmount/ctrace-bench-record-other
mkdir -p "$loop_cg" "$other_cg"
cleanup() {
  [[ -n ${rec:-} ]] && kill -INT "$rec" 2>/dev/null && wait "$rec" 2>/dev/null || true
  rmdir "$loop_cg" "$other_cg" 2>/dev/null || true
}
trap cleanup EXIT

# ns per syscall of the loop, run inside $loop_cg (best of 3)
measure() {
  local best=
  for _ in 1 2 3; do
    local t0 t1
    t0=$(date +%s%N)
    sh -c "echo \$\$ > $loop_cg/cgroup.procs; exec $work getppid $n"
    t1=$(date +%s%N)
    local per=$(( (t1 - t0) / (n / 1000) ))   # ps per call
    [[ -z $best || $per -lt $best ]] && best=$per
  done
  echo "$best"
}

start_floor() {
  "$floor_bin" 2>"$build/bench-floor.err" &
  rec=$!
  until grep -q "Collecting events" "$build/bench-floor.err" 2>/dev/null; do sleep 0.1; done
}

start_record() {
  "$ctrace" record -c "$1" --syscalls getppid --size 4M >/dev/null 2>"$build/bench-record.err" &
  rec=$!
  until grep -q "Collecting events" "$build/bench-record.err" 2>/dev/null; do sleep 0.1; done
}

none=$(measure)
start_floor; floor=$(measure); kill -INT "$rec"; wait "$rec" || true; rec=
start_record "$other_cg"; passive=$(measure); kill -INT "$rec"; wait "$rec" || true; rec=
start_record "$loop_cg"; active=$(measure); kill -INT "$rec"; wait "$rec" || true; rec=

awk -v none="$none" -v floor="$floor" -v passive="$passive" -v active="$active" -v n="$n" 'BEGIN {
  fo = floor - none; if (fo <= 0) fo = 1
  printf "%-8s %12s %14s %10s\n", "mode", "ns/syscall", "overhead(ns)", "x floor"
  printf "%-8s %12.1f %14s %10s\n", "none", none/1000, "-", "-"
  printf "%-8s %12.1f %14.1f %10.2f\n", "floor", floor/1000, (floor-none)/1000, 1
  printf "%-8s %12.1f %14.1f %10.2f\n", "passive", passive/1000, (passive-none)/1000, (passive-none)/fo
  printf "%-8s %12.1f %14.1f %10.2f\n", "active", active/1000, (active-none)/1000, (active-none)/fo
  printf "active cost: %.3f us per syscall (enter + exit slots), %d syscalls per run\n", (active-none)/1e6, n
}'
