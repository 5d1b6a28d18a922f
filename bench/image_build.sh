#!/usr/bin/env bash
# `docker build .` from scratch, timed: the Dockerfile's own build stage (install-deps.sh --build,
# cmake, ninja) on Debian 12 bases made by scripts/make-debian-base.sh (no registry here), with
# --no-cache; then the image's size over its base. The tests build the image from a tree built
# already (test/integration/image_test.cpp, seconds); this is the path a user without a build takes.
# Run as root with a Docker engine on /run/docker.sock: bench/image_build.sh [JOBS-NOTE]
set -euo pipefail
cd "$(dirname "$0")/.."
docker=${DOCKER:-docker}
"$docker" version --format '{{.Server.Version}}' >/dev/null 2>&1 || {
  echo "$0: no Docker engine answers on /run/docker.sock (start one: dockerd --bridge=none --iptables=false)" >&2
  exit 1
}
tag=ctrace-bench-$$
cleanup() { "$docker" rmi -f "$tag/ctrace" "$tag/debian:12" "$tag/debian:12-slim" >/dev/null 2>&1 || true; }
trap cleanup EXIT
s=$(date +%s.%N)
DOCKER=$docker scripts/make-debian-base.sh "$tag/debian:12-slim" >/dev/null
"$docker" tag "$tag/debian:12-slim" "$tag/debian:12"
b=$(date +%s.%N)
"$docker" build --no-cache --network host --build-arg "CTRACE_BUILD_BASE=$tag/debian:12" \
  --build-arg "CTRACE_BASE=$tag/debian:12-slim" -t "$tag/ctrace" . >"/tmp/$tag.log" 2>&1 || {
  tail -30 "/tmp/$tag.log" >&2
  echo "$0: docker build failed (log: /tmp/$tag.log)" >&2
  exit 1
}
e=$(date +%s.%N)
rm -f "/tmp/$tag.log"
size() { "$docker" image inspect -f '{{.Size}}' "$1"; }
img=$(size "$tag/ctrace") base=$(size "$tag/debian:12-slim")
"$docker" run --rm "$tag/ctrace" --version >/dev/null
awk -v s="$s" -v b="$b" -v e="$e" -v img="$img" -v base="$base" -v cpus="$(nproc)" 'BEGIN {
  printf "base (debootstrap + import): %.0f s\n", b - s
  printf "docker build --no-cache:     %.0f s (%d CPUs)\n", e - b, cpus
  printf "image: %.1f MB, %.1f MB over its base (%.1f MB)\n", img / 1e6, (img - base) / 1e6, base / 1e6
}'
