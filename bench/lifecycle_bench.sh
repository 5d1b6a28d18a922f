#!/usr/bin/env bash
# What the process-life commands cost a fork+exec+exit: a loop of /bin/true in a cgroup of its
# own, with each command attached to that cgroup (its events to /dev/null as JSON), against no
# tracer, interleaved in rounds; medians of the wall time per iteration, and the ratio to the
# baseline of the same round. Run as root: bench/lifecycle_bench.sh [BUILD_DIR] [ROUNDS] [ITERATIONS]
set -euo pipefail
build=${1:-build}
rounds=${2:-5}
n=${3:-2000}
ctrace=$build/ctrace
[[ -x $ctrace ]] || { echo "no $ctrace: build first (cmake --build $build)" >&2; exit 2; }
mount=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
cg=$mount/ctrace-lifecycle-bench-$$
mkdir "$cg"
tracer=
cleanup() {
  [[ -n $tracer ]] && kill -INT "$tracer" 2>/dev/null && wait "$tracer" 2>/dev/null || true
  rmdir "$cg" 2>/dev/null || true
}
trap cleanup EXIT

configs=("base" "exec" "exit" "signal" "oomkill" "top")
declare -A samples

# ns per iteration of N fork+exec+exit+wait of /bin/true, the loop's shell inside the cgroup
loop() {
  bash -c 'echo $$ > "$1/cgroup.procs"; s=$(date +%s%N); for ((i = 0; i < $2; i++)); do /bin/true; done; e=$(date +%s%N); echo $(( (e - s) / $2 ))' \
    bench "$cg" "$n"
}

for ((r = 1; r <= rounds; r++)); do
  echo "round $r/$rounds" >&2
  for c in "${configs[@]}"; do
    log=$(mktemp)
    case $c in
      base) ;;
      top) "$ctrace" top -o json -i 3600 -c "$cg" >/dev/null 2>"$log" & tracer=$! ;;
      *) "$ctrace" "$c" -o json -c "$cg" >/dev/null 2>"$log" & tracer=$! ;;
    esac
    if [[ -n $tracer ]]; then
      for _ in $(seq 200); do grep -q "Collecting events" "$log" && break; sleep 0.05; done
      grep -q "Collecting events" "$log" || { echo "$c did not start: $(cat "$log")" >&2; exit 1; }
    fi
    samples[$c]+="$(loop) "
    if [[ -n $tracer ]]; then kill -INT "$tracer"; wait "$tracer" || true; tracer=; fi
    rm -f "$log"
  done
done

median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
base=$(echo "${samples[base]}" | median)
printf "fork+exec+exit of /bin/true, %d per run, median of %d rounds (load average %s)\n\n" "$n" "$rounds" \
  "$(cut -d' ' -f1 /proc/loadavg)"
printf "%-10s %12s %8s\n" CONFIG "NS/ITER" RATIO
for c in "${configs[@]}"; do
  m=$(echo "${samples[$c]}" | median)
  awk -v c="$c" -v m="$m" -v b="$base" 'BEGIN { printf "%-10s %12.0f %8.3f\n", c, m, m / b }'
done
