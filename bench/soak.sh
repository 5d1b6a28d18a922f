#!/usr/bin/env bash
# Soak: do long-running ctrace processes stay flat? For MINUTES (default 30) runs
#   - `ctrace serve` with 16 recorder targets, one per cgroup, each cgroup with a workload
#     making syscalls at a steady rate (getppid, write to /dev/null, open+close of /dev/null);
#   - a ctl loop that, over and over, dumps one target, closes another and adds it back
#     (so 15-16 targets at any time, every target re-created every 16 rounds);
#   - `ctrace stat -i 1 -o json` and `ctrace openclose -o json` on the parent of the 16 cgroups
#     (their output to files, checked to grow);
# and samples RSS, open fds and threads of every ctrace process every 10 s (SAMPLES.csv).
# After a warm-up (the first 2 minutes, or a third of a shorter run), the mean of the last 3
# samples of each figure must not exceed the mean of the first 3 samples after warm-up by more
# than the tolerance: RSS 10% + 1 MiB, fds 2, threads 2. Exit 1 if one grows beyond that.
# Run as root:  bench/soak.sh [BUILD_DIR] [MINUTES] [RATE per workload, default 2000/s]
set -euo pipefail
build=${1:-build}
minutes=${2:-30}
rate=${3:-2000}
ctrace=$build/ctrace
work=$build/test/ctrace_workload
interval=10
secs=$((minutes * 60))
warmup=$((secs / 3 < 120 ? secs / 3 : 120))
mount=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/self/mounts)
base=$mount/ctrace-soak-$$
sock=/tmp/ctrace-soak-$$.sock
logs=$(mktemp -d /tmp/ctrace-soak.XXXXXX)
samples=$logs/samples.csv
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  for i in $(seq 0 15); do
    [ -d "$base/t$i" ] && echo 1 >"$base/t$i/cgroup.kill" 2>/dev/null
  done
  sleep 0.2
  for i in $(seq 0 15); do rmdir "$base/t$i" 2>/dev/null || true; done
  rmdir "$base" 2>/dev/null || true
  echo "logs and samples: $logs"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$base"
calls=$((rate * (secs + 60)))
actions=("getppid $calls" "write-null $calls" "open-close /dev/null $((calls / 2))")
for i in $(seq 0 15); do
  mkdir -p "$base/t$i"
  # shellcheck disable=SC2086
  sh -c 'echo $$ > "$1/cgroup.procs"; shift; exec "$@"' sh "$base/t$i" \
    "$work" --rate "$rate" ${actions[$((i % 3))]} >/dev/null 2>&1 &
  pids+=($!)
done

"$ctrace" serve --socket "$sock" 2>"$logs/serve.err" &
serve=$!
pids+=("$serve")
until grep -q "Listening on" "$logs/serve.err" 2>/dev/null; do
  kill -0 "$serve" 2>/dev/null || { cat "$logs/serve.err" >&2; exit 1; }
  sleep 0.1
done
for i in $(seq 0 15); do "$ctrace" ctl --socket "$sock" add "t$i" "$base/t$i" >/dev/null; done

"$ctrace" stat -i 1 -o json -c "$base" >"$logs/stat.out" 2>"$logs/stat.err" &
stat=$!
pids+=("$stat")
"$ctrace" openclose -o json -c "$base" >"$logs/openclose.out" 2>"$logs/openclose.err" &
openclose=$!
pids+=("$openclose")

# add/dump/close: round k dumps target k, closes target k+1 and adds it back
(
  k=0
  while :; do
    a=$((k % 16)) b=$(((k + 1) % 16))
    "$ctrace" ctl --socket "$sock" dump "t$a" >/dev/null
    "$ctrace" ctl --socket "$sock" close "t$b" >/dev/null
    "$ctrace" ctl --socket "$sock" add "t$b" "$base/t$b" >/dev/null
    "$ctrace" ctl --socket "$sock" list >/dev/null
    k=$((k + 1))
    echo "$k" >"$logs/rounds"
    sleep 0.2
  done
) 2>"$logs/ctl.err" &
pids+=($!)

sample() {  # name pid -> "t,name,rss_kb,fds,threads"
  local t=$1 name=$2 pid=$3
  [ -d "/proc/$pid" ] || { echo "soak.sh: $name ($pid) is gone" >&2; exit 1; }
  echo "$t,$name,$(awk '/^VmRSS:/ {r = $2} /^Threads:/ {t = $2} END {print r}' "/proc/$pid/status"),$(ls "/proc/$pid/fd" | wc -l),$(awk '/^Threads:/ {print $2}' "/proc/$pid/status")"
}

echo "t_s,process,rss_kb,fds,threads" >"$samples"
echo "soak: $minutes min, 16 targets, $rate calls/s in each of 16 cgroups; samples every ${interval}s, warm-up ${warmup}s"
start=$(date +%s)
for ((t = 0; t <= secs; t += interval)); do
  now=$(($(date +%s) - start))
  [ "$now" -lt "$t" ] && sleep $((t - now))
  for p in serve:$serve stat:$stat openclose:$openclose; do sample "$t" "${p%%:*}" "${p#*:}" >>"$samples"; done
  if ((t % 60 == 0)); then
    echo "$(date +%T) t=${t}s rounds=$(cat "$logs/rounds" 2>/dev/null || echo 0) load=$(cut -d' ' -f1 /proc/loadavg) $(awk -F, -v t="$t" '$1 == t {printf "%s: %d kB %d fds %d thr  ", $2, $3, $4, $5}' "$samples")"
  fi
done
rounds=$(cat "$logs/rounds" 2>/dev/null || echo 0)
stat_rows=$(wc -l <"$logs/stat.out")
oc_events=$(wc -l <"$logs/openclose.out")
serve_lost=$("$ctrace" ctl --socket "$sock" -o json list | grep -o '"lost":[0-9]*' | awk -F: '{n += $2} END {print n + 0}')
echo "ctl rounds (dump + close + add + list): $rounds; stat intervals written: $stat_rows; openclose events written: $oc_events"
echo "openclose: $(grep -c lost "$logs/openclose.out" || true) lost notices; serve: lost $serve_lost (ring overwrites are not losses)"
[ "$rounds" -gt 0 ] && [ "$stat_rows" -gt 0 ] && [ "$oc_events" -gt 0 ] || { echo "soak.sh: no activity" >&2; exit 1; }

# first 3 samples after warm-up against the last 3
awk -F, -v w="$warmup" '
  NR == 1 { next }
  $1 >= w { n[$2]++; k = n[$2]; rss[$2, k] = $3; fds[$2, k] = $4; thr[$2, k] = $5
            if ($3 > maxr[$2]) maxr[$2] = $3 }
  END {
    bad = 0
    printf "%-10s %14s %14s %12s %10s %10s %10s %10s\n", "PROCESS", "RSS_START(kB)", "RSS_END(kB)",
           "RSS_MAX(kB)", "FDS_START", "FDS_END", "THR_START", "THR_END"
    for (p in n) {
      if (n[p] < 6) { print "soak.sh: too few samples after warm-up for " p; bad = 1; continue }
      r0 = (rss[p, 1] + rss[p, 2] + rss[p, 3]) / 3; r1 = (rss[p, n[p]] + rss[p, n[p] - 1] + rss[p, n[p] - 2]) / 3
      f0 = (fds[p, 1] + fds[p, 2] + fds[p, 3]) / 3; f1 = (fds[p, n[p]] + fds[p, n[p] - 1] + fds[p, n[p] - 2]) / 3
      t0 = (thr[p, 1] + thr[p, 2] + thr[p, 3]) / 3; t1 = (thr[p, n[p]] + thr[p, n[p] - 1] + thr[p, n[p] - 2]) / 3
      printf "%-10s %14.0f %14.0f %12d %10.1f %10.1f %10.1f %10.1f\n", p, r0, r1, maxr[p], f0, f1, t0, t1
      if (r1 > r0 * 1.10 + 1024) { printf "soak.sh: %s RSS grew from %.0f to %.0f kB\n", p, r0, r1; bad = 1 }
      if (f1 > f0 + 2) { printf "soak.sh: %s fds grew from %.1f to %.1f\n", p, f0, f1; bad = 1 }
      if (t1 > t0 + 2) { printf "soak.sh: %s threads grew from %.1f to %.1f\n", p, t0, t1; bad = 1 }
    }
    if (!bad) print "flat: RSS within 10% + 1 MiB, fds and threads within 2, after warm-up"
    exit bad
  }' "$samples"
