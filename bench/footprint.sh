#!/usr/bin/env bash
# Footprint of every ctrace command in one run: peak RSS of an idle 2-second run with default
# settings, what the BPF maps mapped into ctrace (ring buffers) add to it, CPU time until the
# programs are attached, the shared libraries mapped; bpftrace doing the same job as the peer
# where it is installed (apt install bpftrace). Run as root:
#   bench/footprint.sh [BUILD_DIR] [--no-build] [--runs N] [--seconds S] [--only CMD,...] [--compare BIN]
# --compare BIN: an A/B of a change: each command also runs with another ctrace binary, run for
# run interleaved with this build's, and a second table gives both and their ratio.
# BUILD_DIR defaults to ./build (built first unless --no-build). Not part of ctest. See bench/README.md.
set -euo pipefail
build=${1:-build}
[[ $# -gt 0 ]] && shift
if [[ $(id -u) -ne 0 ]]; then
  echo "footprint.sh: run as root (BPF programs and cgroups)" >&2
  exit 2
fi
if [[ ${1:-} == --no-build ]]; then
  shift
else
  ninja -C "$build" -j2 ctrace >/dev/null
fi
# bpftrace's syscall and block probes are classic tracepoints: they need tracefs.
if [[ ! -d /sys/kernel/tracing/events ]]; then
  mount -t tracefs tracefs /sys/kernel/tracing
fi
exec /usr/bin/python3 - "$build/ctrace" "$(command -v bpftrace || true)" "$@" <<'PY'
import argparse, os, re, signal, statistics, subprocess, sys, time

ap = argparse.ArgumentParser(prog="footprint.sh")
ap.add_argument("ctrace")
ap.add_argument("bpftrace")
ap.add_argument("--runs", type=int, default=3, help="runs per command (medians are shown)")
ap.add_argument("--seconds", type=float, default=2.0, help="length of each idle run")
ap.add_argument("--only", help="comma-separated commands to measure (default: every one)")
ap.add_argument("--compare", help="another ctrace binary, run interleaved with this one (A/B)")
a = ap.parse_args()
ctrace = os.path.abspath(a.ctrace)
compare = os.path.abspath(a.compare) if a.compare else None
secs = a.seconds

mount = next(l.split()[1] for l in open("/proc/self/mounts") if l.split()[2] == "cgroup2")
# The target: an empty cgroup of our own, so that every run is idle (nothing to trace).
cg = os.path.join(mount, f"ctrace-footprint-{os.getpid()}")
os.mkdir(cg)
sock = f"/tmp/ctrace-footprint-{os.getpid()}.sock"
d = f"{secs:g}"

# (name, argv, line on stderr/stdout that says "attached", limit MB, peer bpftrace program)
COMMANDS = [
    ("--version", [ctrace, "--version"], None, None, None),
    ("ps", [ctrace, "ps"], None, None, None),
    ("stat", [ctrace, "stat", "-c", cg, "-d", d], "Collecting", 8,
     "tracepoint:raw_syscalls:sys_exit /cgroup == cgroupid(\"%s\")/ { @[args->id] = count(); }" % cg),
    ("biograph", [ctrace, "biograph", "-c", cg, "-d", d], "Collecting", 8,
     "tracepoint:block:block_rq_issue /cgroup == cgroupid(\"%s\")/ { @bytes = sum(args->bytes); }" % cg),
    ("top", [ctrace, "top", "-d", d], "Collecting", 12, None),
    ("unshare", [ctrace, "unshare", "-c", cg, "-d", d], "Collecting", 12,
     "tracepoint:syscalls:sys_exit_unshare /cgroup == cgroupid(\"%s\")/ { printf(\"%%d %%s %%d\\n\", pid, comm, args->ret); }" % cg),
    ("openclose", [ctrace, "openclose", "-c", cg, "-d", d], "Collecting", 12,
     "tracepoint:syscalls:sys_exit_openat,tracepoint:syscalls:sys_exit_close /cgroup == cgroupid(\"%s\")/ { printf(\"%%d %%s %%d\\n\", pid, comm, args->ret); }" % cg),
    ("tcpconnect", [ctrace, "tcpconnect", "-c", cg, "-d", d], "Collecting", 12,
     "tracepoint:sock:inet_sock_set_state /cgroup == cgroupid(\"%s\") && args->newstate == 2/ { printf(\"%%d %%d\\n\", pid, args->dport); }" % cg),
    ("record", [ctrace, "record", "-c", cg, "-d", d], "Collecting", 12, None),
    ("serve", [ctrace, "serve", "--socket", sock], "Listening", 12, None),
]
if a.only:
    wanted = a.only.split(",")
    unknown = [w for w in wanted if w not in [c[0] for c in COMMANDS]]
    if unknown:
        os.rmdir(cg)
        print(f"footprint.sh: --only: no command {', '.join(unknown)}; one of: {', '.join(c[0] for c in COMMANDS)}",
              file=sys.stderr)
        sys.exit(2)
    COMMANDS = [c for c in COMMANDS if c[0] in wanted]


def task_cpu_ns(pid):
    """CPU time of every thread of pid so far, in ns (schedstat: exact, not clock ticks)."""
    total = 0
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            total += int(open(f"/proc/{pid}/task/{t}/schedstat").read().split()[0])
        except (OSError, ValueError):
            pass
    return total


def mapped(pid):
    """(shared libraries, kB of RSS in BPF map mappings: ring buffers, mmapped arrays)."""
    libs, bpf_kb, cur = set(), 0, None
    for line in open(f"/proc/{pid}/smaps"):
        f = line.split()
        if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
            cur = f[5] if len(f) > 5 else ""
            if ".so" in cur:
                libs.add(os.path.basename(cur))
        elif f[0] == "Rss:" and cur and "bpf" in cur:
            bpf_kb += int(f[1])
    return libs, bpf_kb


def child_of(pid):
    """The one child of pid (the command /usr/bin/time runs), once it exists."""
    for _ in range(2000):
        try:
            kids = open(f"/proc/{pid}/task/{pid}/children").read().split()
        except OSError:
            return None
        if kids:
            return int(kids[0])
        time.sleep(0.001)
    return None


def run(argv, marker, stop_after=None, marker_on_stdout=False):
    """Runs argv under /usr/bin/time (peak RSS: the ru_maxrss of a process forked from a small
    one; a fork of this Python would count Python's own RSS); at the marker line reads the
    command's CPU time so far; samples its mappings while it runs. Returns a dict."""
    rss_file = f"/tmp/ctrace-footprint-{os.getpid()}.rss"
    t0 = time.monotonic()
    p = subprocess.Popen(["/usr/bin/time", "-f", "%M %U %S", "-o", rss_file] + argv, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE if marker_on_stdout else subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL if marker_on_stdout else subprocess.PIPE)
    r = {"cpu_attach_ms": None, "start_ms": None, "libs": set(), "bpf_kb": 0}
    stream = p.stdout if marker_on_stdout else p.stderr
    pid = child_of(p.pid)

    def sample():
        try:
            libs, bpf_kb = mapped(pid)
        except OSError:  # gone meanwhile
            return
        r["libs"] |= libs
        r["bpf_kb"] = max(r["bpf_kb"], bpf_kb)

    if marker and pid:
        for raw in stream:
            if marker.encode() in raw:
                r["cpu_attach_ms"] = task_cpu_ns(pid) / 1e6
                r["start_ms"] = (time.monotonic() - t0) * 1e3
                sample()
                break
    # what is mapped once it runs (a ring buffer is mapped after the "attached" line)
    end = time.monotonic() + (stop_after if stop_after is not None else secs / 2)
    while marker and pid and p.poll() is None and time.monotonic() < end:
        time.sleep(0.1)
        sample()
    if stop_after is not None and pid:
        os.kill(pid, signal.SIGINT if marker_on_stdout else signal.SIGTERM)
    # drain the rest so that the child never blocks on a full pipe
    for _ in stream:
        pass
    r["rc"] = p.wait()
    maxrss_kb, user_s, sys_s = open(rss_file).read().split()[-3:]
    os.unlink(rss_file)
    r["peak_kb"] = int(maxrss_kb)
    r["cpu_total_ms"] = (float(user_s) + float(sys_s)) * 1e3
    return r


def median(rs, key):
    v = [r[key] for r in rs if r[key] is not None]
    return statistics.median(v) if v else None


def fmt_mb(kb):
    return "-" if kb is None else f"{kb / 1024:.1f}"


def fmt_ms(ms):
    return "-" if ms is None else f"{ms:.1f}"


rows, failures, compared = [], [], []
try:
    for name, argv, marker, limit, peer in COMMANDS:
        stop_after = secs if name == "serve" else None
        rs, cs = [], []
        for _ in range(a.runs):
            rs.append(run(argv, marker, stop_after))
            if compare:
                cs.append(run([compare] + argv[1:], marker, stop_after))
        if compare:
            compared.append((name, rs, cs))
        bad = [r["rc"] for r in rs if r["rc"] != 0]
        if bad:
            failures.append(f"{name} exited {bad[0]}")
        if not marker:  # nothing to wait for: the libraries the binary needs
            out = subprocess.run(["/usr/bin/ldd", ctrace], capture_output=True, text=True).stdout
            rs[0]["libs"] = {l.split()[0] for l in out.splitlines() if ".so" in l}
        pr = None
        if peer and a.bpftrace:
            # bpftrace ends itself: a SIGINT that comes while it is still attaching is lost
            prog = peer + " interval:ms:%d { exit(); }" % int(secs * 1000)
            pr = [run([a.bpftrace, "-e", prog], "Attaching", None, marker_on_stdout=True) for _ in range(a.runs)]
        rows.append((name, rs, limit, pr))
finally:
    os.rmdir(cg)
    if os.path.exists(sock):
        os.unlink(sock)

heavy = re.compile(r"libssl|libcrypto|brotli|libz\.|httplib|prometheus")
print(f"ctrace footprint: idle {secs:g} s runs on an empty cgroup, medians of {a.runs} runs; "
      f"peak RSS = ru_maxrss (/usr/bin/time); BPF = RSS of the BPF maps mapped (ring buffers are mapped twice); "
      f"CPU@ATTACH = CPU time (all threads, schedstat) when the command says it is attached")
hdr = f"{'COMMAND':<11} {'PEAK_MB':>7} {'BPF_MB':>6} {'REST_MB':>7} {'LIMIT':>5} {'CPU@ATTACH_MS':>13} " \
      f"{'CPU_TOTAL_MS':>12} {'START_MS':>8} {'LIBS':>4} {'HEAVY_LIBS':<16} {'BPFTRACE_MB':>11} {'RSS_RATIO':>9} {'CPU_RATIO':>9}"
print(hdr)
for name, rs, limit, pr in rows:
    peak, bpf = median(rs, "peak_kb"), median(rs, "bpf_kb")
    cpu_a, cpu_t, start = median(rs, "cpu_attach_ms"), median(rs, "cpu_total_ms"), median(rs, "start_ms")
    libs = rs[0]["libs"]
    heavy_libs = ",".join(sorted(l.split(".so")[0] for l in libs if heavy.search(l))) or "-"
    verdict = ""
    if limit is not None:
        if peak > limit * 1024:
            failures.append(f"{name}: peak RSS {peak / 1024:.1f} MB > {limit} MB")
        if cpu_a is not None and cpu_a > 30:
            failures.append(f"{name}: CPU until attached {cpu_a:.1f} ms > 30 ms")
    ppeak = median(pr, "peak_kb") if pr else None
    pcpu = median(pr, "cpu_total_ms") if pr else None
    rss_ratio = f"{peak / ppeak:.3f}" if ppeak else "-"
    cpu_ratio = f"{cpu_t / pcpu:.3f}" if pcpu else "-"
    print(f"{name:<11} {fmt_mb(peak):>7} {fmt_mb(bpf):>6} {fmt_mb(peak - bpf):>7} {limit or '-':>5} "
          f"{fmt_ms(cpu_a):>13} {fmt_ms(cpu_t):>12} {fmt_ms(start):>8} {len(libs):>4} {heavy_libs:<16} "
          f"{fmt_mb(ppeak):>11} {rss_ratio:>9} {cpu_ratio:>9}")
if not a.bpftrace:
    print("bpftrace not installed (apt install bpftrace): no peer column")
print("RSS_RATIO, CPU_RATIO: ctrace / bpftrace running the same probe (peak RSS, CPU time of the whole run)")
for name, rs, _, _ in rows:
    print(f"libraries of {name}: {' '.join(sorted(rs[0]['libs']))}")
if compared:
    print(f"\ncompared with {compare}, run for run interleaved (medians; RATIO = this build / compared):")
    print(f"{'COMMAND':<11} {'CPU@ATTACH_MS':>13} {'COMPARED':>8} {'RATIO':>5} {'PEAK_MB':>7} {'COMPARED':>8} {'RATIO':>5}")
    for name, rs, cs in compared:
        ca, cb = median(rs, "cpu_attach_ms"), median(cs, "cpu_attach_ms")
        pa, pb = median(rs, "peak_kb"), median(cs, "peak_kb")
        cr = f"{ca / cb:.2f}" if ca is not None and cb else "-"
        print(f"{name:<11} {fmt_ms(ca):>13} {fmt_ms(cb):>8} {cr:>5} {fmt_mb(pa):>7} {fmt_mb(pb):>8} {pa / pb:>5.2f}")
    print(f"load average {os.getloadavg()[0]:.2f} at the end")
if failures:
    print("OVER TARGET: " + "; ".join(failures))
    sys.exit(1)
print("all commands within the targets (stat, biograph <= 8 MB; ring commands <= 12 MB; <= 30 ms CPU until attached)")
PY
