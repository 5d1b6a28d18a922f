#!/usr/bin/env bash
# Makes a Debian 12 base image without a registry: `debootstrap --variant=minbase bookworm`,
# slimmed as Debian's own debian:12-slim is (no docs, man pages, info or locales, now or from
# later installs; no apt lists or caches), imported into the Docker engine as IMAGE.
# Usage: scripts/make-debian-base.sh IMAGE [MIRROR]   (root; debootstrap and docker installed;
#        DOCKER: the docker CLI to use, default docker)
set -euo pipefail
if (($# < 1 || $# > 2)); then
  echo "usage: $0 IMAGE [MIRROR]   e.g. $0 debian:12-slim" >&2
  exit 2
fi
image=$1 mirror=${2:-http://deb.debian.org/debian}
command -v debootstrap >/dev/null || { echo "$0: debootstrap is missing: run scripts/install-deps.sh" >&2; exit 1; }
root=$(mktemp -d /tmp/ctrace-debootstrap-XXXXXX)
trap 'rm -rf "$root"' EXIT
debootstrap --variant=minbase bookworm "$root/fs" "$mirror" >"$root/log" 2>&1 || {
  tail -20 "$root/log" >&2
  echo "$0: debootstrap failed (log above)" >&2
  exit 1
}
cd "$root/fs"
rm -rf usr/share/doc/* usr/share/man/* usr/share/info/* usr/share/locale/* var/cache/apt/* var/lib/apt/lists/*
printf 'path-exclude /usr/share/doc/*\npath-exclude /usr/share/man/*\npath-exclude /usr/share/info/*\npath-exclude /usr/share/locale/*\n' \
  >etc/dpkg/dpkg.cfg.d/slim
tar -c . | "${DOCKER:-docker}" import - "$image" >/dev/null
echo "$image"
