#!/usr/bin/env bash
# Does a streaming command keep up with a flood at its default settings? Runs
# `ctrace unshare -x -o json > FILE` (or openclose), then a workload in the traced cgroup that
# makes RATE failing calls per second for SECONDS, and counts the events in FILE and the lost
# ones. Run as root:  bench/stream_flood.sh [BUILD_DIR] [unshare|openclose] [RATE] [SECONDS] [ctrace options...]
set -euo pipefail
build=${1:-build}
cmd=${2:-unshare}
rate=${3:-400000}
secs=${4:-3}
shift $(($# < 4 ? $# : 4))
total=$((rate * secs))
mount=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/self/mounts)
cg="$mount/ctrace-flood-$$"
out=$(mktemp /tmp/ctrace-flood.XXXXXX)
mkdir "$cg"
trap 'rmdir "$cg" 2>/dev/null; rm -f "$out" "$out.err"' EXIT
case $cmd in
  unshare) action=(unshare 0x1 "$total") ;;            # unshare(0x1): EINVAL at once
  openclose) action=(openat-fail "$total") ;;          # openat of a missing file: ENOENT
  *) echo "stream_flood.sh: unshare or openclose" >&2; exit 2 ;;
esac
"$build/ctrace" "$cmd" -x -o json -c "$cg" "$@" >"$out" 2>"$out.err" &
tracer=$!
until grep -q Collecting "$out.err"; do sleep 0.05; done
start=$(date +%s.%N)
sh -c 'echo $$ > "$1/cgroup.procs"; shift; exec "$@"' sh "$cg" \
  "$build/test/ctrace_workload" --rate "$rate" "${action[@]}"
end=$(date +%s.%N)
sleep 0.5
kill -INT "$tracer"
wait "$tracer" || true
events=$(grep -c "\"type\":\"$cmd\"" "$out" || true)
lost=$(awk -F'"count":' '/"type":"lost"/ {n += $2 + 0} END {print n + 0}' "$out")
awk -v t="$total" -v e="$events" -v l="${lost:-0}" -v s="$start" -v f="$end" -v c="$cmd" 'BEGIN {
  d = f - s
  printf "%s: %d calls in %.2f s (%.0f/s): %d events written, %d lost (%.2f%%), %d unaccounted\n",
         c, t, d, t / d, e, l, 100 * l / t, t - e - l }'
