#!/usr/bin/env bash
# Longer fuzzing runs than CI's 20 s: every libFuzzer target of test/fuzz for SECONDS each
# (default 600), two at a time, keeping what they find in build-fuzz/corpus/ for the next run.
# Usage: bench/fuzz.sh [SECONDS] [TARGET...]   (see scripts/fuzz.sh; figures in bench/README.md)
set -euo pipefail
cd "$(dirname "$0")/.."
exec scripts/fuzz.sh "${1:-600}" "${@:2}"
