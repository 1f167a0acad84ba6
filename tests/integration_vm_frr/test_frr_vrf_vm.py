"""FRRouting/frr#15709 and #14439 against a real kernel VRF: ``make frr-vrf`` (not part of ``make test``).

frr-reload.py flapped OSPF adjacencies when frr.conf had ``interface X vrf Y``
blocks: FRR prints such an interface as ``interface X``, and frr-reload.py
deleted the block's lines there and added them again under ``interface X vrf
Y`` (#15709's example: ``ip ospf network point-to-point``).  This host's
kernel has no VRF driver (``ip link add red type vrf table 10``: "Unknown
device type"), so tests/integration/frr cannot build the case; the lab VM's
Debian 12 kernel has vrf.ko.  One qemu boot (tests/lab/vm/guestvm.py) with the
FRR 8.4.4 rootfs of tests/lab/vm/frr_assets.py; the guest program is
vm/guest_frr_vrf.py.  Figures go to build/nm-vm-frr/last-run.json.
"""

import json
import os
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lab", "vm"))

import frr_assets  # noqa: E402  (tests/lab/vm)
import guestvm  # noqa: E402  (tests/lab/vm)

# FRR 8.4 prints an interface of a VRF as 'interface eth-x' (no 'vrf red'; #15709): the plan says it in FRR's words,
# the two changed lines and nothing else (no 'no ip ospf network point-to-point', no block deleted and re-added).
CHANGED = ["interface eth-x > description core link to r2", "interface eth-x > ip ospf cost 20"]


@pytest.fixture(scope="module")
def vrf_vm():
    start = time.monotonic()
    rootfs = frr_assets.build_rootfs()
    built = time.monotonic()
    results, info = guestvm.boot(os.path.join(HERE, "vm", "guest_frr_vrf.py"), timeout=600, memory=1024,
                                 rootfs=rootfs)
    results["_log"] = info["log"]
    figures = {"wall_seconds": round(time.monotonic() - start, 1), "rootfs_seconds": round(built - start, 1),
               "vm_seconds": round(info["seconds"], 1),
               "steps": {k: v.get("seconds") for k, v in results.items() if isinstance(v, dict) and "seconds" in v},
               "results": {k: v for k, v in results.items() if k != "_log"}}
    with open(os.path.join(frr_assets.CACHE, "last-run.json"), "w") as fh:
        json.dump(figures, fh, indent=1, default=str)
    return results


@pytest.fixture
def step(vrf_vm):
    return guestvm.step_reader(vrf_vm)


def reload_sections(run):
    """frr-reload.py --test's 'Lines To Delete' / 'Lines To Add' (tests/lab/frr_incident.py's reading)."""
    assert run["rc"] == 0 and "Traceback" not in run["output"] and "Lines To Delete" in run["output"], run["output"]
    sections, current = {"delete": [], "add": []}, None
    for line in run["output"].splitlines():
        if line.startswith(("Lines To Delete", "Lines To Add")):
            current = "delete" if "Delete" in line else "add"
        elif current and line.strip() and not line.startswith(("=====", "20", "[")):
            sections[current].append(line)
    return sections


def flaps(samples):
    """The samples where either end's adjacency was not Full or its uptime went back (a reset)."""
    bad, last = [], [0, 0]
    for t, *ends in samples:
        for i, (state, up_ms) in enumerate(ends):
            if not state.startswith("Full") or up_ms < last[i]:
                bad.append((t, i + 1, state, up_ms, last[i]))
            last[i] = up_ms
    return bad


def test_ospf_runs_in_a_kernel_vrf(step):
    s = step("setup")
    assert "FRRouting 8.4" in s["frr_version"] and "master red" in s["vrf_link"] and "vrf_slave" in s["vrf_link"]
    assert s["r1_neighbour"][0].startswith("Full") and s["r2_neighbour"][0].startswith("Full")
    assert "router ospf vrf red" in s["r1_running"]


def test_a_change_under_interface_vrf_converges(step):
    s = step("reconcile")
    planned, done, again = s["planned"], s["done"], s["again"]
    assert "error" not in done, done
    assert sorted(planned["plan"]["commands"]) == CHANGED, planned["plan"]
    assert done["plan"]["commands"] == planned["plan"]["commands"]
    assert done["remaining"] == [] and done.get("apply_errors", []) == [], done
    assert again["changed"] is False and again["plan"]["commands"] == [], again["plan"]
    assert " description core link to r2\n" in s["r1_running"] and " ip ospf cost 20\n" in s["r1_running"]


def pairs(lines):
    """'context' / ' line' pairs of one frr-reload.py section, 'no ' dropped; a context alone is ('context', '')."""
    out, context = [], ""
    for line in lines:
        if line.startswith(" "):
            out.append((context, line.strip()[3:] if line.strip().startswith("no ") else line.strip()))
        else:
            context = line
            out.append((line[3:] if line.startswith("no ") else line, ""))
    return out


# What frr-reload.py reports on any router here (tests/lab/frr_incident.py's noise): the guest's hostname, and
# forwarding lines FRR prints for a namespace without forwarding.
NOISE = {("hostname r1", ""), ("hostname nmvrf", ""), ("ip forwarding", ""), ("ipv6 forwarding", "")}


def test_frr_reload_sees_nothing_but_its_own_15709_rewrite(step):
    """frr-reload.py --test of FRR 8.4.4 after our change: no real difference left, only #15709 itself.  It still
    deletes every line of 'interface eth-x' (as FRR prints it) and adds each again under 'interface eth-x vrf red'
    (as the file says it); once 'vrf red' is stripped from its context, as #15709's fix does, the two sides are
    the same lines: nothing to do."""
    sections = reload_sections(step("reconcile")["reload_test"])
    deletes = [p for p in pairs(sections["delete"]) if p not in NOISE]
    adds = [p for p in pairs(sections["add"]) if p not in NOISE]
    stripped = sorted(set((c.replace(" vrf red", ""), line) for c, line in adds if line))
    assert sorted(set(p for p in deletes if p[1])) == stripped, sections
    # the rewrite #15709 reports, seen on 8.4.4: the point-to-point line deleted under the printed context
    assert ("interface eth-x", "ip ospf network point-to-point") in deletes, sections
    assert ("interface eth-x vrf red", "ip ospf network point-to-point") in adds, sections


def test_the_adjacency_did_not_flap(step):
    samples = step("reconcile")["samples"]
    assert len(samples) >= 5, samples
    assert flaps(samples) == [], samples


def test_what_frr_reload_does_with_the_same_change_is_measured(step):
    """Not judged: FRR 8.4.4's own frr-reload.py --reload of the same change, from the same start, sampled the same
    way.  The lines it sent and whether the adjacency reset are printed (``make frr-vrf`` runs with -s)."""
    s = step("reload")
    assert s["back"]["remaining"] == [] and not s["back"]["error"], s["back"]
    out = s["output"]
    assert out["rc"] == 0 and "Traceback" not in out["output"], out["output"]
    executed = [line.split("Executed ", 1)[1] for line in out["output"].splitlines() if "Executed " in line]
    bad = flaps(s["samples"])
    print("\nfrr-reload.py --reload (FRR 8.4.4) of the same change: executed %r; adjacency %s over %d samples"
          % (executed, "RESET %r" % bad[:3] if bad else "kept (Full, uptime growing)", len(s["samples"])))
    assert " ip ospf cost 20\n" in s["r1_running"]
