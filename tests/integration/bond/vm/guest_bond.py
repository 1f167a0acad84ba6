# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs INSIDE the qemu guest (Debian kernel with the bonding driver), as root.

Builds real bonds, runs netmedic's code against the real sysfs (audit, the
module's main() in check mode, for real, a second time, refusals), replays
incident 004 with a real ARP responder and a broadcasting "BMC", and checks
that the files the module writes are read back by the real consumers here:
ifupdown + ifenslave (ifup creates the bond from our interfaces file) and
systemd-networkd (creates the bond from our .netdev).  Every step records its
observations in /mnt/work/results.json; the host-side tests assert on them.
Names carry the area prefix ``nmbond``.
"""

import json
import os
import shutil
import subprocess
import sys
import time

import guest_util  # noqa: E402  (tests/lab/vm, copied beside this file by guestvm.boot)
from guest_util import RESULTS, save, sh, step  # noqa: E402

from ansible_collections.netmedic.network.plugins.module_utils.bond import audit as audit_bond
from ansible_collections.netmedic.network.plugins.module_utils.core.audit import AuditContext  # noqa: E402
from ansible_collections.netmedic.network.plugins.module_utils.bond.sysfs import (  # noqa: E402
    parse_proc_bonding, read_bond)
from ansible_collections.netmedic.network.plugins.module_utils.core.sysfs import Sysfs, SysfsError  # noqa: E402

ROOT = "/tmp/nmbond-root"          # config files live here; ROOT/sys -> the real /sys
MODULE = "ansible_collections.netmedic.network.plugins.modules.bond_arp_validate"


def module_subprocess(args, check=False, diff=False):
    """The real module's main() in a new Python, as Ansible runs it (args file in argv[1])."""
    args = dict(args, _ansible_check_mode=check, _ansible_diff=diff)
    path = "/tmp/nmbond-args.json"
    with open(path, "w") as fh:
        json.dump({"ANSIBLE_MODULE_ARGS": args}, fh)
    env = dict(os.environ, PYTHONPATH="/mnt/work/collections:/mnt/pylib")
    p = subprocess.run([sys.executable, "-m", MODULE, path], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True, env=env, timeout=120, check=False)
    try:
        return json.loads(p.stdout)
    except ValueError:
        return {"failed": True, "msg": "no JSON from the module", "stdout": p.stdout, "stderr": p.stderr}


def module(args, check=False, diff=False):
    """The module's main() in this process (Python and Ansible start once: each call is fast under TCG)."""
    return guest_util.module("bond_arp_validate", args, check=check, diff=diff)


def sysval(bond, attr):
    with open("/sys/class/net/%s/bonding/%s" % (bond, attr)) as fh:
        return fh.read().strip()


def audit():
    ctx = AuditContext(root=ROOT)
    return [f.to_dict() for f in audit_bond.run(ctx)]


def write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as fh:
        fh.write(text)
    os.chmod(path, mode)


def make_bond(name, options, slaves):
    """A bond built with iproute2 (``options``: ``mode active-backup arp_interval 1000 ...``)."""
    sh("ip link add %s type bond %s" % (name, options))
    for s in slaves:
        sh("ip link add %s type dummy 2>/dev/null || true; ip link set %s down; ip link set %s master %s"
           % (s, s, s, name))
    sh("ip link set %s up" % name)


INTERFACES = """# netmedic bonding VM test: the incident-004 bonds
source interfaces.d/*

auto nmbond-ab
iface nmbond-ab inet manual
    bond-slaves nmd1 nmd2
    bond-mode active-backup
    bond-arp-interval 1000
    bond-arp-ip-target 192.0.2.1
    # validation: see incident 004

auto nmbond-lacp
iface nmbond-lacp inet manual
    bond-slaves nmd5 nmd6
    bond-mode 802.3ad
    bond-miimon 100
"""

IFUP_BOND = """# built by ifup + ifenslave in the VM test
auto nmbond-if
iface nmbond-if inet manual
    bond-slaves nmd3 nmd4
    bond-mode active-backup
    bond-arp-interval 1000
    bond-arp-ip-target 198.51.100.1
    mtu 1400
"""

NETDEV = """# built by systemd-networkd in the VM test
[NetDev]
Name=nmbond-nd
Kind=bond

[Bond]
Mode=active-backup
ARPIntervalSec=1s
ARPIPTargets=203.0.113.1
"""


@step("setup")
def setup():
    os.makedirs(ROOT, exist_ok=True)
    os.symlink("/sys", os.path.join(ROOT, "sys"))
    write(ROOT + "/etc/network/interfaces", INTERFACES, 0o640)
    write(ROOT + "/etc/network/interfaces.d/nmbond-if", IFUP_BOND)
    make_bond("nmbond-ab", "mode active-backup arp_interval 1000 arp_ip_target 192.0.2.1", ["nmd1", "nmd2"])
    make_bond("nmbond-lacp", "mode 802.3ad miimon 100", ["nmd5", "nmd6"])
    return {"kernel": os.uname().release, "ab": sysval("nmbond-ab", "arp_validate"),
            "lacp_mode": sysval("nmbond-lacp", "mode")}


@step("audit_before")
def audit_before():
    return {"findings": audit()}


@step("check_mode")
def check_mode():
    before_file = open(ROOT + "/etc/network/interfaces").read()
    res = module_subprocess({"bonds": ["nmbond-ab"], "value": "all", "root": ROOT}, check=True, diff=True)
    return {"result": res, "sysfs_after": sysval("nmbond-ab", "arp_validate"),
            "file_unchanged": open(ROOT + "/etc/network/interfaces").read() == before_file}


@step("fix")
def fix():
    st = os.stat(ROOT + "/etc/network/interfaces")
    res = module({"bonds": ["nmbond-ab"], "value": "all", "root": ROOT}, diff=True)
    st2 = os.stat(ROOT + "/etc/network/interfaces")
    return {"result": res, "sysfs_after": sysval("nmbond-ab", "arp_validate"),
            "file": open(ROOT + "/etc/network/interfaces").read(),
            "mode_kept": (st.st_mode, st.st_uid) == (st2.st_mode, st2.st_uid),
            "backups": sorted(os.path.relpath(os.path.join(d, n), ROOT + "/var/backups/netmedic")
                              for d, _dirs, names in os.walk(ROOT + "/var/backups/netmedic") for n in names)}


@step("second_run")
def second_run():
    return {"result": module({"bonds": ["nmbond-ab"], "value": "all", "root": ROOT})}


@step("audit_after")
def audit_after():
    return {"findings": audit()}


@step("refusals")
def refusals():
    iface = open(ROOT + "/etc/network/interfaces").read()
    out = {
        "lacp": module({"bonds": ["nmbond-lacp"], "value": "all", "root": ROOT}),
        "lacp_after": sysval("nmbond-lacp", "mode"),
        "unknown": module({"bonds": ["nmbond-nope"], "root": ROOT}),
        "invalid_value": module({"bonds": ["nmbond-ab"], "value": "sometimes", "root": ROOT}),
        "files_untouched": open(ROOT + "/etc/network/interfaces").read() == iface,
    }
    try:
        Sysfs("/").write("sometimes", "sys/class/net/nmbond-ab/bonding/arp_validate")
        out["kernel_invalid"] = "accepted"
    except SysfsError as exc:
        out["kernel_invalid"] = "errno %s" % exc.errno
    out["after_invalid"] = sysval("nmbond-ab", "arp_validate")
    out["filter_runtime"] = module({"bonds": ["nmbond-ab"], "value": "filter_backup", "persist": False,
                                    "root": ROOT})
    out["after_filter"] = sysval("nmbond-ab", "arp_validate")
    out["drift_findings"] = [f for f in audit() if f["id"] == "NM-BOND-003"]
    out["restore"] = module({"bonds": ["nmbond-ab"], "value": "all", "root": ROOT})
    out["after_restore"] = sysval("nmbond-ab", "arp_validate")
    out["drift_after_restore"] = [f for f in audit() if f["id"] == "NM-BOND-003"]
    return out


@step("turn_off_up_bond")
def turn_off_up_bond():
    """On the up incident bond: 'none' is refused without force; forced, kernel 6.1 keeps the bond up."""
    out = {"refused": module({"bonds": [BOND], "value": "none", "root": ROOT}),
           "after_refused": sysval(BOND, "arp_validate"),
           "operstate": open("/sys/class/net/%s/operstate" % BOND).read().strip()}
    before = parse_proc_bonding(open("/proc/net/bonding/" + BOND).read())
    out["forced"] = module({"bonds": [BOND], "value": "none", "force": True, "persist": False, "root": ROOT})
    out["after_forced"] = sysval(BOND, "arp_validate")
    time.sleep(0.5)
    out["proc_after_forced"] = parse_proc_bonding(open("/proc/net/bonding/" + BOND).read())
    out["proc_before_forced"] = before
    out["restore"] = module({"bonds": [BOND], "root": ROOT})
    out["after_restore"] = sysval(BOND, "arp_validate")
    return out


@step("ifupdown_roundtrip")
def ifupdown_roundtrip():
    """ifup + ifenslave build a bond from the file; the module persists; ifup again reads our line."""
    sh("ip link add nmd3 type dummy; ip link add nmd4 type dummy")
    state = "--state-dir=/run/nmbond-ifstate"
    os.makedirs("/run/nmbond-ifstate", exist_ok=True)
    iface = ROOT + "/etc/network/interfaces"
    out = {"ifup1": sh("ifup -v -i %s %s nmbond-if 2>&1" % (iface, state), check=False, timeout=60)}
    out["first"] = sysval("nmbond-if", "arp_validate")
    out["module"] = module({"bonds": ["nmbond-if"], "value": "all", "root": ROOT})
    out["ifquery"] = sh("ifquery -i %s %s nmbond-if" % (iface, state), check=False)
    sh("ifdown -i %s %s nmbond-if 2>&1; ip link del nmbond-if 2>/dev/null || true" % (iface, state), check=False)
    out["gone"] = not os.path.exists("/sys/class/net/nmbond-if")
    out["ifup2"] = sh("ifup -v -i %s %s nmbond-if 2>&1" % (iface, state), check=False, timeout=60)
    out["second"] = sysval("nmbond-if", "arp_validate")
    out["slaves"] = sysval("nmbond-if", "slaves")
    return out


@step("networkd_roundtrip")
def networkd_roundtrip():
    """systemd-networkd builds a bond from the .netdev the module edited."""
    make_bond("nmbond-nd", "mode active-backup arp_interval 1000 arp_ip_target 203.0.113.1", ["nmd7"])
    write(ROOT + "/etc/systemd/network/30-nmbond-nd.netdev", NETDEV)
    out = {"filter_refused": module({"bonds": ["nmbond-nd"], "value": "filter", "root": ROOT})}
    out["module"] = module({"bonds": ["nmbond-nd"], "value": "backup", "root": ROOT})
    out["file"] = open(ROOT + "/etc/systemd/network/30-nmbond-nd.netdev").read()
    sh("ip link del nmbond-nd")
    sh("mount -t tmpfs tmpfs /etc/systemd/network")
    shutil.copy(ROOT + "/etc/systemd/network/30-nmbond-nd.netdev", "/etc/systemd/network/")
    # and a .netdev with a filter value: networkd's parser must refuse it (why the module refuses it)
    write("/etc/systemd/network/31-nmbond-nf.netdev", NETDEV.replace("nmbond-nd", "nmbond-nf")
          .replace("ARPIPTargets", "ARPValidate=filter\nARPIPTargets"))
    for d in ("links", "leases", "lldp"):
        os.makedirs("/run/systemd/netif/" + d, exist_ok=True)
    sh("chown -R systemd-network:systemd-network /run/systemd/netif", check=False)
    log = open("/tmp/nmbond-networkd.log", "w")
    env = dict(os.environ, SYSTEMD_LOG_LEVEL="info", SYSTEMD_LOG_TARGET="console")
    proc = subprocess.Popen(["/lib/systemd/systemd-networkd"], stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        for _attempt in range(100):
            if os.path.exists("/sys/class/net/nmbond-nd/bonding") and os.path.exists("/sys/class/net/nmbond-nf"):
                break
            time.sleep(0.1)
        time.sleep(0.5)
        out["created"] = os.path.exists("/sys/class/net/nmbond-nd/bonding")
        out["value"] = sysval("nmbond-nd", "arp_validate") if out["created"] else None
        out["filter_value"] = (sysval("nmbond-nf", "arp_validate")
                               if os.path.exists("/sys/class/net/nmbond-nf/bonding") else None)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
    text = open("/tmp/nmbond-networkd.log").read()
    out["log"] = text[-3000:]
    out["parse_messages"] = [ln for ln in text.splitlines() if "nmbond-nf" in ln or "alidate" in ln]
    return out


# ----------------------------------------------------------------------- incident 004 replay

BOND = "nmbond0"


def netns_broadcaster(period, seconds):
    code = ("import socket,time\ns=socket.socket(socket.AF_PACKET,socket.SOCK_RAW)\ns.bind(('nmbond-dbr',0))\n"
            "f=b'\\xff'*6+b'\\x02\\x00\\x00\\x00\\xbe\\xef'+b'\\x08\\x00'+b'\\x45'+b'\\x00'*300\n"
            "n=0\nend=time.monotonic()+%f\nwhile time.monotonic()<end:\n s.send(f); n+=1; time.sleep(%f)\n"
            "print(n)\n" % (seconds, period))
    return subprocess.Popen(["ip", "netns", "exec", "nmbond-dead", sys.executable, "-c", code],
                            stdout=subprocess.PIPE, universal_newlines=True)


def observe(seconds, period=0.6):
    """Watch the bond for ``seconds`` while the BMC broadcasts; count flaps."""
    proc = netns_broadcaster(period, seconds)
    before = parse_proc_bonding(open("/proc/net/bonding/" + BOND).read())
    changes, last, samples = 0, sysval(BOND, "active_slave"), 0
    actives = {}
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        cur = sysval(BOND, "active_slave")
        samples += 1
        actives[cur or "-"] = actives.get(cur or "-", 0) + 1
        if cur != last:
            changes += 1
            last = cur
        time.sleep(0.02)
    sent = int((proc.communicate(timeout=30)[0] or "0").strip() or 0)
    after = parse_proc_bonding(open("/proc/net/bonding/" + BOND).read())
    fails = {s: after["slaves"][s]["link_failure_count"] - before["slaves"].get(s, {}).get("link_failure_count", 0)
             for s in after["slaves"]}
    return {"active_changes": changes, "link_failures": fails, "samples": samples, "broadcasts": sent,
            "time_active": actives, "end_state": after}


@step("incident")
def incident():
    # the healthy switch: bridge with the ARP target (the core switch's address)
    sh("ip netns add nmbond-sw; ip netns add nmbond-dead")
    sh("ip link add nmbond-va type veth peer name nmbond-vap; ip link set nmbond-vap netns nmbond-sw")
    sh("ip link add nmbond-vb type veth peer name nmbond-vbp; ip link set nmbond-vbp netns nmbond-dead")
    sh("ip netns exec nmbond-sw sh -c 'ip link add nmbond-sbr type bridge && ip link set nmbond-vap master "
       "nmbond-sbr && ip link set nmbond-vap up && ip link set nmbond-sbr up && "
       "ip addr add 192.0.2.1/24 dev nmbond-sbr && ip link set lo up'")
    # the dead switch: no path to the target, but the BMC's DHCP broadcasts arrive
    sh("ip netns exec nmbond-dead sh -c 'ip link add nmbond-dbr type bridge && ip link set nmbond-vbp master "
       "nmbond-dbr && ip link set nmbond-vbp up && ip link set nmbond-dbr up'")
    sh("ip link add %s type bond mode active-backup" % BOND)
    for key, value in (("arp_interval", 100), ("arp_ip_target", "+192.0.2.1"), ("arp_validate", "none")):
        with open("/sys/class/net/%s/bonding/%s" % (BOND, key), "w") as fh:
            fh.write(str(value))
    sh("ip link set nmbond-va master %s; ip link set nmbond-vb master %s" % (BOND, BOND))
    with open("/sys/class/net/%s/bonding/primary" % BOND, "w") as fh:
        fh.write("nmbond-vb")  # the port on the switch that will die is the primary
    sh("ip addr add 192.0.2.10/24 dev %s; ip link set %s up" % (BOND, BOND))
    time.sleep(2)
    out = {"start": parse_proc_bonding(open("/proc/net/bonding/" + BOND).read())}
    out["before_value"] = sysval(BOND, "arp_validate")
    out["before"] = observe(6)
    write(ROOT + "/etc/network/interfaces.d/nmbond0", "auto nmbond0\niface nmbond0 inet static\n"
          "    address 192.0.2.10/24\n    bond-slaves nmbond-va nmbond-vb\n    bond-mode active-backup\n"
          "    bond-primary nmbond-vb\n    bond-arp-interval 100\n    bond-arp-ip-target 192.0.2.1\n")
    # the default value (all), with rollback on: a good change is kept after rollback_settle seconds
    out["module"] = module({"bonds": [BOND], "root": ROOT, "rollback": True, "rollback_window": 20,
                            "rollback_settle": 2})
    out["after_value"] = sysval(BOND, "arp_validate")
    time.sleep(1.5)  # let the monitor settle on the validated view
    out["after"] = observe(6)
    # the ARP monitor with our value works against the real responder: the active slave stays up
    st = parse_proc_bonding(open("/proc/net/bonding/" + BOND).read())
    out["final"] = st
    out["bond"] = read_bond(Sysfs("/"), BOND).to_dict()
    out["neigh_target_reached"] = "192.0.2.10" in sh("ip netns exec nmbond-sw ip neigh show dev nmbond-sbr",
                                                     check=False)
    out["dmesg_active_changes"] = sh("dmesg", check=False).count("the new active one")
    return out


# ----------------------------------------------------------------------- issue 16: rollback

RB_BOND = "nmbond-rbk"
RB_TARGET = "198.51.100.77"   # nobody has it: no ARP reply ever comes


def rb_broadcaster(seconds):
    """Frames (not ARP) on both slaves' far ends: with arp_validate=none they keep the slaves up."""
    code = ("import socket,time\nss=[]\nfor d in ('nmbond-rap','nmbond-rbp'):\n"
            " s=socket.socket(socket.AF_PACKET,socket.SOCK_RAW); s.bind((d,0)); ss.append(s)\n"
            "f=b'\\xff'*6+b'\\x02\\x00\\x00\\x00\\xbe\\xef'+b'\\x08\\x00'+b'\\x45'+b'\\x00'*60\n"
            "end=time.monotonic()+%f\nwhile time.monotonic()<end:\n for s in ss: s.send(f)\n time.sleep(0.02)\n"
            % seconds)
    return subprocess.Popen(["ip", "netns", "exec", "nmbond-rbns", sys.executable, "-c", code])


@step("rollback")
def rollback_fault():
    """arp_validate=all with an arp_ip_target that does not answer: both slaves go down; the module with
    rollback on puts the old value and file back and the bond has an active slave again."""
    sh("ip netns add nmbond-rbns")
    for s in ("a", "b"):
        sh("ip link add nmbond-r%s type veth peer name nmbond-r%sp; ip link set nmbond-r%sp netns nmbond-rbns; "
           "ip -n nmbond-rbns link set nmbond-r%sp up" % (s, s, s, s))
    sh("ip link add %s type bond mode active-backup arp_interval 100 arp_ip_target %s arp_validate none"
       % (RB_BOND, RB_TARGET))
    sh("ip link set nmbond-ra master %s; ip link set nmbond-rb master %s; ip link set %s up"
       % (RB_BOND, RB_BOND, RB_BOND))
    conf = ROOT + "/etc/network/interfaces.d/" + RB_BOND
    text = ("auto %s\r\niface %s inet manual\r\n    bond-slaves nmbond-ra nmbond-rb\r\n    bond-mode active-backup"
            "\r\n    bond-arp-interval 100\r\n    bond-arp-ip-target %s\r\n" % (RB_BOND, RB_BOND, RB_TARGET))
    write(conf, text)
    proc = rb_broadcaster(40)
    try:
        time.sleep(1.5)
        out = {"start": read_bond(Sysfs("/"), RB_BOND).to_dict()}
        t = time.monotonic()
        out["module"] = module({"bonds": [RB_BOND], "value": "all", "root": ROOT, "rollback": True,
                                "rollback_window": 6, "rollback_settle": 2})
        out["module_seconds"] = round(time.monotonic() - t, 2)
        out["value_after"] = sysval(RB_BOND, "arp_validate")
        out["file_restored"] = open(conf, newline="").read() == text
        time.sleep(0.5)
        out["proc_after"] = parse_proc_bonding(open("/proc/net/bonding/" + RB_BOND).read())
        out["bond_after"] = read_bond(Sysfs("/"), RB_BOND).to_dict()
        # the same change with rollback off: the bond stays without an active slave (the fault is real)
        out["no_rollback"] = module({"bonds": [RB_BOND], "value": "all", "persist": False, "root": ROOT})
        time.sleep(3)
        out["no_rollback_active"] = sysval(RB_BOND, "active_slave")
        out["no_rollback_proc"] = parse_proc_bonding(open("/proc/net/bonding/" + RB_BOND).read())
    finally:
        proc.kill()
        proc.wait()
    return out


def main():
    for fn in (setup, audit_before, check_mode, fix, second_run, audit_after, refusals, ifupdown_roundtrip,
               networkd_roundtrip, incident, turn_off_up_bond, rollback_fault):
        fn()
    RESULTS["done"] = True
    save()


if __name__ == "__main__":
    main()
