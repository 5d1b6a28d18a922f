#!/usr/bin/env bash
# Builds and runs every test twice (as root, like CI):
#   1. the normal build in build/: unit + integration tests (ctest);
#   2. an ASan + UBSan build in build-asan/ (-DCTRACE_SANITIZE=address,undefined): the same
#      tests, where any sanitizer report fails the run (halt/abort on the first error, and
#      every report is also written under build-asan/sanitizer-reports/, which must stay empty).
# Usage: scripts/run-tests.sh [--asan-only | --no-asan]   (CTRACE_JOBS: build jobs, default 2)
set -euo pipefail
cd "$(dirname "$0")/.."

jobs=${CTRACE_JOBS:-2}
normal=1 asan=1
case "${1:-}" in
  --asan-only) normal=0 ;;
  --no-asan) asan=0 ;;
  "") ;;
  *) echo "usage: $0 [--asan-only | --no-asan]" >&2; exit 2 ;;
esac
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi

if ((normal)); then
  cmake -S . -B build -G Ninja "${launcher[@]}"
  cmake --build build -j"$jobs"
  ctest --test-dir build --output-on-failure
fi

if ((asan)); then
  cmake -S . -B build-asan -G Ninja -DCTRACE_SANITIZE=address,undefined "${launcher[@]}"
  cmake --build build-asan -j"$jobs"
  reports="$PWD/build-asan/sanitizer-reports"
  rm -rf "$reports" && mkdir -p "$reports"
  # Inherited by the ctrace processes the tests start: a report aborts that process (its
  # test fails on the exit status) and leaves a file behind (caught below even if not).
  export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1:log_path=$reports/asan"
  export UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1:log_path=$reports/ubsan"
  status=0
  ctest --test-dir build-asan --output-on-failure || status=$?
  if compgen -G "$reports/*" >/dev/null; then
    echo "sanitizer reports (build-asan/sanitizer-reports):" >&2
    cat "$reports"/* >&2
    status=1
  fi
  exit "$status"
fi
