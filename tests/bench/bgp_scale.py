#!/usr/bin/env python
"""How the bgp audit scales with the peers of a route reflector (issue 15; run as root; prints, asserts nothing).

For each size (default 10, 100 and 1000 peers) a real FRR 8.4.4 reflector is built
with that many iBGP clients held by one exabgp process (tests/lab/rrlab.py, no churn,
no overload), and once every session is Established it prints, side by side:

* the anchor: what vtysh and bgpd cost before any of our code runs, for each of the two
  commands the audit reads (``show bgp vrf all summary json``, ``... neighbors json``):
  the size of the JSON, vtysh's wall time and the CPU bgpd spent generating it, and
  ``json.loads`` of that text;
* our part: ``parse_summary`` / ``parse_neighbors`` of the same JSON;
* the whole audit as the preflight runs it (two samples, ``sample_interval`` 3 s, the
  pause taken out), in a child process, with the child's peak RSS; beside it the peak
  RSS of the same child that only imports the audit (the Python floor).

    sudo .venv/bin/python tests/bench/bgp_scale.py [SIZES...]   (default: 10 100 1000)

The lab is removed after each size (nothing is left: rrlab.leftovers).
"""

import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "lab"))
sys.path.insert(0, os.path.join(REPO, "build", "dev"))

import frrlab  # noqa: E402
import rrlab  # noqa: E402
from ansible_collections.netmedic.network.plugins.module_utils.bgp import parse  # noqa: E402

PREFIX = "nmrrb-"
INTERVAL = 3.0
COMMANDS = (("summary", "show bgp vrf all summary json", parse.parse_summary),
            ("neighbors", "show bgp vrf all neighbors json", parse.parse_neighbors))

# The child: the audit as the preflight runs it, on one pathspace; prints its time without the pause.
CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
from ansible_collections.netmedic.network.plugins.module_utils.bgp import audit as B
from ansible_collections.netmedic.network.plugins.module_utils.core.audit import AuditContext
from ansible_collections.netmedic.network.plugins.module_utils.core.runner import Runner
if sys.argv[2] == "import-only":
    print(json.dumps({"peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
    sys.exit(0)
paused = []
B._sleep = lambda s: (paused.append(s), time.sleep(s))
ctx = AuditContext(runner=Runner(timeout=120), options={"bgp": {"pathspace": sys.argv[2],
                                                                "sample_interval": float(sys.argv[3])}})
t0 = time.monotonic()
found = B.run(ctx)
took = time.monotonic() - t0 - sum(paused)
print(json.dumps({"audit_seconds": round(took, 3), "findings": len(found), "ids": sorted({f.id for f in found}),
                  "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def bgpd_cpu(pid):
    with open("/proc/%d/stat" % pid) as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def child(*args):
    """Run CHILD; (its JSON answer, its peak RSS in MB as it measured itself)."""
    proc = subprocess.run([sys.executable, "-c", CHILD, os.path.join(REPO, "build", "dev")] + list(args),
                          capture_output=True, text=True, timeout=600, check=False)
    if proc.returncode:
        raise SystemExit("the audit child failed: %s" % proc.stderr[-2000:])
    answer = json.loads(proc.stdout)
    return answer, answer["peak_rss_kb"] / 1024.0


def measure(n):
    with rrlab.RRLab(prefix=PREFIX, clients=n, frr_clients=0, churners=0, short_hold_every=0) as lab:
        took = lab.up(timeout=900)
        time.sleep(3)
        pid = lab.bgpd_pid()
        row = {"peers": n, "up_seconds": round(took), "memory_mb": lab.memory()}
        for name, command, parser in COMMANDS:
            c0, t0 = bgpd_cpu(pid), time.monotonic()
            text = lab.rr.vtysh(command, timeout=120)
            wall, c1 = time.monotonic() - t0, bgpd_cpu(pid)
            t1 = time.monotonic()
            data = json.loads(text)
            t2 = time.monotonic()
            parser(data)
            t3 = time.monotonic()
            row[name] = {"bytes": len(text), "vtysh_seconds": round(wall, 3), "bgpd_cpu_seconds": round(c1 - c0, 3),
                         "json_loads_seconds": round(t2 - t1, 3), "parse_seconds": round(t3 - t2, 3)}
        audit, rss = child(lab.rr.name, str(INTERVAL))
        floor = child("import-only")[1]
        row.update(audit=audit, audit_peak_rss_mb=round(rss, 1), import_only_peak_rss_mb=round(floor, 1))
    row["left"] = rrlab.leftovers(PREFIX)
    return row


def main():
    sizes = [int(a) for a in sys.argv[1:]] or [10, 100, 1000]
    missing = frrlab.missing_components() + ([] if os.access(rrlab.EXABGP, os.X_OK) else [rrlab.EXABGP])
    if missing:
        print("bgp_scale: skipped, this machine lacks %s" % ", ".join(missing))
        return 0
    print("load average before: %s (2 cores shared with other work)" % " ".join(open("/proc/loadavg").read().split()[:3]))
    rrlab.cleanup(PREFIX)
    rows = [measure(n) for n in sizes]
    print("\n%6s | %-44s | %-44s | %-30s" % ("peers", "summary: KB, vtysh s, bgpd CPU s, loads s, parse s",
                                             "neighbors: KB, vtysh s, bgpd CPU s, loads s, parse s",
                                             "audit s (2 samples), peak RSS MB"))
    for r in rows:
        cells = []
        for name, dummy, dummy2 in COMMANDS:
            c = r[name]
            cells.append("%6.0f %7.3f %7.3f %7.3f %7.3f" % (c["bytes"] / 1024.0, c["vtysh_seconds"],
                                                            c["bgpd_cpu_seconds"], c["json_loads_seconds"],
                                                            c["parse_seconds"]))
        print("%6d | %-44s | %-44s | %6.3f  %6.1f (import only %.1f)" % (
            r["peers"], cells[0], cells[1], r["audit"]["audit_seconds"], r["audit_peak_rss_mb"],
            r["import_only_peak_rss_mb"]))
    for r in rows:
        print("%d peers: lab up in %d s, memory (PSS MB) %s, findings %s, left: %s"
              % (r["peers"], r["up_seconds"], r["memory_mb"], r["audit"]["ids"] or "none", r["left"] or "nothing"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
