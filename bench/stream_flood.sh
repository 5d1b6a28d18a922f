#!/usr/bin/env bash
# Do the streaming commands keep up with a flood at their default settings? For each command,
# runs `ctrace CMD -o json -c CG > FILE`, then a workload in the traced cgroup that makes RATE
# traced calls per second for SECONDS (RATE 0: as fast as it can, the same number of calls),
# and counts the events in FILE and the lost ones; they must add up to the calls made. Then an
# idle run of 2 s gives the command's peak RSS (VmHWM). Each case runs RUNS times; the summary
# gives the median. Run as root:
#   bench/stream_flood.sh [BUILD_DIR] [unshare|openclose|tcpconnect|all] [RATE] [SECONDS] [ctrace options...]
#   RUNS=5 bench/stream_flood.sh build all 400000 3      # paced, then (RATE 0) an unpaced burst
set -euo pipefail
build=${1:-build}
which=${2:-all}
rate=${3:-400000}
secs=${4:-3}
shift $(($# < 4 ? $# : 4))
runs=${RUNS:-3}
total=$(((rate > 0 ? rate : 400000) * secs))  # the burst makes as many calls as the paced run
mount=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/self/mounts)
cg="$mount/ctrace-flood-$$"
out=$(mktemp /tmp/ctrace-flood.XXXXXX)
results=$(mktemp /tmp/ctrace-flood-results.XXXXXX)
port=1  # nothing listens on 127.0.0.1:1: every connect is refused at once
mkdir "$cg"
tracer=
cleanup() {
  [ -n "$tracer" ] && kill -INT "$tracer" 2>/dev/null && wait "$tracer" 2>/dev/null
  rmdir "$cg" 2>/dev/null
  rm -f "$out" "$out.err" "$results"
}
trap cleanup EXIT

# The workload's arguments for N traced calls of CMD.
action() {
  case $1 in
    unshare) echo "unshare 0x1 $2" ;;             # unshare(0x1): EINVAL at once
    openclose) echo "openat-fail $2" ;;           # openat of a missing file: ENOENT
    tcpconnect) echo "connect 127.0.0.1:$port $2" ;;  # one refused connect each
  esac
}

# The tracer's options: unshare and openclose report failed calls only (-x), tcpconnect all.
options() {
  case $1 in
    unshare | openclose) echo "-x" ;;
    tcpconnect) echo "" ;;
  esac
}

start_tracer() {
  local cmd=$1
  shift
  # shellcheck disable=SC2046
  : >"$out.err"
  "$build/ctrace" "$cmd" $(options "$cmd") -o json -c "$cg" "$@" >"$out" 2>"$out.err" &
  tracer=$!
  until grep -q Collecting "$out.err"; do
    kill -0 "$tracer" 2>/dev/null || { cat "$out.err" >&2; exit 1; }
    sleep 0.05
  done
}

stop_tracer() {
  kill -INT "$tracer"
  wait "$tracer" || true
  tracer=
}

# flood CMD RATE: one run; appends "CMD RATE calls secs events lost cpu_s" to $results.
flood() {
  local cmd=$1 r=$2 n=$total
  shift 2
  start_tracer "$cmd" "$@"
  local t0 t1 c0 c1
  c0=$(awk '{print $14 + $15}' "/proc/$tracer/stat")
  t0=$(date +%s.%N)
  # shellcheck disable=SC2046
  sh -c 'echo $$ > "$1/cgroup.procs"; shift; exec "$@"' sh "$cg" \
    "$build/test/ctrace_workload" --rate "$r" $(action "$cmd" "$n")
  t1=$(date +%s.%N)
  sleep 0.5
  c1=$(awk '{print $14 + $15}' "/proc/$tracer/stat")
  stop_tracer
  [ -n "${KEEP:-}" ] && cp "$out.err" "$KEEP.$cmd.$r.err"
  local events lost
  events=$(grep -c "\"type\":\"$cmd\"" "$out" || true)
  lost=$(awk -F'"count":' '/"type":"lost"/ {n += $2 + 0} END {print n + 0}' "$out")
  echo "$cmd $r $n $(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}') $events $lost \
$(awk -v a="$c0" -v b="$c1" -v hz="$(getconf CLK_TCK)" 'BEGIN {print (b - a) / hz}')" >>"$results"
  awk -v c="$cmd" -v r="$r" -v t="$n" -v s="$t0" -v f="$t1" -v e="$events" -v l="$lost" 'BEGIN {
    d = f - s
    printf "%-10s %-7s %d calls in %.2f s (%.0f/s): %d events written, %d lost (%.2f%%), %d unaccounted\n",
           c, r == 0 ? "burst" : r "/s", t, d, t / d, e, l, 100 * l / t, t - e - l }'
}

# idle CMD: peak RSS (kB) of a run that sees no event for 2 s.
idle_rss() {
  local cmd=$1
  shift
  start_tracer "$cmd" "$@"
  sleep 2
  local hwm
  hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$tracer/status")
  stop_tracer
  echo "$cmd idle $hwm" >>"$results"
  echo "$cmd: idle 2 s, peak RSS $hwm kB"
}

cmds=$which
[ "$which" = all ] && cmds="unshare openclose tcpconnect"
for cmd in $cmds; do
  case $cmd in
    unshare | openclose | tcpconnect) ;;
    *) echo "stream_flood.sh: unshare, openclose, tcpconnect or all, not '$cmd'" >&2; exit 2 ;;
  esac
done
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for ((i = 1; i <= runs; i++)); do
  for cmd in $cmds; do
    flood "$cmd" "$rate" "$@"
    [ "$rate" != 0 ] && flood "$cmd" 0 "$@"
    idle_rss "$cmd" "$@"
  done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "median of $runs runs, $total calls each:"
printf "%-10s %-8s %10s %10s %8s %12s %14s\n" COMMAND RATE "CALLS/S" EVENTS LOST% "CPU(s)" "PEAK_RSS(kB)"
for cmd in $cmds; do
  hwm=$(awk -v c="$cmd" '$1 == c && $2 == "idle" {print $3}' "$results" | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}')
  rates=$rate
  [ "$rate" != 0 ] && rates="$rate 0"
  for r in $rates; do
    awk -v c="$cmd" -v r="$r" '$1 == c && $2 == r {print $3 / $4, $5, 100 * $6 / $3, $7}' "$results" |
      sort -n -k3 | awk -v c="$cmd" -v r="$r" -v h="$hwm" '
        {rate[NR] = $1; ev[NR] = $2; lost[NR] = $3; cpu[NR] = $4}
        END {
          m = int((NR + 1) / 2)   # the run with the median loss
          printf "%-10s %-8s %10.0f %10d %8.2f %12.2f %14s\n", c, r == 0 ? "burst" : r "/s",
                 rate[m], ev[m], lost[m], cpu[m], h }'
  done
done
