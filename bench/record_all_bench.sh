#!/usr/bin/env bash
# ctrace serve --record-all, in one run (root). Not a test: see bench/README.md.
#  1. cost per syscall, side by side, on two loads (getppid; 16 KiB reads from tmpfs with dd):
#       none       no tracer
#       floor      empty BPF programs on the same hooks (bench/floor.bpf.c)
#       rall-off   serve --record-all, the loop in a cgroup that is no container (not recorded)
#       rall-on    serve --record-all, the loop in a container's cgroup (recorded)
#       rec-off    ctrace record of another cgroup (record's own filter, for comparison)
#       rec-on     ctrace record of the loop's cgroup
#     A "container" is a cgroup at <cgroup2>/docker/<64 hex>, which ctrace's resolver names
#     like Docker's (no engine needed).
#  2. the time from a container's death (SIGSEGV) to its post-mortem file, which includes
#     the 300 ms serve gathers a failure's events for;
#  3. serve's RSS with N recorded containers (each ran 1000 getppid), before and after one
#     /dump of each.
# Usage: bench/record_all_bench.sh [BUILD_DIR] [N_CALLS] [N_CONTAINERS]
set -euo pipefail
build=${1:-build}
n=${2:-2000000}
ncont=${3:-100}
ctrace=$build/ctrace
floor_bin=$build/bench/ctrace_bench_floor
work=$build/test/ctrace_workload
segv=$build/test/ctrace_segv_helper
ninja -C "$build" -j2 ctrace ctrace_http ctrace_workload ctrace_bench_floor ctrace_segv_helper >/dev/null

cgmount=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/self/mounts)
tmp=$(mktemp -d /tmp/ctrace-bench-rall.XXXXXX)
sock=$tmp/serve.sock
pmdir=$tmp/postmortems
other_cg=$cgmount/ctrace-bench-rall-other
made_docker=
[[ -d $cgmount/docker ]] || { mkdir "$cgmount/docker"; made_docker=1; }
cgs=()   # the fake container cgroups made here
new_container() {  # sets $cg (not in a subshell: cleanup removes what cgs holds)
  cg=$cgmount/docker/$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
  mkdir "$cg"
  cgs+=("$cg")
}
pid=
cleanup() {
  [[ -n $pid ]] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  for cg in "${cgs[@]}" "$other_cg"; do rmdir "$cg" 2>/dev/null || true; done
  [[ -n $made_docker ]] && rmdir "$cgmount/docker" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$other_cg"
dd if=/dev/zero of=/dev/shm/ctrace-bench-16k bs=1M count=256 status=none
trap 'rm -f /dev/shm/ctrace-bench-16k; cleanup' EXIT

# ns per call of a load run inside cgroup $1 (best of 5); the load is $2
measure() {
  local cg=$1 load=$2 best= t0 t1 per cmd
  case $load in
    getppid) cmd="exec $work getppid $n"; calls=$n ;;
    read16k) cmd="exec dd if=/dev/shm/ctrace-bench-16k of=/dev/null bs=16k status=none"; calls=16384 ;;
  esac
  for _ in 1 2 3 4 5; do
    t0=$(date +%s%N)
    sh -c "echo \$\$ > $cg/cgroup.procs; $cmd"
    t1=$(date +%s%N)
    per=$(( (t1 - t0) * 1000 / calls ))   # ps per call (a dd block: one read and one write)
    [[ -z $best || $per -lt $best ]] && best=$per
  done
  echo "$best"
}

wait_line() {  # file needle
  for _ in $(seq 1 300); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "timed out waiting for '$2' in $1" >&2; cat "$1" >&2; return 1
}
start() {  # what ...
  "$@" >/dev/null 2>"$tmp/tracer.err" &
  pid=$!
}
stop() { kill -INT "$pid"; wait "$pid" || true; pid=; }
start_serve() {
  rm -f "$sock"
  "$ctrace" serve --socket "$sock" --record-all --postmortem-dir "$pmdir" "$@" >/dev/null 2>"$tmp/serve.err" &
  pid=$!
  wait_line "$tmp/serve.err" "Recording every container"
}

declare -A r
new_container; on_cg=$cg
for load in getppid read16k; do
  r[none,$load]=$(measure "$other_cg" $load)
  start "$floor_bin"; wait_line "$tmp/tracer.err" "Collecting events"
  r[floor,$load]=$(measure "$other_cg" $load); stop
  start_serve
  sleep 0.5   # the container cgroup is adopted (it was made before: resolver.list())
  r[rall-off,$load]=$(measure "$other_cg" $load)
  r[rall-on,$load]=$(measure "$on_cg" $load)
  stop
  start "$ctrace" record -c "${on_cg#$cgmount/}" --size 2M; wait_line "$tmp/tracer.err" "Collecting events"
  r[rec-off,$load]=$(measure "$other_cg" $load)
  r[rec-on,$load]=$(measure "$on_cg" $load)
  stop
done

printf '%-9s %-8s %12s %14s %9s %10s\n' mode load ns/call overhead_ns x_floor share
for load in getppid read16k; do
  for m in none floor rall-off rall-on rec-off rec-on; do
    awk -v m=$m -v load=$load -v v="${r[$m,$load]}" -v none="${r[none,$load]}" -v floor="${r[floor,$load]}" 'BEGIN {
      fo = floor - none; if (fo <= 0) fo = 1
      if (m == "none") { printf "%-9s %-8s %12.1f %14s %9s %9.0f%%\n", m, load, v/1000, "-", "-", 100; exit }
      printf "%-9s %-8s %12.1f %14.1f %9.2f %9.0f%%\n", m, load, v/1000, (v-none)/1000, (v-none)/fo, 100*none/v }'
  done
done
echo "(read16k: one dd block, a 16 KiB read from tmpfs and a write to /dev/null; share: throughput vs none)"

# 2. death -> post-mortem file
start_serve
times=()
for i in 1 2 3 4 5; do
  new_container
  sleep 0.3   # adopted
  before=$(ls "$pmdir" 2>/dev/null | grep -c '\.json$' || true)
  cp "$segv" "$tmp/segv"
  { sh -c "echo \$\$ > $cg/cgroup.procs; exec $tmp/segv"; } 2>/dev/null || true
  t0=$(date +%s%N)
  while (( $(ls "$pmdir" 2>/dev/null | grep -c '\.json$' || true) <= before )); do sleep 0.005; done
  t1=$(date +%s%N)
  times+=($(( (t1 - t0) / 1000000 )))
done
printf 'death -> post-mortem file (ms, 5 deaths): %s\n' "${times[*]}"
stop

# 3. RSS with N recorded containers
start_serve
rss() { awk '/^VmRSS/ {print $2}' /proc/$pid/status; }
rss0=$(rss)
for i in $(seq 1 "$ncont"); do
  new_container
  sh -c "echo \$\$ > $cg/cgroup.procs; exec $work getppid 1000"
done
sleep 1
rss1=$(rss)
traces=$(curl -s --unix-socket "$sock" 'http://localhost/list?format=json' | jq -r '.traces[].name')
ntraces=$(echo "$traces" | grep -c . || true)
for t in $traces; do curl -s --unix-socket "$sock" "http://localhost/dump?name=$t" >/dev/null; done
rss2=$(rss)
regions=$(grep -o '[0-9]* at once' "$tmp/serve.err" | head -1)
printf 'serve RSS: %d MiB at start, %d MiB with %d containers recorded (%d traces listed), %d MiB after a dump of each (%s)\n' \
  $((rss0 / 1024)) $((rss1 / 1024)) "$ncont" "$ntraces" $((rss2 / 1024)) "$regions"
