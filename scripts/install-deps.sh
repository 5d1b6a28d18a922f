#!/usr/bin/env bash
# Installs what ctrace needs to build and test on Debian 12 (run as root).
# --build: only what building ctrace needs (the Dockerfile's build stage).
set -euo pipefail
case "${1:-}" in
  "" | --build) ;;
  *) echo "usage: $0 [--build]" >&2; exit 2 ;;
esac
build=(
  cmake ninja-build g++ pkg-config make ccache
  clang llvm bpftool
  libbpf-dev libelf-dev zlib1g-dev libseccomp-dev libcap-dev
  libcli11-dev libspdlog-dev libfmt-dev nlohmann-json3-dev
  libcpp-httplib-dev prometheus-cpp-dev
)
packages=(
  "${build[@]}"
  # tests
  catch2 jq util-linux procps iproute2 curl strace
  # the docker test that checks stat against perf stat -G (the seed's method)
  linux-perf
  # fuzzing (scripts/fuzz.sh): clang-14 with libFuzzer and the sanitizer runtimes
  clang-14 libclang-rt-14-dev
  # deploy/ checks and the exporter's tests: prometheus ships promtool; python3-yaml
  prometheus python3-yaml
  # real containers in the integration tests (podman runs with --runtime runc here: crun fails)
  runc podman busybox-static
  # a real Docker engine (Debian's 20.10): the docker tests start their own dockerd when none runs
  docker.io
  # the image test: a local debian:12-slim (no registry here)
  debootstrap
  # bench/footprint.sh: peak RSS of each command (GNU time)
  time
)
# kubectl (kustomize, offline) from Debian's kubernetes-client, unless one is installed already
# (another package owning /usr/bin/kubectl would conflict).
command -v kubectl >/dev/null || packages+=(kubernetes-client)
[[ ${1:-} == --build ]] && packages=("${build[@]}")
export DEBIAN_FRONTEND=noninteractive
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
