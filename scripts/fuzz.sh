#!/usr/bin/env bash
# Builds the libFuzzer targets of test/fuzz in build-fuzz/ (clang-14, -DCTRACE_FUZZ=ON) and
# runs each for SECONDS (default 20), two at a time, from the seeds in test/fuzz/corpus/TARGET,
# the inputs that crashed it once (test/fuzz/regressions/TARGET) and what earlier runs found
# (build-fuzz/corpus/TARGET). A crash, leak, timeout or OOM
# leaves its input in build-fuzz/artifacts/TARGET/ and fails the run (exit 1); reproduce it
# with `build-fuzz/test/fuzz/TARGET FILE`.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]   (CTRACE_JOBS: build jobs and targets run at once, default 2)
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-20}
shift || true
jobs=${CTRACE_JOBS:-2}
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
fi
cmake -S . -B build-fuzz -G Ninja -DCTRACE_FUZZ=ON -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
  "${launcher[@]}" >/dev/null
targets=("$@")
if ((${#targets[@]})); then
  cmake --build build-fuzz -j"$jobs" --target "${targets[@]}"
else
  cmake --build build-fuzz -j"$jobs"
  mapfile -t targets <build-fuzz/fuzz_targets.txt
fi
artifacts="$PWD/build-fuzz/artifacts"
rm -rf "$artifacts"
# UBSan reports abort (the build does not recover); leaks are reported at exit.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1"

run_one() {
  local t=$1 log="build-fuzz/logs/$1.log"
  local seeds=("test/fuzz/corpus/$t")
  [[ -d test/fuzz/regressions/$t ]] && seeds+=("test/fuzz/regressions/$t")  # inputs that crashed once
  mkdir -p "$artifacts/$t" "build-fuzz/corpus/$t" build-fuzz/logs
  if build-fuzz/test/fuzz/"$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
    -print_final_stats=1 -artifact_prefix="$artifacts/$t/" \
    "build-fuzz/corpus/$t" "${seeds[@]}" >"$log" 2>&1; then
    echo "fuzz: $t: $(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$') runs in ${seconds}s, no crash"
  else
    echo "fuzz: $t FAILED (log: $log)" >&2
    grep -A12 -m1 '^fuzz check failed:' "$log" >&2 || true  # what the target's own check saw
    grep -A25 -m1 -E '^==[0-9]+==ERROR|runtime error|deadly signal|Timeout|out-of-memory' "$log" >&2 || tail -40 "$log" >&2
    return 1
  fi
}

status=0
running=0
for t in "${targets[@]}"; do
  run_one "$t" &
  running=$((running + 1))
  if ((running >= jobs)); then
    wait -n || status=1
    running=$((running - 1))
  fi
done
while ((running > 0)); do
  wait -n || status=1
  running=$((running - 1))
done
if compgen -G "$artifacts/*/*" >/dev/null; then
  echo "fuzz: inputs that crashed (reproduce with build-fuzz/test/fuzz/TARGET FILE):" >&2
  # Each input also in base64 (at most -max_len bytes), so that a CI log is enough to
  # reproduce: echo BASE64 | base64 -d >FILE
  for f in "$artifacts"/*/*; do
    echo "$f" >&2
    echo "  base64: $(base64 -w0 "$f")" >&2
  done
  status=1
fi
exit "$status"
