# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run one collection function on a lab machine and print its answer as JSON (one line).

``frrhost.Machine.call(FUNC, **kwargs)`` runs ``python3 frr_call.py FUNC JSON``
on the machine that runs the routers (this host, or a release container, where
the checkout is mounted at the same path), so that the code under test runs
with that release's Python next to that release's FRR, as on a router.

    reconcile  {"pathspace", "options": frr_reconcile Options, "vtysh_timeout": seconds (optional)}
               -> {"result", "seconds": reconcile's own} or {"error", "data"}
    diff       {"intended", "running": paths}  -> the plan's size and the seconds frr.plan.compute took
               (tests/bench/frr_reconcile.py's diff alone, with this machine's Python)
    audits     {"only": [audit names], "options": {...}, "between": flap or null}  -> {"findings", "runs"}
               (``between``: {"down": argv, "up": argv, "pathspace", "peer"}: the bgp audit's wait
               between its two samples takes a link down until the peer's session drops, then up)
    process    {"pathspace", "name"}  -> an FRR daemon as frr.processes sees it (pid, running, argv, age)

Test code (not shipped).
"""

import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "build", "dev"))

# pylint: disable=wrong-import-position
from ansible_collections.netmedic.network.plugins.module_utils.bgp import audit as audit_bgp  # noqa: E402
from ansible_collections.netmedic.network.plugins.module_utils.core.audit import (  # noqa: E402
    AuditContext, run_audits)
from ansible_collections.netmedic.network.plugins.module_utils.core.registry import registry  # noqa: E402
from ansible_collections.netmedic.network.plugins.module_utils.core.runner import Runner  # noqa: E402
from ansible_collections.netmedic.network.plugins.module_utils.frr import plan as frr_plan  # noqa: E402
from ansible_collections.netmedic.network.plugins.module_utils.frr import reconcile as fr  # noqa: E402
from ansible_collections.netmedic.network.plugins.module_utils.frr.processes import daemon_process  # noqa: E402


def reconcile(pathspace, options, vtysh_timeout=None):
    target = fr.Target(pathspace=pathspace)
    if vtysh_timeout is not None:
        target.timeout = vtysh_timeout
    start = time.monotonic()
    try:
        return {"result": fr.reconcile(target, fr.Options(**options)), "seconds": time.monotonic() - start}
    except fr.ReconcileError as exc:
        return {"error": str(exc), "data": exc.data}


def _dropped(pathspace, peer):
    out = subprocess.run(["vtysh", "-N", pathspace, "-c", "show bgp neighbors %s json" % peer], capture_output=True,
                         text=True, timeout=30, check=False).stdout
    try:
        return json.loads(out)[peer]["connectionsDropped"]
    except (ValueError, KeyError):
        return -1


def _flap(between):
    """The link goes down until the peer's session drops, then up again (the test's flap)."""
    def sleep(_seconds):
        before = _dropped(between["pathspace"], between["peer"])
        subprocess.run(between["down"], check=True, timeout=30)
        deadline = time.monotonic() + 30
        while _dropped(between["pathspace"], between["peer"]) <= before and time.monotonic() < deadline:
            time.sleep(0.2)
        subprocess.run(between["up"], check=True, timeout=30)
    return sleep


def audits(only, options, between=None):
    if between:
        audit_bgp._sleep = _flap(between)
    findings, runs = run_audits(AuditContext(runner=Runner(timeout=60), options=options), registry().values(),
                                only=only)
    return {"findings": [f.to_dict() for f in findings], "runs": [r.to_dict() for r in runs]}


def process(pathspace, name):
    p = daemon_process("/", pathspace, name)
    return {"pid": p.pid, "running": p.running, "argv": p.argv, "age_seconds": p.age_seconds, "why": p.why}


def diff(intended, running):
    with open(intended, encoding="utf-8") as fh:
        intended_text = fh.read()
    with open(running, encoding="utf-8") as fh:
        running_text = fh.read()
    start = time.monotonic()
    p = frr_plan.compute(intended_text, running_text)
    return {"seconds": time.monotonic() - start, "steps": len(p.steps), "delete": len(p.diff.deletes),
            "add": len(p.diff.adds)}


FUNCS = {"reconcile": reconcile, "audits": audits, "process": process, "diff": diff}


def main():
    func, args = sys.argv[1], json.loads(sys.argv[2])
    print(json.dumps(FUNCS[func](**args), default=str))


if __name__ == "__main__":
    main()
