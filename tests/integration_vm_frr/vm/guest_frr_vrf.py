# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs INSIDE the qemu guest (Debian 12 kernel, FRR 8.4.4 rootfs of tests/lab/vm/frr_assets.py), as root.

FRRouting/frr#15709 and #14439: a change under ``interface X vrf Y`` made
frr-reload.py flap the OSPF adjacencies.  #15709 (pull request) says why: FRR
prints an interface of a VRF as ``interface X`` (no ``vrf Y``; since
FRRouting/frr#10411, commit 788a036fdb) while frr.conf says ``interface X vrf
Y``, so frr-reload.py deletes the block's lines (its example: ``ip ospf
network point-to-point``) under ``interface X`` and adds them again under
``interface X vrf Y``.

Two routers, each a network namespace with its own FRR (pathspaces r1 and r2,
``frrinit.sh start NAME`` as tests/lab/frrlab.py does on the host), joined
by a veth ``eth-x``.  In r1 the veth is enslaved to VRF ``red`` (table 10) and
OSPF runs in ``router ospf vrf red``; r2 runs plain OSPF.  Steps:

- ``reconcile``: frr_reconcile's engine changes the description and the cost
  under ``interface eth-x vrf red`` (``ip ospf network point-to-point`` stays
  in the block, the line #15709's frr-reload.py rewrote); a sampler reads both
  routers' neighbour (state, upTimeInMsec) throughout; then frr-reload.py
  --test of the same FRR on the intended file.
- ``reload``: back to the start config, then FRR's own frr-reload.py
  --reload of the same intended file, sampled the same way (measured, not
  judged here: the host test reports what it did).
"""

import json
import os
import subprocess
import threading
import time

from guest_util import finish, sh, step

from ansible_collections.netmedic.network.plugins.module_utils.frr import reconcile as fr  # noqa: E402

R1_IP, R2_IP = "10.99.1.1", "10.99.1.2"
INTENDED = "/tmp/nmvrf-intended.conf"
HELLO = " ip ospf dead-interval 10\n ip ospf hello-interval 1\n ip ospf network point-to-point\n"


def r1_conf(description, cost):
    """r1's frr.conf: the interface in VRF red, as #15709's frr.conf writes it."""
    return ("frr defaults traditional\nhostname r1\n!\n"
            "interface eth-x vrf red\n description %s\n ip ospf area 0\n ip ospf cost %d\n%sexit\n!\n"
            "router ospf vrf red\n ospf router-id %s\nexit\n!\n") % (description, cost, HELLO, R1_IP)


R1_START = r1_conf("old link", 10)
R1_INTENDED = r1_conf("core link to r2", 20)
R2_CONF = ("frr defaults traditional\nhostname r2\n!\ninterface eth-x\n ip ospf area 0\n%sexit\n!\n"
           "router ospf\n ospf router-id %s\nexit\n!\n") % (HELLO, R2_IP)

DAEMONS = "".join("%s=%s\n" % (d, "yes" if d == "ospfd" else "no") for d in (
    "bgpd", "ospfd", "ospf6d", "ripd", "ripngd", "isisd", "pimd", "ldpd", "nhrpd", "eigrpd", "babeld", "sharpd",
    "pbrd", "bfdd", "fabricd", "vrrpd", "pathd")) + (
    'vtysh_enable=yes\nzebra_options="-A 127.0.0.1 -s 90000000"\nospfd_options="-A 127.0.0.1"\n'
    'staticd_options="-A 127.0.0.1"\nwatchfrr_options=""\n')


def vtysh(router, command):
    return sh("vtysh -N %s -c '%s'" % (router, command), check=False, timeout=30)


def running(router):
    return vtysh(router, "show running-config")


def neighbour(router):
    """(state, upTimeInMsec) of the router's one OSPF neighbour (r1: in VRF red)."""
    command = "show ip ospf vrf red neighbor json" if router == "r1" else "show ip ospf neighbor json"
    peer = R2_IP if router == "r1" else R1_IP
    try:
        data = json.loads(vtysh(router, command) or "{}")
    except ValueError:
        return ("?", 0)
    if "neighbors" not in data:          # some versions nest the answer under the VRF's name
        data = data.get("red", {})
    entry = ((data.get("neighbors") or {}).get(peer) or [{}])[0]
    return (entry.get("nbrState", ""), entry.get("upTimeInMsec", 0))


def wait_full(timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        n1, n2 = neighbour("r1"), neighbour("r2")
        if n1[0].startswith("Full") and n2[0].startswith("Full"):
            return time.monotonic()
        time.sleep(0.5)
    raise RuntimeError("no OSPF adjacency: r1 %s r2 %s\n%s\n%s" % (neighbour("r1"), neighbour("r2"),
                                                                   running("r1"), running("r2")))


class Sampler(threading.Thread):
    """Both ends' neighbour (state, upTimeInMsec) as often as vtysh answers, until stopped."""

    def __init__(self):
        super().__init__(daemon=True)
        self.samples, self.done = [], threading.Event()
        self.start_time = time.monotonic()

    def run(self):
        while not self.done.is_set():
            t = round(time.monotonic() - self.start_time, 2)
            self.samples.append([t, list(neighbour("r1")), list(neighbour("r2"))])
            self.done.wait(0.2)

    def stop(self):
        time.sleep(3)           # a reset shows within a hello (1 s) plus the new adjacency's time to Full
        self.done.set()
        self.join()
        return self.samples


def reconcile(**options):
    try:
        return fr.reconcile(fr.Target(pathspace="r1"), fr.Options(**options))
    except fr.ReconcileError as exc:
        return {"error": str(exc), "data": exc.data}


def frr_reload(mode):
    """FRR's own frr-reload.py (--test or --reload) of INTENDED on r1: {"rc", "output"}."""
    p = subprocess.run(["python3", "/usr/lib/frr/frr-reload.py", mode, "--stdout", "--pathspace", "r1", INTENDED],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, timeout=300,
                       check=False)
    return {"rc": p.returncode, "output": p.stdout}


@step("setup")
def setup():
    sh("modprobe vrf")
    # the kernel's default node name "(none)" is printed as 'hostname (none)', which vtysh refuses when
    # frr-reload.py marks the running config (exit 13, CMD_WARNING_CONFIG_FAILED): name the guest, as a router is
    sh("hostname nmvrf")
    # no udev in this guest: vtysh -f /dev/stdin (frr_reconcile's content=, frr-reload.py's marking) needs these
    sh("ln -sfn /proc/self/fd /dev/fd && ln -sf /proc/self/fd/0 /dev/stdin && ln -sf /proc/self/fd/1 /dev/stdout"
       " && ln -sf /proc/self/fd/2 /dev/stderr")
    for d in ("/etc/frr", "/var/log"):
        sh("mount -t tmpfs tmpfs %s" % d)
    sh("mkdir -p /var/log/frr && chown frr:frr /var/log/frr /etc/frr")
    sh("ip netns add r1 && ip netns add r2")
    sh("ip -n r1 link add eth-x type veth peer name eth-x netns r2")
    sh("ip -n r1 link add red type vrf table 10 && ip -n r1 link set red up && ip -n r1 link set eth-x master red")
    for ns, ip in (("r1", R1_IP), ("r2", R2_IP)):
        sh("ip -n %s link set lo up && ip -n %s addr add %s/30 dev eth-x && ip -n %s link set eth-x up"
           % (ns, ns, ip, ns))
    for ns, conf in (("r1", R1_START), ("r2", R2_CONF)):
        os.makedirs("/etc/frr/" + ns)
        for name, text in (("daemons", DAEMONS), ("frr.conf", conf), ("vtysh.conf", "service integrated-vtysh-config\n")):
            with open("/etc/frr/%s/%s" % (ns, name), "w") as fh:
                fh.write(text)
        sh("chown -R frr:frr /etc/frr/%s && chmod 750 /etc/frr/%s" % (ns, ns))
    t = time.monotonic()
    for ns in ("r1", "r2"):
        sh("ip netns exec %s /usr/lib/frr/frrinit.sh start %s > /tmp/frrinit-%s.log 2>&1" % (ns, ns, ns), timeout=120)
    wait_full()
    return {"frr_version": vtysh("r1", "show version").splitlines()[0], "kernel": sh("uname -r").strip(),
            "vrf_link": sh("ip -n r1 -d link show eth-x"), "vrf_table": sh("ip -n r1 route show vrf red"),
            "seconds_to_full": round(time.monotonic() - t, 1), "r1_running": running("r1"),
            "r1_neighbour": neighbour("r1"), "r2_neighbour": neighbour("r2")}


@step("reconcile")
def reconcile_step():
    with open(INTENDED, "w") as fh:
        fh.write(R1_INTENDED)
    sampler = Sampler()
    sampler.start()
    planned = reconcile(src=INTENDED, check_mode=True)
    done = reconcile(src=INTENDED)
    again = reconcile(src=INTENDED, check_mode=True)
    samples = sampler.stop()
    return {"planned": planned, "done": done, "again": again, "samples": samples,
            "reload_test": frr_reload("--test"), "r1_running": running("r1")}


@step("reload")
def reload_step():
    back = reconcile(content=R1_START)
    wait_full()
    time.sleep(2)
    before = running("r1")
    sampler = Sampler()
    sampler.start()
    out = frr_reload("--reload")
    samples = sampler.stop()
    return {"back": {k: back.get(k) for k in ("changed", "remaining", "error")}, "running_before": before,
            "output": out, "samples": samples, "r1_running": running("r1"),
            "reload_test_after": frr_reload("--test")}


if __name__ == "__main__":
    finish(setup, reconcile_step, reload_step)
