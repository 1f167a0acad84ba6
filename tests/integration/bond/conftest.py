"""One qemu boot (Debian kernel with the bonding driver) shared by every VM test of this area.

The guest program is vm/guest_bond.py; its observations come back as a dict
keyed by step.  Figures (boot time, flap counts) are also written to
build/nm-vm/last-run.json for tests/bench/bond_vm.py.  The VM harness is
tests/lab/vm (shared with the BMC tests).  When qemu, the
kernel package or debootstrap are missing this fails: `make test` installs them.
"""

import json
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "lab", "vm"))

import guestvm as vm  # noqa: E402  (tests/lab/vm)


@pytest.fixture(scope="session")
def bond_vm():
    results, info = vm.boot(os.path.join(HERE, "vm", "guest_bond.py"), timeout=420)
    figures = {"vm_seconds": round(info["seconds"], 1),
               "steps": {k: v.get("seconds") for k, v in results.items() if isinstance(v, dict)}}
    inc = results.get("incident", {})
    if "before" in inc and "after" in inc:
        figures["incident"] = {w: {k: inc[w][k] for k in ("active_changes", "link_failures", "broadcasts")}
                               for w in ("before", "after")}
    with open(os.path.join(vm.build_assets.CACHE, "last-run.json"), "w") as fh:
        json.dump(figures, fh, indent=1)
    results["_log"] = info["log"]
    return results


@pytest.fixture
def step(bond_vm):
    """``step('fix')`` -> that step's observations; fails with the guest's traceback if it crashed."""
    return vm.step_reader(bond_vm)
