#!/usr/bin/env bash
# Builds and runs every test twice (as root, like CI):
#   1. the normal build in build/: unit + integration tests (ctest);
#   2. an ASan + UBSan build in build-asan/ (-DCTRACE_SANITIZE=address,undefined): the same
#      tests, where any sanitizer report fails the run (halt/abort on the first error, and
#      every report is also written under build-asan/sanitizer-reports/, which must stay empty);
#   3. a ThreadSanitizer build in build-tsan/ (-DCTRACE_SANITIZE=thread) of ctrace, under the
#      daemon's concurrency tests of build/ (serve, ctl, dumps while recording; CTRACE_TEST_BIN),
#      where any report fails the run;
#   4. the libFuzzer targets (test/fuzz) built with clang in build-fuzz/ (-DCTRACE_FUZZ=ON), each
#      run for CTRACE_FUZZ_SECONDS (default 20) from its seeds: any crash fails the run and
#      leaves its input under build-fuzz/artifacts/ (scripts/fuzz.sh).
# Usage: scripts/run-tests.sh [--asan-only | --no-asan | --tsan-only | --no-tsan | --fuzz-only | --no-fuzz]
#        (CTRACE_JOBS: build jobs, default 2)
set -euo pipefail
cd "$(dirname "$0")/.."

jobs=${CTRACE_JOBS:-2}
normal=1 asan=1 tsan=1 fuzz=1
case "${1:-}" in
  --asan-only) normal=0 tsan=0 fuzz=0 ;;
  --no-asan) asan=0 ;;
  --tsan-only) normal=0 asan=0 fuzz=0 ;;
  --no-tsan) tsan=0 ;;
  --fuzz-only) normal=0 asan=0 tsan=0 ;;
  --no-fuzz) fuzz=0 ;;
  "") ;;
  *) echo "usage: $0 [--asan-only | --no-asan | --tsan-only | --no-tsan | --fuzz-only | --no-fuzz]" >&2; exit 2 ;;
esac
status=0
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  # Paths relative to the checkout, so that three builds (and another clone) share objects.
  export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
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
  ctest --test-dir build-asan --output-on-failure || status=1
  if compgen -G "$reports/*" >/dev/null; then
    echo "sanitizer reports (build-asan/sanitizer-reports):" >&2
    cat "$reports"/* >&2
    status=1
  fi
  unset ASAN_OPTIONS UBSAN_OPTIONS
fi

if ((tsan)); then
  # Only ctrace is built with TSan: the tests (build/) run it through CTRACE_TEST_BIN.
  cmake -S . -B build-tsan -G Ninja -DCTRACE_SANITIZE=thread "${launcher[@]}"
  cmake --build build-tsan -j"$jobs" --target ctrace
  cmake -S . -B build -G Ninja "${launcher[@]}"
  cmake --build build -j"$jobs" --target ctrace_integration_tests ctrace_workload
  reports="$PWD/build-tsan/sanitizer-reports"
  rm -rf "$reports" && mkdir -p "$reports"
  # test/tsan.supp hides only reports inside Debian's uninstrumented libcpp-httplib.so.
  export TSAN_OPTIONS="suppressions=$PWD/test/tsan.supp:halt_on_error=1:exitcode=66:log_path=$reports/tsan"
  CTRACE_TEST_BIN="$PWD/build-tsan/ctrace" build/test/ctrace_integration_tests \
    'serve*,SIGTERM stops serve*,ctl takes*,dumps in a loop*' || status=1
  unset TSAN_OPTIONS
  if compgen -G "$reports/*" >/dev/null; then
    echo "sanitizer reports (build-tsan/sanitizer-reports):" >&2
    cat "$reports"/* >&2
    status=1
  fi
fi
if ((fuzz)); then
  scripts/fuzz.sh "${CTRACE_FUZZ_SECONDS:-20}" || status=1
fi
exit "$status"
