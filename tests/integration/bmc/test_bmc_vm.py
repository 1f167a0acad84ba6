"""Issue 13's in-band path: netmedic's code against a kernel IPMI driver.

One qemu boot (tests/lab/vm, the bonding VM's Debian kernel) with a KCS
interface wired to ipmi_sim (profile supermicro-47488, failover) on the host;
the guest program is vm/guest_bmc.py.  Besides the guest's own observations,
the host reads the BMC's state over LAN and the OEM module's log of sets.
Figures go to build/nm-vm/last-bmc-run.json.
"""

import json
import os
import socket
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "lab", "vm"))

import guestvm  # noqa: E402  (tests/lab/vm)
import bmc as nmbmc  # noqa: E402  (tests/lab/ipmi, on sys.path through conftest.py)

IPMI_MODULES = ["ipmi_msghandler", "ipmi_devintf", "ipmi_si"]


def kcs_args(port):
    """qemu's IPMI KCS interface, its BMC external on ipmi_sim's 'serial kcs ... codec VM' port (man 5 ipmi_lan)."""
    return ["-chardev", "socket,id=nmbmc0,host=127.0.0.1,port=%d,reconnect=2" % port,
            "-device", "ipmi-bmc-extern,id=nmbmc-bmc0,chardev=nmbmc0",
            "-device", "isa-ipmi-kcs,bmc=nmbmc-bmc0"]


def free_tcp_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def bmc_vm():
    bmc = nmbmc.Bmc(profile="supermicro-47488", mode="failover", kcs_port=free_tcp_port())
    with bmc:
        start = time.monotonic()
        results, info = guestvm.boot(os.path.join(HERE, "vm", "guest_bmc.py"), timeout=300,
                                     qemu_args=kcs_args(bmc.kcs_port), modules=IPMI_MODULES)
        results["_wall_seconds"] = round(time.monotonic() - start, 1)
        results["_host"] = {"mode": bmc.read_mode(), "sets": bmc.raw_log()}
        results["_log"] = info["log"]
    figures = {"wall_seconds": results["_wall_seconds"], "vm_seconds": round(info["seconds"], 1),
               "steps": {k: v.get("seconds") for k, v in results.items() if isinstance(v, dict) and "seconds" in v},
               "fix_calls": {c["module"]: c["seconds"] for c in results.get("remediate", {}).get("calls", [])}}
    with open(os.path.join(guestvm.build_assets.CACHE, "last-bmc-run.json"), "w") as fh:
        json.dump(figures, fh, indent=1)
    return results


@pytest.fixture
def step(bmc_vm):
    return guestvm.step_reader(bmc_vm)


def test_the_kernel_driver_finds_the_bmc(step):
    s = step("setup")
    assert s["dev_ipmi0"] and "man_id: 0x00b980" in s["ipmi_driver"]
    assert "Manufacturer ID           : 47488" in s["mc_info"] and s["raw_before"] == "02"
    assert s["arp_validate"] == "none 0"


def test_one_preflight_finds_the_bond_and_the_bmc(step):
    s = step("preflight_before")
    assert ("NM-BMC-001", "critical", "local BMC (/dev/ipmi0)") in [tuple(i) for i in s["ids"]]
    assert ("NM-BOND-001", "critical", "nmbmc-bond0") in [tuple(i) for i in s["ids"]]
    (bmc,) = [f for f in s["result"]["findings"] if f["id"] == "NM-BMC-001"]
    ev = bmc["evidence"]
    assert (ev["vendor"], ev["manufacturer_id"], ev["interface"]) == ("supermicro", 47488, "open")
    assert ev["form"] == "ipmitool raw 0x30 0x70 0x0c 0x00" and "answered the X9+ get" in ev["why"]


def test_check_mode_reads_and_writes_nothing(step):
    s = step("check_mode")
    res = s["result"]
    assert not res.get("failed"), res
    assert (res["changed"], res["previous_mode"], res["mode"]) == (True, "failover", "dedicated")
    assert res["diff"]["before"] == "mode: failover\n" and s["raw_after"] == "02"


def test_one_remediation_fixes_both_bmc_first(step):
    s = step("remediate")
    assert [c["module"] for c in s["calls"]] == ["bmc_lan_mode", "bond_arp_validate"]
    for c in s["calls"]:
        assert not c["result"].get("failed"), c
        assert c["result"]["changed"] is True
    assert s["raw_after"] == "00" and s["arp_validate"] == "all 3"
    assert "bond-arp-validate all" in s["interfaces"]


def test_the_same_remediation_again_changes_nothing(step):
    s = step("remediate_again")
    assert [(c["module"], c["result"]["changed"]) for c in s["calls"]] == [
        ("bmc_lan_mode", False), ("bond_arp_validate", False)]
    assert s["raw_after"] == "00"


def test_the_preflight_after_finds_neither(step):
    ids = [i[0] for i in step("preflight_after")["ids"]]
    assert not [i for i in ids if i.startswith("NM-BMC") or i == "NM-BOND-001"], ids


def test_a_read_says_how_it_knows(step):
    res = step("read_only_run")["result"]
    assert (res["changed"], res["mode"], res["vendor"], res["board_generation"]) == (
        False, "dedicated", "supermicro", "X9 or later")
    assert res["form"] == "ipmitool raw 0x30 0x70 0x0c 0x00" and "47488" in res["why"]


def test_the_bmc_saw_exactly_one_set(bmc_vm):
    """Host side, over LAN: check mode and the second run wrote nothing; the fix wrote once."""
    assert bmc_vm["_host"] == {"mode": "dedicated", "sets": ["set 0"]}
