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
import threading
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "lab", "vm"))

import guestvm  # noqa: E402  (tests/lab/vm)
import bmc as nmbmc  # noqa: E402  (tests/lab/ipmi, on sys.path through conftest.py)
from role_gate import RoleGate  # noqa: E402  (tests/lab/ipmi)

IPMI_MODULES = ["ipmi_msghandler", "ipmi_devintf", "ipmi_si"]
# issue 16: the guest also reaches the BMC over LAN (qemu user networking: the host is 10.0.2.2)
LAN_ARGS = ["-netdev", "user,id=nmbmcnet", "-device", "virtio-net-pci,netdev=nmbmcnet"]


def kcs_args(port):
    """qemu's IPMI KCS interface, its BMC external on ipmi_sim's 'serial kcs ... codec VM' port (man 5 ipmi_lan)."""
    return ["-chardev", "socket,id=nmbmc0,host=127.0.0.1,port=%d,reconnect=2" % port,
            "-device", "ipmi-bmc-extern,id=nmbmc-bmc0,chardev=nmbmc0",
            "-device", "isa-ipmi-kcs,bmc=nmbmc-bmc0"]


def free_tcp_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SharedPortNotCabled(threading.Thread):
    """Issue 16's fault: this BMC's shared port is not on the management network.  While its last mode set
    (the OEM module's log) is shared ("set 1"), the relay that stands for its LAN cable drops every packet:
    the BMC stops answering over lanplus and still answers in-band (KCS)."""

    def __init__(self, bmc, gate):
        super().__init__(daemon=True)
        self.bmc, self.gate, self.done = bmc, gate, threading.Event()
        self.cuts = 0

    def run(self):
        while not self.done.wait(0.01):
            log = self.bmc.raw_log()
            if log and log[-1] == "set 1":
                if self.gate.cabled.is_set():
                    self.cuts += 1
                self.gate.cabled.clear()
            else:
                self.gate.cabled.set()


@pytest.fixture(scope="module")
def bmc_vm(tmp_path_factory):
    bmc = nmbmc.Bmc(profile="supermicro-47488", mode="failover", kcs_port=free_tcp_port())
    with bmc:
        gate = RoleGate(nmbmc.free_udp_port(), bmc.port, refuse_admin=False)
        cable = SharedPortNotCabled(bmc, gate)
        lan = tmp_path_factory.mktemp("nmbmc") / "nmbmc_lan.json"
        lan.write_text(json.dumps(bmc.module_params(host="10.0.2.2", port=gate.front.getsockname()[1])))
        cable.start()
        start = time.monotonic()
        try:
            results, info = guestvm.boot(os.path.join(HERE, "vm", "guest_bmc.py"), timeout=300, files=[str(lan)],
                                         qemu_args=kcs_args(bmc.kcs_port) + LAN_ARGS,
                                         modules=IPMI_MODULES + ["virtio_net"])
        finally:
            cable.done.set()
            cable.join()
            gate.stop()
        results["_wall_seconds"] = round(time.monotonic() - start, 1)
        results["_host"] = {"mode": bmc.read_mode(), "sets": bmc.raw_log(), "cable_cuts": cable.cuts}
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
    """Host side, over LAN: check mode and the second run wrote nothing; the fix wrote once (the sets after
    it are issue 16's rollback step)."""
    assert bmc_vm["_host"]["sets"][:1] == ["set 0"]


def test_a_bmc_silent_over_lan_after_the_change_is_set_back_in_band(step, bmc_vm):
    """Issue 16: over lanplus from the guest, dedicated -> shared with rollback on; the shared port is not
    cabled, so the BMC stops answering over LAN; the module sets dedicated back in-band (/dev/ipmi0, the same
    GUID), reads it back, and the BMC answers over LAN again.  Verified by plain ipmitool in-band and over LAN
    in the guest, and by the BMC's own log on the host."""
    s = step("rollback_inband")
    assert s["lan_before"]["mode"] == "dedicated", s["lan_before"]
    res = s["result"]
    rb = res["rollback"]
    assert res["failed"] and rb["last_result"] == "rolled_back", json.dumps([res, bmc_vm["_host"]], indent=1)
    assert res["msg"].startswith("ROLLED BACK: the change made the host worse"), res["msg"]
    assert rb["worse"][0].startswith("the BMC at 10.0.2.2:%d stopped answering over lanplus" % s["port"]), rb
    assert rb["undone"] == ["LAN mode set back to dedicated through open (read back)"], rb
    assert rb["state_now"].endswith("answers over lanplus, LAN mode dedicated; back as before the change"), rb
    assert rb["before"]["guid"] and rb["after"]["answers"] and rb["after"]["mode"] == "dedicated"
    assert s["raw_inband_after"] == "00" and s["lan_after_rc"] == 0 and " 00" in s["lan_after"]
    assert bmc_vm["_host"]["sets"] == ["set 0", "set 1", "set 0"] and bmc_vm["_host"]["cable_cuts"] == 1
    assert bmc_vm["_host"]["mode"] == "dedicated"
