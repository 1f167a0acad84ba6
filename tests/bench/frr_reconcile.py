# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark: netmedic frr_reconcile against FRR's own frr-reload.py, on real FRR of each lab version.

Prints figures; asserts nothing.  On each FRR version of the lab (8.4.4 on
this host, 10.3 and 10.7.1 in the trixie and forky containers of
tests/lab/frrhost.py), beside frr-reload.py OF THAT VERSION
(/usr/lib/frr/frr-reload.py in the same machine).  Each scenario starts both
tools from the same running state (the state is captured once and re-loaded
into a fresh router before each tool runs; the start is checked equal):

  (a) incident replay: a 20,000-line frr.conf only partly loaded because
      watchfrr's restart timeout (-T 3) killed ``vtysh -b``; reconcile to frr.conf
      vs ``frr-reload.py --reload``;
  (b) a drift of 1,000 running lines to delete (entries added by hand to lists
      the intended config keeps, so no whole-list shortcut applies);
  (c) the diff alone (parse, normalise, diff, plan; no FRR) on 20k- and
      100k-line configs, vs ``frr-reload.py --test --input``.

Both tools run as a process on the router's machine, with that machine's
Python: our reconcile through tests/lab/frr_call.py (the seconds include its
interpreter start and imports, about 0.25 s here, as frr-reload.py's include
its own; the JSON also has ``in_process_seconds``, reconcile() alone); in (c)
our figure is plan.compute alone, measured inside that process.

Goals (issue 6): >= 5x faster than frr-reload.py on (b), no slower on (a),
diff of 100k lines < 1 s.

    cd /work/main && .venv/bin/python tests/bench/frr_reconcile.py [--versions 8.4,10.3,10.7] [--lines 20000]
        [--skip a|b|c] [--json out.json]

Needs root, FRR 8.4 and frr-pythontools here (8.4), podman and debootstrap
(10.3, 10.7: the images are built when missing).  Namespaces are named nmfrrb-*.
Prints one table at the end: version x scenario x seconds of each tool x ratio.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shutil
import sys
import time
from typing import List, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "lab"))
sys.path.insert(0, os.path.join(REPO, "build", "dev"))

import frr_incident as fi  # noqa: E402
import frrhost  # noqa: E402
import frrlab  # noqa: E402

try:
    from ansible_collections.netmedic.network.plugins.module_utils.frr import plan as frr_plan
except ImportError:  # build/dev is made by tests/conftest.py; make it here too
    sys.path.insert(0, os.path.join(REPO, "tests"))
    importlib.import_module("conftest")  # makes build/dev
    from ansible_collections.netmedic.network.plugins.module_utils.frr import plan as frr_plan

PREFIX = "nmfrrb-"  # not nmfrr-: the integration tests clean up stale nmfrr-* routers


def strip_header(running: str) -> str:
    return "".join(l for l in running.splitlines(True)
                   if l.strip() not in ("Building configuration...", "Current configuration:"))


def wait_stable(r: frrlab.Router, timeout: float = 900) -> str:
    """The running config once it stops growing (a vtysh -b in progress)."""
    deadline = time.monotonic() + timeout
    prev, same = None, 0
    while time.monotonic() < deadline:
        cur = r.running_config()
        if cur == prev:
            same += 1
            if same >= 2:
                return cur
        else:
            same = 0
        prev = cur
        time.sleep(1.0)
    return prev or ""


class BenchError(RuntimeError):
    """A scenario could not run on a version; the message says why (the other versions go on)."""


def router_in_state(lab: frrlab.Lab, name: str, state: str, intended: str) -> frrlab.Router:
    """A fresh router whose running config is ``state``, with ``intended`` as its frr.conf."""
    r = lab.router(name, strip_header(state), daemons=["bgpd", "ospfd"], watchfrr_options="-T 900")
    r.start(timeout=900)  # FRR 10: wait_up waits for mgmtd to commit the whole boot config
    got = wait_stable(r)
    d = frr_plan.drift(strip_header(state), got)
    if not d.empty:
        raise BenchError("could not reproduce the start state in %s: %s" % (name, frr_plan.describe(d, 5)))
    r.write_conf(intended)
    return r


def run_ours(r: frrlab.Router) -> dict:
    """frr_reconcile's engine on the router's machine (a process there, like frr-reload.py)."""
    t = time.monotonic()
    answer = r.machine.call("reconcile", timeout=7200, pathspace=r.name, vtysh_timeout=600,
                            options={"src": r.conf_path, "apply_timeout": 3600})
    took = time.monotonic() - t
    if "error" in answer:
        raise BenchError("netmedic refused or failed on %s: %s" % (r.name, answer["error"]))
    res = answer["result"]
    return {"seconds": round(took, 2), "in_process_seconds": round(answer["seconds"], 2),
            "vtysh_commands": len(res["plan"]["commands"]), "apply_seconds": res.get("apply_seconds"), "remaining": len(res.get("remaining") or []),
            "frr_reload_residue": len(fi.frr_reload_residue(r.name, r.conf_path, machine=r.machine))}


def run_frr_reload(r: frrlab.Router) -> dict:
    """frr-reload.py --reload of the router's machine (its FRR version), with that machine's python3."""
    t = time.monotonic()
    proc = fi.frr_reload(r.name, r.conf_path, mode="--reload", timeout=7200, machine=r.machine)
    took = time.monotonic() - t
    left = frr_plan.drift(r.machine.read_file(r.conf_path), r.running_config())
    return {"seconds": round(took, 2), "rc": proc.returncode,
            "remaining_by_our_diff": len(left.adds) + len(left.deletes)}


def report(name: str, ours: dict, theirs: dict, goal: str) -> dict:
    speedup = theirs["seconds"] / ours["seconds"] if ours["seconds"] else float("inf")
    print("%-44s netmedic %8.2f s   frr-reload.py %8.2f s   x%.1f   (%s)"
          % (name, ours["seconds"], theirs["seconds"], speedup, goal))
    print("    netmedic: %s" % json.dumps(ours))
    print("    frr-reload.py: %s" % json.dumps(theirs))
    sys.stdout.flush()
    return {"scenario": name, "netmedic": ours, "frr_reload": theirs, "speedup": round(speedup, 2)}


def scenario_incident(machine: frrhost.Machine, lines: int) -> dict:
    intended = fi.incident_config(lines, per_list=20)
    with frrlab.Lab(PREFIX, machine=machine) as lab:
        r = lab.router("binc", intended, daemons=["bgpd", "ospfd"], watchfrr_options="-T 3")
        r.start(timeout=120)
        state = wait_stable(r)
        print("(a) incident: frr.conf %d lines; after watchfrr -T 3 killed vtysh -b the running config has %d lines"
              % (len(intended.splitlines()), len(state.splitlines())))
        r.teardown()
        ours = run_ours(router_in_state(lab, "ba1", state, intended))
        lab.teardown()
        theirs = run_frr_reload(router_in_state(lab, "ba2", state, intended))
    return report("(a) incident replay, %dk lines" % (lines // 1000), ours, theirs, "goal: no slower")


def drift_lines(kind: str, n: int = 1000) -> str:
    """``n`` running-only lines (as a vtysh -f file) of one kind of drift.

    ``prefix-list``: entries added to lists the intended config keeps (frr-reload.py
    8.4 batches these deletes into its one ``vtysh -f``, its fast path).
    ``mixed``: static routes, BGP neighbours with descriptions and route-maps, and the
    route-maps they use (frr-reload.py runs one vtysh process per delete for these).
    """
    out = []
    if kind == "prefix-list":
        for i in range(n):  # seq 1000+ in lists PEER0..PEER49-IN, which stay in the intended config
            out.append("ip prefix-list PEER%d-IN seq %d permit 172.%d.%d.0/24"
                       % (i % 50, 1000 + i, 16 + (i >> 8) % 16, i & 255))
        return "\n".join(out) + "\n"
    per = n // 10  # a unit: route-map entry 3 lines, neighbour 3, static routes 3, ipv6 route 1
    for i in range(per):
        out += ["route-map DRIFT-%d permit 10" % i, " match ip address prefix-list PEER%d-IN" % (i % 50),
                " set local-preference %d" % (100 + i), "exit"]
    out.append("router bgp 65001")
    for i in range(per):
        out += [" neighbor 100.64.%d.%d remote-as %d" % (i // 250, i % 250 + 1, 64512 + i),
                " neighbor 100.64.%d.%d description drift %d" % (i // 250, i % 250 + 1, i)]
    out.append(" address-family ipv4 unicast")
    for i in range(per):
        out.append("  neighbor 100.64.%d.%d route-map DRIFT-%d in" % (i // 250, i % 250 + 1, i))
    out += [" exit", "exit"]
    for i in range(per * 3):
        out.append("ip route 198.18.%d.%d/32 blackhole" % (i // 250, i % 250 + 1))
    for i in range(n - per * 9):
        out.append("ipv6 route 2001:db8:%x::/48 blackhole" % i)
    return "\n".join(out) + "\n"


def scenario_drift_delete(machine: frrhost.Machine, kind: str, n: int = 1000) -> dict:
    intended = fi.incident_config(3000, per_list=20)
    with frrlab.Lab(PREFIX, machine=machine) as lab:
        r = lab.router("bdr", intended, daemons=["bgpd", "ospfd"], watchfrr_options="-T 900")
        r.start(timeout=120)
        wait_stable(r)
        path = r.write_file("drift.conf", drift_lines(kind, n))
        r.load_file(path)
        state = wait_stable(r)
        d = frr_plan.drift(intended, state)
        print("(b) drift (%s): %d running lines to delete, %d to add" % (kind, len(d.deletes), len(d.adds)))
        r.teardown()
        ours = run_ours(router_in_state(lab, "bb1", state, intended))
        lab.teardown()
        theirs = run_frr_reload(router_in_state(lab, "bb2", state, intended))
    return report("(b) drift, %d lines to delete (%s)" % (len(d.deletes), kind), ours, theirs, "goal: >= 5x faster")


def scenario_diff_only(machine: frrhost.Machine, lines: int) -> dict:
    intended = fi.incident_config(lines, per_list=50, neighbors=32)
    # the running side: FRR's rendering, with 1% of the list lines missing and 100 extra
    running_lines = []
    for i, l in enumerate(intended.splitlines()):
        if l.startswith("ip prefix-list PEER") and i % 100 == 7:
            continue
        running_lines.append(l)
    running_lines += ["ip prefix-list EXTRA seq %d permit 192.0.2.%d/32" % (5 * (i + 1), i) for i in range(100)]
    running = "\n".join(running_lines) + "\n"
    tmp = machine.sh(["mktemp", "-d", "/tmp/%sdiff.XXXXXX" % PREFIX]).strip()
    try:
        ip, rp = os.path.join(tmp, "intended.conf"), os.path.join(tmp, "running.conf")
        machine.write_file(ip, intended, 0o644, frr_owned=False)
        machine.write_file(rp, running, 0o644, frr_owned=False)
        ours = machine.call("diff", timeout=3600, intended=ip, running=rp)
        ours["seconds"] = round(ours["seconds"], 3)
        t = time.monotonic()
        proc = machine.run([machine.python, fi.FRR_RELOAD, "--test", "--stdout", "--input", rp, ip],
                           timeout=3600, check=False)
        theirs = time.monotonic() - t
    finally:
        machine.remove_tree(tmp)
    return report("(c) diff alone, %dk lines" % (lines // 1000), ours,
                  {"seconds": round(theirs, 3), "rc": proc.returncode},
                  "goal: 100k < 1 s" if lines >= 100000 else "read-only diff")


def available_versions() -> List[str]:
    """The lab versions this machine can run: 8.4 with FRR and frr-pythontools installed here, the containers
    with root, podman and debootstrap (their images are built when missing)."""
    found = []
    for version, release in frrhost.VERSIONS.items():
        if release is None:
            if not frrlab.missing_components() and os.path.exists(fi.FRR_RELOAD):
                found.append(version)
        elif os.geteuid() == 0 and shutil.which("podman") and shutil.which("debootstrap"):
            found.append(version)
    return found


def bench_version(version: str, args: argparse.Namespace) -> List[dict]:
    """Every scenario on one version's machine; a scenario that cannot run is recorded with its error."""
    machine = frrhost.machine(version)
    frrlab.cleanup_stale(PREFIX, machine)
    print("\n== FRR %s (%s), frr-reload.py of the same machine; %d cores, load %.1f"
          % (machine.frr_version(), machine.name, os.cpu_count() or 0, os.getloadavg()[0]))
    sys.stdout.flush()
    runs = []
    if "c" not in args.skip:
        runs += [("(c) diff alone, %dk lines" % (n // 1000), scenario_diff_only, (n,)) for n in (20000, 100000)]
    if "b" not in args.skip:
        runs += [("(b) drift, 1000 lines to delete (%s)" % kind, scenario_drift_delete, (kind, 1000))
                 for kind in ("mixed", "prefix-list")]
    if "a" not in args.skip:
        runs.append(("(a) incident replay, %dk lines" % (args.lines // 1000), scenario_incident, (args.lines,)))
    results = []
    for name, func, fargs in runs:
        try:
            result = func(machine, *fargs)
        except RuntimeError as exc:   # BenchError, frrhost.LabError, the oracle failing
            print("%s: could not run on FRR %s: %s" % (name, machine.frr_version(), exc))
            result = {"scenario": name, "error": str(exc)}
        result.update(version=version, frr_version=machine.frr_version())
        results.append(result)
    return results


def table(results: List[dict]) -> str:
    """version x scenario x netmedic seconds x frr-reload.py seconds x ratio."""
    rows = ["%-7s %-46s %11s %16s %7s" % ("FRR", "scenario", "netmedic s", "frr-reload.py s", "ratio")]
    for r in results:
        if "error" in r:
            rows.append("%-7s %-46s %s" % (r["frr_version"], r["scenario"], "could not run: " + r["error"][:60]))
        else:
            rows.append("%-7s %-46s %11.2f %16.2f %6.1fx" % (
                r["frr_version"], r["scenario"], r["netmedic"]["seconds"], r["frr_reload"]["seconds"], r["speedup"]))
    rows.append("ratio: frr-reload.py's seconds / netmedic's (above 1: netmedic is faster)")
    return "\n".join(rows)


def parse_versions(text: Optional[str], available: List[str]) -> List[str]:
    if not text:
        return available
    chosen = [v.strip() for v in text.split(",") if v.strip()]
    unknown = [v for v in chosen if v not in frrhost.VERSIONS]
    if unknown or not chosen:
        raise SystemExit("--versions: unknown version(s) %s (known: %s)"
                         % (", ".join(unknown) or "(none)", ", ".join(frrhost.VERSIONS)))
    missing = [v for v in chosen if v not in available]
    if missing:
        raise SystemExit("--versions: FRR %s cannot run here (8.4 needs root, frr and frr-pythontools; 10.3 and "
                         "10.7 need root, podman and debootstrap)" % ", ".join(missing))
    return chosen


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    ap.add_argument("--versions", help="comma-separated lab FRR versions (%s); default: every one this machine can "
                    "run" % ",".join(frrhost.VERSIONS))
    ap.add_argument("--lines", type=int, default=20000, help="size of the incident frr.conf (a)")
    ap.add_argument("--skip", action="append", default=[], choices=["a", "b", "c"])
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args()
    versions = parse_versions(args.versions, available_versions())
    if not versions:
        raise SystemExit("no lab FRR version can run here (8.4 needs root, frr and frr-pythontools; 10.3 and 10.7 "
                         "need root, podman and debootstrap)")
    print("netmedic frr_reconcile vs frr-reload.py on FRR %s" % ", ".join(versions))
    results: List[dict] = []
    for version in versions:
        try:
            results += bench_version(version, args)
        finally:
            frrhost.release(version)   # a container is removed before the next version starts
    print("\n" + table(results))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=2)
    if any("error" in r for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
