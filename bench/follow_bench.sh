#!/usr/bin/env bash
# How soon --container NAME follows a Docker container that comes back, and whether intervals stay
# on time meanwhile. A busybox container runs /bin/true in a loop; ROUNDS times each: `docker
# restart -t 0` (same id: followed when its cgroup is made) and `docker rm -f` + `docker run` under
# the same name (a new id: followed once the engine names it). Attached all along:
#   ctrace exec --container NAME -o json   -> the first exec seen after each engine "start" event
#   ctrace stat --container NAME -i 0.25   -> every interval's length (they should stay 250 ms)
# Run as root with a Docker engine on /run/docker.sock: bench/follow_bench.sh [BUILD_DIR] [ROUNDS]
set -euo pipefail
build=${1:-build}
rounds=${2:-3}
ctrace=$build/ctrace
docker=${DOCKER:-docker}
[[ -x $ctrace ]] || { echo "no $ctrace: build first (cmake --build $build)" >&2; exit 2; }
"$docker" version --format '{{.Server.Version}}' >/dev/null 2>&1 || {
  echo "$0: no Docker engine answers on /run/docker.sock" >&2
  exit 1
}
tmp=$(mktemp -d /tmp/ctrace-follow-bench-XXXXXX)
name=ctrace-follow-bench-$$ image=ctrace-follow-bench:$$
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  "$docker" rm -f "$name" >/dev/null 2>&1 || true
  "$docker" rmi -f "$image" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$tmp/fs/bin"
cp /bin/busybox "$tmp/fs/bin/busybox"
for a in sh true sleep; do ln -s busybox "$tmp/fs/bin/$a"; done
tar -C "$tmp/fs" -c . | "$docker" import - "$image" >/dev/null
run() { "$docker" run -d --name "$name" --network none "$image" /bin/sh -c 'while :; do /bin/true; done' >/dev/null; }
run
"$ctrace" exec --container "$name" -o json >"$tmp/exec.json" 2>"$tmp/exec.err" &
pids+=($!)
"$ctrace" stat --container "$name" -i 0.25 -o json >"$tmp/stat.json" 2>"$tmp/stat.err" &
pids+=($!)
sleep 2
since=$(date +%s)
for ((r = 0; r < rounds; r++)); do
  "$docker" restart -t 0 "$name" >/dev/null
  sleep 3
  "$docker" rm -f "$name" >/dev/null
  run
  sleep 3
done
until=$(date +%s)
for p in "${pids[@]}"; do kill -INT "$p"; done
wait "${pids[@]}" || true
pids=()
"$docker" events --since "$since" --until "$((until + 1))" --filter "container=$name" --filter event=start \
  --format '{{.TimeNano}}' >"$tmp/starts"
python3 - "$tmp" <<'PY'
import json, sys
tmp = sys.argv[1]
starts = [int(l) for l in open(f"{tmp}/starts") if l.strip()]
# each run of the container is a new cgroup (docker restart makes it again): its first exec seen
first = {}
for l in open(f"{tmp}/exec.json"):
    if l.strip():
        e = json.loads(l)
        first.setdefault(e["cgroup_id"], e["ts_ns"])
runs = sorted(first.values())
print("from the engine's 'start' event to the first exec seen in the new cgroup (negative: before")
print("the event, which the engine sends once runc has started the container's process):")
for i, s in enumerate(starts):
    kind = "docker restart      " if i % 2 == 0 else "rm -f + run (new id)"
    seen = [t for t in runs if s - 1_000_000_000 <= t < (starts[i + 1] if i + 1 < len(starts) else 1 << 62)]
    print(f"  {kind} {(seen[0] - s) / 1e6:+8.1f} ms" if seen else f"  {kind}   none seen")
iv = [json.loads(l)["duration_ms"] for l in open(f"{tmp}/stat.json") if l.strip()]
iv = iv[:-1]  # the last one is cut by Ctrl-C
off = [d for d in iv if abs(d - 250) > 50]
print(f"stat -i 0.25: {len(iv)} intervals, {min(iv):.0f}..{max(iv):.0f} ms, {len(off)} outside 250 +- 50 ms")
PY
