#!/usr/bin/env bash
# ctrace serve --metrics-address: what a scrape costs, in one run (root):
#   for 0, 1 and 16 recorder targets: median and p99 wall time of GET /metrics (curl, loopback),
#   the daemon's CPU time per scrape (utime+stime over the scrapes), the text size, the RSS,
#   and the containers exported (every cgroup of the host with activity since serve started);
#   then the same with 100 more cgroups, each with a workload that ran in it.
#   Then a 2M-getppid loop in a traced cgroup, without and with a scrape every 100 ms: the
#   ratio shows whether scraping touches the traced syscalls (it should not: the exporter reads
#   the kernel's counters per scrape, nothing per event).
# Usage: bench/metrics_scrape.sh [BUILD_DIR] [SCRAPES]
set -euo pipefail
build=${1:-build}
scrapes=${2:-200}
ctrace=$build/ctrace
work=$build/test/ctrace_workload
ninja -C "$build" -j2 ctrace ctrace_workload >/dev/null
cgmount=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/self/mounts)
base=$cgmount/ctrace-bench-metrics
sock=/tmp/ctrace-bench-metrics-$$.sock
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$base/loop"
for i in $(seq 1 15); do mkdir -p "$base/t$i"; done
for i in $(seq 1 100); do mkdir -p "$base/c$i"; done
cleanup() {
  [[ -n ${srv:-} ]] && kill -TERM "$srv" 2>/dev/null && wait "$srv" 2>/dev/null || true
  [[ -n ${scraper:-} ]] && kill "$scraper" 2>/dev/null || true
  for i in $(seq 1 15); do rmdir "$base/t$i" 2>/dev/null || true; done
  for i in $(seq 1 100); do rmdir "$base/c$i" 2>/dev/null || true; done
  rmdir "$base/loop" "$base" 2>/dev/null || true
}
trap cleanup EXIT

"$ctrace" serve --socket "$sock" --metrics-address "127.0.0.1:$port" 2>"$build/bench-metrics.err" &
srv=$!
until grep -q "Listening on" "$build/bench-metrics.err" 2>/dev/null; do sleep 0.1; done

cpu_ticks() { awk '{print $14 + $15}' "/proc/$srv/stat"; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$srv/status"; }

scrape_row() {
  local label=$1 t0 t1
  t0=$(cpu_ticks)
  for _ in $(seq 1 "$scrapes"); do
    curl -s -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$port/metrics"
  done | sort -n | awk -v n="$scrapes" '{ a[NR] = $1 } END { printf "%s %s\n", a[int(n/2)+1], a[int(n*0.99)] }' > "$build/bench-metrics.times"
  t1=$(cpu_ticks)
  read -r med p99 < "$build/bench-metrics.times"
  local bytes containers
  curl -s "http://127.0.0.1:$port/metrics" > "$build/bench-metrics.text"
  bytes=$(wc -c < "$build/bench-metrics.text")
  containers=$(grep -c '^ctrace_container_syscalls_total{' "$build/bench-metrics.text" || true)
  awk -v t="$label" -v med="$med" -v p99="$p99" -v ticks=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" \
      -v n="$scrapes" -v bytes="$bytes" -v rss="$(rss_kb)" -v c="$containers" \
      'BEGIN { printf "%-20s %10d %12.3f %12.3f %16.3f %8d %10.1f\n", t, c, med*1000, p99*1000, ticks/hz/n*1000, bytes, rss/1024 }'
}

echo "scrapes per row: $scrapes"
printf "%-20s %10s %12s %12s %16s %8s %10s\n" "recorder targets" containers "median(ms)" "p99(ms)" "cpu/scrape(ms)" bytes "RSS(MiB)"
scrape_row 0
"$ctrace" ctl --socket "$sock" add loop "$base/loop" >/dev/null
scrape_row 1
for i in $(seq 1 15); do "$ctrace" ctl --socket "$sock" add "t$i" "$base/t$i" >/dev/null; done
scrape_row 16
# 100 more containers: a process runs 100 getppid in each cgroup (they stay, with their counts)
for i in $(seq 1 100); do
  sh -c "echo \$\$ > $base/c$i/cgroup.procs && exec $work getppid 100"
done
scrape_row "16 + 100 cgroups"

# CPU time (user + system, BPF included) per syscall of the loop in the traced cgroup, in ps
# (best of 3): CPU time, not wall time, so that other load on the machine does not count.
measure() {
  python3 - "$base/loop" "$work" <<'PY'
import os, sys
cg, work = sys.argv[1], sys.argv[2]
best = None
for _ in range(3):
    pid = os.fork()
    if pid == 0:
        with open(cg + "/cgroup.procs", "w") as f:
            f.write(str(os.getpid()))
        os.execv(work, [work, "getppid", "2000000"])
    _, status, ru = os.wait4(pid, 0)
    per = (ru.ru_utime + ru.ru_stime) / 2000000 * 1e12
    best = per if best is None or per < best else best
print(int(best))
PY
}
quiet=$(measure)
( while true; do curl -s -o /dev/null "http://127.0.0.1:$port/metrics"; sleep 0.1; done ) &
scraper=$!
scraped=$(measure)
kill "$scraper"; wait "$scraper" 2>/dev/null || true; scraper=
awk -v q="$quiet" -v s="$scraped" 'BEGIN {
  printf "traced getppid loop: %.1f ns CPU/syscall without scrapes, %.1f with a scrape every 100 ms (ratio %.3f)\n", q/1000, s/1000, s/q
}'
