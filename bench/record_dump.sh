#!/usr/bin/env bash
# What a dump costs the recording, for a 4M and a 256M ring (root), in one run:
# `ctrace serve` records a cgroup where a getppid loop runs; once the ring has wrapped, each
# dump is timed (curl) and the kernel's counters are read before and after it.
#   dump_ms     wall time of GET /dump (copy + decode + render), the recording goes on meanwhile
#   pause_ms    time the writers were stopped: 0, the dump copies slots between two seq reads
#   torn        slots the loop rewrote while the dump copied them (counted, not shown)
#   lost        events the kernel could not write during the dump (the ring's lost counter)
#   copy_ms     of dump_ms, the time the slots were copied (serve -v logs it)
#   rate_ratio  events/s recorded while dumping / without dumps: below 1 only as much as
#               the dump's own CPU time takes from the loop on a shared machine
# Usage: bench/record_dump.sh [BUILD_DIR] [DUMPS]
set -euo pipefail
build=${1:-build}
dumps=${2:-3}
ninja -C "$build" -j2 ctrace ctrace_workload >/dev/null
ctrace=$build/ctrace
work=$build/test/ctrace_workload
sock=/tmp/ctrace-bench-dump.sock
cgmount=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/self/mounts)
cg=$cgmount/ctrace-bench-record-dump
mkdir -p "$cg"
cleanup() {
  [[ -n ${loop:-} ]] && kill "$loop" 2>/dev/null && wait "$loop" 2>/dev/null || true
  [[ -n ${srv:-} ]] && kill -TERM "$srv" 2>/dev/null && wait "$srv" 2>/dev/null || true
  rmdir "$cg" 2>/dev/null || true
  rm -f "$build/bench-dump.out"
}
trap cleanup EXIT
"$ctrace" -v serve --socket "$sock" 2>"$build/bench-dump.err" &
srv=$!
until grep -q "Listening on" "$build/bench-dump.err" 2>/dev/null; do sleep 0.1; done
api() { curl -sS --unix-socket "$sock" "$@"; }
# recorded/lost of the trace from /list
counters() { api "http://localhost/list?format=json" | python3 -c 'import json,sys; t=json.load(sys.stdin)["traces"][0]; print(t["recorded"], t["lost"])'; }

sh -c "echo \$\$ > $cg/cgroup.procs; exec $work getppid 2000000000" &
loop=$!

printf "%-6s %9s %8s %8s %9s %8s %7s %6s %10s\n" ring slots dump_ms copy_ms pause_ms events torn lost rate_ratio
for size in 4M 256M; do
  api -X POST "http://localhost/add?name=bench&size=$size&cgrouppath=$cg" >/dev/null
  capacity=$(api "http://localhost/list?format=json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["traces"][0]["capacity"])')
  # let the ring wrap
  until read -r rec _ < <(counters) && (( rec > capacity )); do sleep 0.2; done
  # the loop's rate without dumps, over one second
  ta=$(date +%s%N); read -r r0 _ < <(counters); sleep 2; read -r r1 _ < <(counters); tb=$(date +%s%N)
  idle_rate=$(( (r1 - r0) * 1000000 / ((tb - ta) / 1000) ))
  for _ in $(seq "$dumps"); do
    ta=$(date +%s%N)
    read -r r0 l0 < <(counters)
    t0=$(date +%s%N)
    api -o "$build/bench-dump.out" "http://localhost/dump?name=bench&format=json"
    t1=$(date +%s%N)
    read -r r1 l1 < <(counters)
    tb=$(date +%s%N)
    summary=$(head -1 "$build/bench-dump.out")
    copy_ms=$(grep -o 'slots in [0-9.]* ms' "$build/bench-dump.err" | tail -1 | awk '{print $3}')
    ms=$(( (t1 - t0) / 1000000 ))
    rate=$(( (r1 - r0) * 1000000 / ((tb - ta) / 1000) ))
    python3 - "$size" "$capacity" "$ms" "$copy_ms" "$summary" "$((l1 - l0))" "$rate" "$idle_rate" <<'PY'
import json, sys
size, cap, ms, copy_ms, summary, lost, rate, idle = sys.argv[1:]
s = json.loads(summary)
print(f"{size:<6} {int(cap):>9} {int(ms):>8} {float(copy_ms):>8.1f} {0:>9} {s['events']:>8} {s['torn']:>7} {int(lost):>6} {int(rate)/max(int(idle),1):>10.2f}")
PY
  done
  api -X POST "http://localhost/close?name=bench" >/dev/null
done
