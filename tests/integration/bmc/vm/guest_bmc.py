# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs INSIDE the qemu guest (the Debian kernel of the bonding VM), as root: issue 13's in-band path.

The guest has an IPMI KCS interface (qemu isa-ipmi-kcs + ipmi-bmc-extern) wired
to the host's ipmi_sim with our OEM module, profile supermicro-47488 in
failover, so ipmi_si + ipmi_devintf make /dev/ipmi0 and netmedic's code talks
to the BMC the way it does on a real host (``ipmitool -I open``).

Incident 004 in one VM: an active-backup bond with ARP monitoring and
``arp_validate none``, and the BMC in Supermicro's failover mode.  One
preflight (the preflight module's main()) finds both, one remediation (the
remediate role's plan, then each fix module's main() in its order) fixes
both, the same calls again change nothing, and the preflight finds nothing.
On the way: the bmc_lan_mode module in check mode writes nothing.  The host
side (test_bmc_vm.py) checks the BMC's own log: exactly one set.
"""

import json
import os
import subprocess
import time

from guest_util import finish, module, sh, step

from ansible_collections.netmedic.network.plugins.module_utils.core.registry import AUDITS  # noqa: E402
from ansible_collections.netmedic.network.plugins.module_utils.core.remediation import plan  # noqa: E402

FOUND = []                        # the first preflight's findings, for the remediation plan
ROOT = "/tmp/nmbmc-root"          # the audits' filesystem: config files here, sys and dev -> the real ones
BOND = "nmbmc-bond0"
INTERFACES = """# incident 004: the host's bond, ARP-monitored, validation off
auto %(bond)s
iface %(bond)s inet manual
    bond-slaves nmbmc-d1 nmbmc-d2
    bond-mode active-backup
    bond-arp-interval 1000
    bond-arp-ip-target 192.0.2.1
""" % {"bond": BOND}


def raw_mode():
    """The LAN mode byte as plain ipmitool reads it in-band (not netmedic's code)."""
    return sh("ipmitool -I open raw 0x30 0x70 0x0c 0x00").strip()


def ids(findings):
    return sorted((f["id"], f["severity"], f["subject"]) for f in findings)


@step("setup")
def setup():
    start = time.monotonic()
    while not os.path.exists("/dev/ipmi0") and time.monotonic() - start < 20:
        time.sleep(0.1)
    os.makedirs(ROOT + "/etc/network", exist_ok=True)
    for d in ("sys", "dev", "proc"):
        os.symlink("/" + d, os.path.join(ROOT, d))
    with open(ROOT + "/etc/network/interfaces", "w") as fh:
        fh.write(INTERFACES)
    sh("ip link add %s type bond mode active-backup arp_interval 1000 arp_ip_target 192.0.2.1" % BOND)
    for s in ("nmbmc-d1", "nmbmc-d2"):
        sh("ip link add %s type dummy; ip link set %s master %s" % (s, s, BOND))
    sh("ip link set %s up" % BOND)
    return {"kernel": os.uname().release, "dev_ipmi0": os.path.exists("/dev/ipmi0"),
            "ipmi_driver": sh("dmesg | grep -i 'ipmi_si.*Found new BMC' || true", check=False).strip(),
            "mc_info": sh("ipmitool -I open mc info"), "raw_before": raw_mode(),
            "arp_validate": open("/sys/class/net/%s/bonding/arp_validate" % BOND).read().strip()}


def preflight():
    return module("preflight", {"checks": ["bond", "bmc"], "root": ROOT})


@step("preflight_before")
def preflight_before():
    res = preflight()
    FOUND[:] = res.get("findings", [])
    return {"result": res, "ids": ids(res.get("findings", []))}


@step("check_mode")
def check_mode():
    res = module("bmc_lan_mode", {"mode": "dedicated"}, check=True, diff=True)
    return {"result": res, "raw_after": raw_mode()}


def fix_calls():
    chosen = [f["id"] for f in FOUND if f["id"] in ("NM-BMC-001", "NM-BOND-001")]
    p = plan(FOUND, AUDITS, checks=chosen,
             module_params={"bond_arp_validate": {"root": ROOT}})
    return [(fix["module"], call) for fix in p["fixes"] for call in fix["calls"]], p


def timed(name, params, **kw):
    t = time.monotonic()
    res = module(name, params, **kw)
    return {"module": name, "params": params, "result": res, "seconds": round(time.monotonic() - t, 2)}


@step("remediate")
def remediate():
    calls, p = fix_calls()
    results = [timed(name, params, diff=True) for name, params in calls]
    return {"plan": p, "calls": results, "raw_after": raw_mode(),
            "arp_validate": open("/sys/class/net/%s/bonding/arp_validate" % BOND).read().strip(),
            "interfaces": open(ROOT + "/etc/network/interfaces").read()}


@step("remediate_again")
def remediate_again():
    calls, _p = fix_calls()
    return {"calls": [timed(name, params) for name, params in calls], "raw_after": raw_mode()}


@step("preflight_after")
def preflight_after():
    res = preflight()
    return {"result": res, "ids": ids(res.get("findings", []))}


@step("read_only_run")
def read_only_run():
    """The module without a wanted mode: reads, reports how it knows, writes nothing."""
    return {"result": module("bmc_lan_mode", {})}


def lan_ipmitool(lan, *args):
    """Plain ipmitool over lanplus to the BMC through the host (not netmedic's code); (rc, output)."""
    argv = ["ipmitool", "-I", "lanplus", "-H", lan["host"], "-p", str(lan["port"]), "-U", lan["user"],
            "-C", str(lan["cipher_suite"]), "-L", lan["privilege"], "-E", "-N", "1", "-R", "2"] + list(args)
    p = subprocess.run(argv, env=dict(os.environ, IPMI_PASSWORD=lan["password"]), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, universal_newlines=True, timeout=30, check=False)
    return p.returncode, p.stdout


@step("rollback_inband")
def rollback_inband():
    """Issue 16: dedicated -> shared over lanplus with rollback on.  The host side (test_bmc_vm.py) drops the
    BMC's LAN packets while it is in shared mode (that port is not cabled): the module must set dedicated
    back in-band, through /dev/ipmi0, after checking that the local BMC has the changed BMC's GUID."""
    with open("/mnt/work/nmbmc_lan.json") as fh:
        lan = json.load(fh)
    nic = [n for n in sorted(os.listdir("/sys/class/net")) if os.path.exists("/sys/class/net/%s/device/driver" % n)
           and os.path.basename(os.readlink("/sys/class/net/%s/device/driver" % n)) == "virtio_net"][0]
    sh("ip link set %s up && ip addr add 10.0.2.15/24 dev %s" % (nic, nic))
    before = module("bmc_lan_mode", dict(lan, command_timeout=10))
    t = time.monotonic()
    res = module("bmc_lan_mode", dict(lan, mode="shared", allow_remote_change=True, rollback=True,
                                      rollback_window=8, rollback_settle=1, reconnect_timeout=4,
                                      command_timeout=4))
    seconds = round(time.monotonic() - t, 2)
    rc, out = lan_ipmitool(lan, "raw", "0x30", "0x70", "0x0c", "0x00")
    return {"nic": nic, "port": lan["port"], "lan_before": before, "result": res, "module_seconds": seconds,
            "raw_inband_after": raw_mode(), "lan_after_rc": rc, "lan_after": out}


if __name__ == "__main__":
    finish(setup, preflight_before, check_mode, remediate, remediate_again, preflight_after, read_only_run,
           rollback_inband)
