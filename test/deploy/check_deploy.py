#!/usr/bin/python3
"""Checks deploy/ offline (ctest "deploy: ..."): usage: check_deploy.py CTRACE_BIN REPO_DIR

- every YAML document under deploy/ parses;
- the Kubernetes manifests: `kubectl kustomize` builds them offline, and their wiring holds
  (selectors, port names, annotations, the mounts and capabilities ctrace needs). kubectl's
  `apply --dry-run=client` and its OpenAPI validation need an API server: not available here;
- `promtool check config`, `check rules` and `test rules` on deploy/prometheus/;
- the Grafana dashboard is valid JSON, and every ctrace_* metric it or the rules use is a family
  of `ctrace serve --list-metrics` (the exporter's catalog). A bad name is injected first to
  show the check can fail.
Exit 0: all good; 1: a check failed; 77: a tool is missing (skipped, a failure on CI).
"""
import glob
import json
import os
import re
import shutil
import subprocess
import sys

import yaml

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg)


def ok(msg):
    print("ok:", msg)


def run(argv, **kw):
    return subprocess.run(argv, capture_output=True, text=True, **kw)


def main():
    ctrace, repo = sys.argv[1], sys.argv[2]
    deploy = os.path.join(repo, "deploy")
    missing = [t for t in ("kubectl", "promtool") if not shutil.which(t)]
    if missing:
        print("SKIPPED: missing", ", ".join(missing), "(scripts/install-deps.sh installs them)")
        return 1 if os.environ.get("CI") == "true" else 77

    # 1. YAML
    docs = {}
    for path in sorted(glob.glob(os.path.join(deploy, "**", "*.y*ml"), recursive=True)):
        try:
            with open(path) as f:
                docs[os.path.relpath(path, deploy)] = [d for d in yaml.safe_load_all(f) if d is not None]
        except yaml.YAMLError as e:
            fail(f"{path}: {e}")
    ok(f"{sum(len(d) for d in docs.values())} YAML documents in {len(docs)} files parse")

    # 2. Kubernetes
    k8s = [d for name, ds in docs.items() if name.startswith("kubernetes/") for d in ds]
    objs = {d["kind"]: d for d in k8s if "kind" in d}
    for d in k8s:
        if d.get("kind") == "Kustomization":
            continue
        if not all(k in d for k in ("apiVersion", "kind")) or "name" not in d.get("metadata", {}):
            fail(f"a Kubernetes document lacks apiVersion, kind or metadata.name: {str(d)[:80]}")
    r = run(["kubectl", "kustomize", os.path.join(deploy, "kubernetes")])
    if r.returncode != 0:
        fail("kubectl kustomize: " + r.stderr.strip())
    else:
        built = [d for d in yaml.safe_load_all(r.stdout) if d]
        kinds = sorted(d["kind"] for d in built)
        if kinds != ["DaemonSet", "Namespace", "Service", "ServiceMonitor"]:
            fail(f"kustomize built {kinds}")
        else:
            ok("kubectl kustomize builds Namespace, DaemonSet, Service, ServiceMonitor offline")
    check_wiring(objs)

    # 3. Prometheus
    prom = os.path.join(deploy, "prometheus")
    for argv in (["promtool", "check", "config", os.path.join(prom, "prometheus.yml")],
                 ["promtool", "check", "rules", os.path.join(prom, "ctrace-rules.yml")],
                 ["promtool", "test", "rules", os.path.join(prom, "ctrace-rules.test.yml")]):
        r = run(argv)
        if r.returncode != 0:
            fail(" ".join(argv[:3]) + ": " + (r.stdout + r.stderr).strip())
        else:
            ok(" ".join(argv[:3]) + " " + os.path.basename(argv[3]))
    k8s_scrape = docs.get("prometheus/scrape-kubernetes.yml", [{}])[0].get("scrape_configs", [])
    if not any(j.get("job_name") == "ctrace" and "kubernetes_sd_configs" in j for j in k8s_scrape):
        fail("prometheus/scrape-kubernetes.yml: no ctrace job with kubernetes_sd_configs")

    # 4. Metric names: the exporter's catalog is the one list.
    r = run([ctrace, "serve", "--list-metrics"])
    if r.returncode != 0 or not r.stdout.strip():
        fail("ctrace serve --list-metrics: " + r.stderr.strip())
        return report()
    declared = {line.split()[0]: line.split()[1] for line in r.stdout.splitlines()}
    ok(f"the exporter declares {len(declared)} metric families")
    if unknown_names("ctrace_made_up_total ctrace_up", declared) != {"ctrace_made_up_total"}:
        fail("the metric-name check does not catch an undeclared name")
    with open(os.path.join(deploy, "grafana", "ctrace-containers.json")) as f:
        try:
            dashboard = json.load(f)
        except json.JSONDecodeError as e:
            fail(f"grafana/ctrace-containers.json is not JSON: {e}")
            return report()
    exprs = [t["expr"] for p in dashboard.get("panels", []) for t in p.get("targets", [])]
    exprs += [v.get("definition", "") for v in dashboard.get("templating", {}).get("list", [])]
    if not exprs:
        fail("the dashboard has no queries")
    bad = unknown_names(" ".join(exprs), declared)
    if bad:
        fail(f"the dashboard uses metrics the exporter does not declare: {sorted(bad)}")
    else:
        ok(f"the dashboard's {len(exprs)} queries use only declared metrics")
    rules_text = open(os.path.join(prom, "ctrace-rules.yml")).read()
    bad = unknown_names(rules_text, declared)
    if bad:
        fail(f"the alert rules use metrics the exporter does not declare: {sorted(bad)}")
    else:
        ok("the alert rules use only declared metrics")
    return report()


def unknown_names(text, declared):
    """ctrace_* names in `text` that are not declared (histogram series map to their family)."""
    out = set()
    for name in set(re.findall(r"\bctrace_[a-z0-9_]+", text)):
        family = name
        for suffix in ("_bucket", "_sum", "_count"):
            base = name[: -len(suffix)]
            if name.endswith(suffix) and declared.get(base) == "histogram":
                family = base
        if family not in declared:
            out.add(name)
    return out


def check_wiring(objs):
    ds, svc, sm = objs.get("DaemonSet"), objs.get("Service"), objs.get("ServiceMonitor")
    if not (ds and svc and sm):
        fail("deploy/kubernetes needs a DaemonSet, a Service and a ServiceMonitor")
        return
    tmpl = ds["spec"]["template"]
    pod_labels = tmpl["metadata"]["labels"]
    spec = tmpl["spec"]
    c = spec["containers"][0]

    def subset(sel, labels):
        return all(labels.get(k) == v for k, v in sel.items())

    if not subset(ds["spec"]["selector"]["matchLabels"], pod_labels):
        fail("DaemonSet selector does not match its pod labels")
    if not subset(svc["spec"]["selector"], pod_labels):
        fail("Service selector does not match the DaemonSet's pods")
    if not subset(sm["spec"]["selector"]["matchLabels"], svc["metadata"]["labels"]):
        fail("ServiceMonitor selector does not match the Service")
    ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
    svc_ports = {p["name"]: p for p in svc["spec"]["ports"]}
    for ep in sm["spec"]["endpoints"]:
        if ep["port"] not in svc_ports:
            fail(f"ServiceMonitor endpoint port {ep['port']} is not a Service port")
    for p in svc_ports.values():
        if p["targetPort"] not in ports:
            fail(f"Service targetPort {p['targetPort']} is not a container port")
    ann = tmpl["metadata"].get("annotations", {})
    if ann.get("prometheus.io/scrape") != "true" or int(ann.get("prometheus.io/port", 0)) != ports.get("metrics"):
        fail("pod annotations prometheus.io/scrape and port do not match the metrics port")
    if f"--metrics-address=[::]:{ports.get('metrics')}" not in c.get("args", []):
        fail("the container does not run serve --metrics-address=[::]:PORT on its metrics port")
    if c.get("args", [None])[0] != "serve":
        fail("the container does not run ctrace serve")
    for probe in ("readinessProbe", "livenessProbe"):
        if c.get(probe, {}).get("httpGet", {}).get("path") != "/healthz":
            fail(f"{probe} is not GET /healthz")
    if not spec.get("hostPID"):
        fail("the DaemonSet needs hostPID")
    volumes = {v["name"]: v for v in spec["volumes"]}
    mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
    for m in mounts.values():
        if m["name"] not in volumes:
            fail(f"volumeMount {m['name']} has no volume")
    for path in ("/sys/fs/cgroup", "/sys/kernel/btf", "/sys/kernel/tracing", "/run",
                 "/var/lib/docker/containers", "/var/lib/containers/storage"):
        m = mounts.get(path)
        if not m:
            fail(f"no mount of {path}")
            continue
        hp = volumes[m["name"]].get("hostPath", {})
        if hp.get("path") != path or not hp.get("type", "").startswith("Directory") or not m.get("readOnly"):
            fail(f"{path}: expected the host's directory, read-only")
    sc = c.get("securityContext", {})
    caps = set(sc.get("capabilities", {}).get("add", []))
    if not sc.get("privileged") and not {"BPF", "PERFMON"} <= caps:
        fail("neither privileged nor CAP_BPF + CAP_PERFMON")
    res = c.get("resources", {})
    if not (res.get("requests") and res.get("limits")):
        fail("no resource requests and limits")
    ok("Kubernetes wiring: selectors, ports, annotations, probes, mounts, capabilities, resources")


def report():
    if failures:
        print(f"{len(failures)} check(s) failed")
        return 1
    print("all deploy checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
