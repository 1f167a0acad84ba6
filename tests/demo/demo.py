#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The netmedic demo (``make demo``): a lab with every incident's condition,
preflight, remediate, postflight, preflight again, teardown.

The lab runs on this machine, in network namespaces and directories named
``nmdemo-*`` (needs root, FRR, tinc, ipmitool, ipmi_sim; ``make test``
installs them).  Ansible reaches each lab "host" through the local
connection with a Python that runs inside the host's namespace:

* ``nmdemo-r1`` (FRR, pathspace nmdemo-r1) peers with ``nmdemo-r2`` over eBGP.
  Incident 000: bgpd is killed and watchfrr restarts it, then the tail of the
  configuration (a prefix-list and the route-map the neighbour uses) is
  missing from the running config, as when watchfrr kills the ``vtysh -b``
  push.  The session also flapped (the bgpd restart and a link cycle:
  incident 002).  The IPv6 route-cache audit runs here as well (incident 003).
* ``nmdemo-bmc``: an ipmi_sim BMC (Supermicro OEM command) in failover LAN
  mode, reached over lanplus (incident 004).
* ``nmdemo-bond``: a bond with ARP monitoring and ``arp_validate none`` on a
  sysfs fixture tree with its ifupdown file (the kernel here has no bonding
  driver; incident 004).
* ``nmdemo-ta``: tinc in switch mode bridged into ``br-int`` on two
  namespaces; a second layer-2 path between the bridges (STP off) makes a
  loop for two seconds, and the kernel logs the bridge's own frames coming
  back on the tinc port (incident 001).

Then: ``playbooks/preflight.yml`` (findings shown), the manual steps the
findings ask for (no module does them: remove the second layer-2 path, STP
on), ``playbooks/remediate.yml --check`` (dry run), ``playbooks/remediate.yml``
(every area), ``playbooks/postflight.yml`` (compares with the preflight), and
``playbooks/preflight.yml`` again with ``preflight_fail_on=warning``: no
critical or warning finding is left.  What needs time, not a fix: a session
that flapped counts as flapping until it has been Established for
``min_established_seconds`` and a restarted daemon counts as restarted for
``recent_restart_seconds`` (the demo sets both to %(HOLD)d s and waits for
them, bounded); the tinc loop's kernel messages stay in the kernel log, so the
last preflight reads only the kernel log written since the loop was removed.

    python tests/demo/demo.py                 # the whole demo, then teardown
    python tests/demo/demo.py --json out.json # also write the findings per stage
    python tests/demo/demo.py --down          # remove what a killed demo left behind
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "lab"))
sys.path.insert(0, os.path.join(REPO, "tests", "lab", "ipmi"))

import frrlab  # noqa: E402
import procs  # noqa: E402

PREFIX = "nmdemo-"
DEV = os.path.join(REPO, "build", "dev")
sys.path.insert(0, DEV)
from ansible_collections.netmedic.network.plugins.module_utils.tinc.kernel_log import (  # noqa: E402
    KernelLog, own_address_messages)
BIN = os.path.dirname(sys.executable)
HOLD = 45  # seconds: demo value of min_established_seconds and recent_restart_seconds
__doc__ = __doc__ % {"HOLD": HOLD}

A, B = "10.95.0.1", "10.95.0.2"
FRR_CONF = """frr defaults traditional
hostname {name}
ip prefix-list NMDEMO-IN seq 5 permit 10.0.0.0/8 le 24
ip prefix-list NMDEMO-IN seq 10 deny any
!
route-map NMDEMO-IN permit 10
 match ip address prefix-list NMDEMO-IN
exit
!
router bgp {asn}
 bgp router-id {me}
 no bgp ebgp-requires-policy
 timers bgp 3 9
 neighbor {peer} remote-as {peer_asn}
 neighbor {peer} timers connect 1
 !
 address-family ipv4 unicast
  neighbor {peer} route-map NMDEMO-IN in
 exit-address-family
exit
"""
# What a push killed half-way leaves out (FRR prints lists and route-maps before router bgp,
# so in the incident they were lost with the tail; here they are taken out of the running config).
LOST = ["no route-map NMDEMO-IN", "no ip prefix-list NMDEMO-IN"]

TINC_NET = "nmdemo"
TINC = {
    "a": {"ns": "nmdemo-ta", "under": "nmdemo-ua", "under_ip": "10.94.0.1", "tap": "nmdemo-tapa",
          "br_ip": "10.93.0.11", "peer": "b"},
    "b": {"ns": "nmdemo-tb", "under": "nmdemo-ub", "under_ip": "10.94.0.2", "tap": "nmdemo-tapb",
          "br_ip": "10.93.0.12", "peer": "a"},
}
LOOP = ("nmdemo-la", "nmdemo-lb")

BOND_SYSFS = {"mode": "active-backup 1", "arp_interval": "1000", "arp_ip_target": "192.0.2.1 192.0.2.2",
              "arp_validate": "none 0", "arp_all_targets": "any 0", "miimon": "0", "active_slave": "eno1",
              "primary": "eno1", "slaves": "eno1 eno2"}
BOND_IFUPDOWN = """# interfaces(5) file used by ifup(8) and ifdown(8)
auto lo
iface lo inet loopback

# uplink to rack switches A and B
auto bond0
iface bond0 inet static
    address 192.0.2.10/24
    bond-slaves eno1 eno2
    bond-mode active-backup
    bond-arp-interval 1000
    bond-arp-ip-target 192.0.2.1 192.0.2.2
    bond-arp-validate none
"""


def log(msg: str = "") -> None:
    print(msg, flush=True)


def sh(argv, check=True, timeout=30, **kw) -> subprocess.CompletedProcess:
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                          timeout=timeout, check=False, **kw)
    if check and proc.returncode != 0:
        raise RuntimeError("%s failed (rc %d): %s" % (" ".join(argv), proc.returncode, proc.stderr.strip()[-1000:]))
    return proc


def nsx(ns, *argv, check=True, timeout=30, **kw):
    return sh(["ip", "netns", "exec", ns] + list(argv), check=check, timeout=timeout, **kw)


def wait(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.2)
    raise RuntimeError("timed out after %d s waiting for %s" % (timeout, what))


def missing_components():
    missing = list(frrlab.missing_components())
    for tool, pkg in (("tincd", "tinc"), ("ipmitool", "ipmitool"), ("ipmi_sim", "openipmi"), ("gcc", "gcc")):
        if shutil.which(tool) is None:
            missing.append("%s (%s)" % (tool, pkg))
    if not os.path.exists("/usr/include/OpenIPMI/mcserv.h"):
        missing.append("libopenipmi-dev")
    if os.geteuid() != 0:
        missing.append("root (network namespaces)")
    return missing


# ---------------------------------------------------------------- cleanup

def _kill_tincd():
    procs.kill_matching(lambda argv: procs.named(argv, "tincd") and any(b"/nmdemo-lab-" in a for a in argv))


def down() -> None:
    """Remove every nmdemo-* namespace, FRR pathspace, tincd and work directory."""
    _kill_tincd()
    frrlab.cleanup_stale(PREFIX)
    out = sh(["ip", "netns", "list"], check=False).stdout
    for line in out.splitlines():
        name = line.split()[0] if line.split() else ""
        if name.startswith(PREFIX):
            sh(["ip", "netns", "del", name], check=False)
    tmp = tempfile.gettempdir()
    for d in os.listdir(tmp):
        if d.startswith("nmdemo-lab-"):
            shutil.rmtree(os.path.join(tmp, d), ignore_errors=True)


# ---------------------------------------------------------------- the lab

class Demo:
    def __init__(self):
        self.work = tempfile.mkdtemp(prefix="nmdemo-lab-")
        self.frr = frrlab.Lab(PREFIX)
        self.bmc = None
        self.r1 = self.r2 = None
        self.loop_removed_at = None
        self.settled_at = None  # time.monotonic() after which BGP/bgpd only need to age
        self.stages = {}

    # -- FRR (incidents 000, 002, 003) ---------------------------------
    def frr_up(self):
        self.r1 = self.frr.router("r1", FRR_CONF.format(name="r1", asn=65001, me=A, peer=B, peer_asn=65002))
        self.r2 = self.frr.router("r2", FRR_CONF.format(name="r2", asn=65002, me=B, peer=A, peer_asn=65001))
        self.frr.link(self.r1, "eth-r2", A + "/30", self.r2, "eth-r1", B + "/30")
        self.frr.start()
        self.r1.wait_bgp_established(B, timeout=90)

    def frr_incident(self):
        started = time.monotonic()
        # the link to r2 cycles: the session drops and comes back (incident 002's flap)
        self.r2.exec("ip", "link", "set", "eth-r1", "down")
        wait(lambda: self.r1.bgp_peer_state(B) != "Established", 30, "the session to drop")
        self.r2.exec("ip", "link", "set", "eth-r1", "up")
        self.r1.wait_bgp_established(B, timeout=90)
        # watchfrr must be older than the restart for the audit to tell "restarted" from "started"
        wait(lambda: time.monotonic() - started > 12, 20, "watchfrr to age")
        old = self.r1.kill("bgpd")
        self.r1.wait_restarted("bgpd", old, timeout=90)
        self.r1.wait_up(timeout=30)
        self.r1.wait_bgp_established(B, timeout=90)
        # incident 000: the restart came back without the tail of frr.conf
        self.r1.configure(*LOST)
        self.settled_at = time.monotonic()

    # -- BMC (incident 004) --------------------------------------------
    def bmc_up(self):
        import bmc as nmbmc  # tests/lab/ipmi/bmc.py
        self.bmc = nmbmc.Bmc(mode="failover").start()
        self.bmc_password_file = os.path.join(self.work, "bmc.pw")
        with open(os.open(self.bmc_password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as fh:
            fh.write(self.bmc.password + "\n")

    # -- bond fixture (incident 004) -----------------------------------
    def bond_up(self):
        self.bond_root = os.path.join(self.work, "bond-root")
        base = os.path.join(self.bond_root, "sys", "class", "net", "bond0")
        os.makedirs(os.path.join(base, "bonding"))
        for key, value in BOND_SYSFS.items():
            with open(os.path.join(base, "bonding", key), "w") as fh:
                fh.write(value + "\n")
        with open(os.path.join(base, "operstate"), "w") as fh:
            fh.write("up\n")
        os.makedirs(os.path.join(self.bond_root, "etc", "network"))
        with open(os.path.join(self.bond_root, "etc", "network", "interfaces"), "w") as fh:
            fh.write(BOND_IFUPDOWN)

    # -- tinc (incident 001) -------------------------------------------
    def tinc_conf(self, h):
        return os.path.join(self.work, "tinc-" + h)

    def tinc_pidfile(self, h):
        return os.path.join(self.tinc_conf(h), "tinc.pid")

    def tinc_up(self):
        a, b = TINC["a"], TINC["b"]
        for d in TINC.values():
            sh(["ip", "netns", "add", d["ns"]])
            nsx(d["ns"], "ip", "link", "set", "lo", "up")
            nsx(d["ns"], "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
        sh(["ip", "link", "add", a["under"], "netns", a["ns"], "type", "veth", "peer", "name", b["under"],
            "netns", b["ns"]])
        for h, d in TINC.items():
            nsx(d["ns"], "ip", "addr", "add", d["under_ip"] + "/24", "dev", d["under"])
            nsx(d["ns"], "ip", "link", "set", d["under"], "up")
            nsx(d["ns"], "ip", "link", "add", "br-int", "type", "bridge", "stp_state", "0")
            nsx(d["ns"], "ip", "addr", "add", d["br_ip"] + "/24", "dev", "br-int")
            nsx(d["ns"], "ip", "link", "set", "br-int", "up")
            conf = self.tinc_conf(h)
            os.makedirs(os.path.join(conf, "hosts"))
            with open(os.path.join(conf, "tinc.conf"), "w") as fh:
                fh.write("Name = %s\nMode = switch\nDeviceType = tap\nInterface = %s\nAddressFamily = ipv4\n"
                         "ConnectTo = %s\n" % (h, d["tap"], d["peer"]))
            with open(os.path.join(conf, "hosts", h), "w") as fh:
                fh.write("Address = %s\n" % d["under_ip"])
            with open(os.path.join(conf, "tinc-up"), "w") as fh:
                fh.write('#!/bin/sh\nip link set "$INTERFACE" up\nip link set "$INTERFACE" master br-int\n')
            os.chmod(os.path.join(conf, "tinc-up"), 0o755)
            sh(["tincd", "-n", TINC_NET, "-c", conf, "-K2048"], stdin=subprocess.DEVNULL)
        for h in TINC:
            with open(os.path.join(self.tinc_conf(h), "hosts", h)) as fh:
                pub = fh.read()
            with open(os.path.join(self.tinc_conf(TINC[h]["peer"]), "hosts", h), "w") as fh:
                fh.write(pub)
        for h, d in TINC.items():
            nsx(d["ns"], "tincd", "-n", TINC_NET, "-c", self.tinc_conf(h), "--pidfile=" + self.tinc_pidfile(h),
                "--logfile=" + os.path.join(self.tinc_conf(h), "tinc.log"))
        wait(lambda: nsx(a["ns"], "ping", "-c1", "-W1", b["br_ip"], check=False).returncode == 0, 30,
             "the two bridges to reach each other through tinc")
        # the audit's view of host a: etc/tinc/NET and the pidfile under a root, the rest is the real system
        self.tinc_root = os.path.join(self.work, "tinc-root")
        os.makedirs(os.path.join(self.tinc_root, "etc", "tinc"))
        os.makedirs(os.path.join(self.tinc_root, "run"))
        os.symlink(self.tinc_conf("a"), os.path.join(self.tinc_root, "etc", "tinc", TINC_NET))
        os.symlink(self.tinc_pidfile("a"), os.path.join(self.tinc_root, "run", "tinc.%s.pid" % TINC_NET))
        for d in ("proc", "sys", "dev"):
            os.symlink("/" + d, os.path.join(self.tinc_root, d))

    def tinc_loop(self, seconds=2.0):
        """A second layer-2 path between the two br-int for a moment: the bridge's frames come back.

        The kernel logs its loop message through net_ratelimit() (10 network messages per 5 s, kernel-wide),
        naming the port the frame came back on.  ARP sent before both ends of the new veth forward (the
        carrier comes up within a second) loops one way only, so all 10 messages named the veth, or does not
        loop at all: NM-TINC-002 was missing in 2 of 12 rounds.  So the loop starts once both ends forward
        and lasts until the kernel has named the tinc port (at most 15 s: three rate-limit windows)."""
        a, b = TINC["a"], TINC["b"]
        kmsg = KernelLog(since_now=True)
        sh(["ip", "link", "add", LOOP[0], "netns", a["ns"], "type", "veth", "peer", "name", LOOP[1], "netns", b["ns"]])
        nsx(a["ns"], "ip", "link", "set", LOOP[0], "master", "br-int", "up")
        nsx(b["ns"], "ip", "link", "set", LOOP[1], "master", "br-int", "up")
        wait(lambda: _port_state(a["ns"], LOOP[0]) == _port_state(b["ns"], LOOP[1]) == "forwarding", 10,
             "both ends of the loop to forward")
        deadline = time.monotonic() + 15
        while not own_address_messages(kmsg.read(), a["tap"]) and time.monotonic() < deadline:
            # ARP requests from br-int's own address: they come back through the loop
            nsx(a["ns"], "ping", "-n", "-q", "-i", "0.2", "-w", str(int(seconds)), "10.93.0.250", check=False,
                timeout=seconds + 10)
        kmsg.close()
        nsx(a["ns"], "ip", "link", "del", LOOP[0], check=False)
        self.loop_removed_at = time.monotonic()

    def manual_tinc_fix(self):
        """What NM-TINC-001/002 ask a person to do: no second layer-2 path, STP on."""
        for d in TINC.values():
            nsx(d["ns"], "ip", "link", "set", "br-int", "type", "bridge", "stp_state", "1")

    # -- Ansible ---------------------------------------------------------
    def python_in(self, ns):
        path = os.path.join(self.work, "python-" + ns)
        with open(path, "w") as fh:
            fh.write('#!/bin/sh\nexec ip netns exec %s %s "$@"\n' % (ns, sys.executable))
        os.chmod(path, 0o755)
        return path

    def inventory(self, final=False):
        bgp = {"pathspace": self.r1.name, "sample_interval": 0, "min_established_seconds": HOLD}
        tinc = {"networks": [TINC_NET], "arp_sample_seconds": 0}
        if final:
            # the loop's kernel messages stay in the kernel log: read only what came after the loop was gone
            tinc["kernel_log_window"] = max(1, int(time.monotonic() - self.loop_removed_at) - 1)
        hosts = {
            "nmdemo-r1": {
                "ansible_python_interpreter": self.python_in(self.r1.name),
                # areas: bgp, frr (frr_settings and frr_drift), ip6, link
                "preflight_checks": ["bgp", "frr", "ip6", "link"],
                "preflight_options": {"bgp": bgp,
                                      "frr_settings": {"pathspace": self.r1.name, "recent_restart_seconds": HOLD},
                                      "frr_drift": {"pathspaces": [self.r1.name]},
                                      "link_flaps": {"ignore": ["lo"]}},
            },
            "nmdemo-bmc": {
                "ansible_python_interpreter": sys.executable,
                "preflight_checks": ["bmc"],
                "preflight_options": {"bmc": {"interface": "lanplus", "host": self.bmc.host, "port": self.bmc.port,
                                              "user": self.bmc.user, "password_file": self.bmc_password_file,
                                              "cipher_suite": 3}},
                "remediate_module_params": {"bmc_lan_mode": {"password_file": self.bmc_password_file}},
            },
            "nmdemo-bond": {
                "ansible_python_interpreter": sys.executable,
                "preflight_checks": ["bond"],
                "preflight_root": self.bond_root,
                "remediate_module_params": {"bond_arp_validate": {"root": self.bond_root}},
            },
            "nmdemo-ta": {
                "ansible_python_interpreter": self.python_in(TINC["a"]["ns"]),
                "preflight_checks": ["tinc"],
                "preflight_root": self.tinc_root,
                "preflight_options": {"tinc": tinc},
                "remediate_module_params": {"tinc_safe_restart": {"config_dir": self.tinc_conf("a"),
                                                                  "pidfile": self.tinc_pidfile("a")}},
            },
        }
        path = os.path.join(self.work, "inventory.json")
        with open(path, "w") as fh:
            json.dump({"all": {"hosts": hosts, "vars": {"ansible_connection": "local"}}}, fh, indent=1)
        return path

    def playbook(self, name, inventory, extra=None, args=(), label=None):
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=DEV + os.pathsep + os.path.join(REPO, "build", "collections"),
                   ANSIBLE_ROLES_PATH=os.path.join(REPO, "roles"), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
                   ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_CALLBACK_RESULT_FORMAT="yaml",
                   ANSIBLE_DISPLAY_SKIPPED_HOSTS="false", ANSIBLE_FORKS="5", PWD=self.work)
        argv = [os.path.join(BIN, "ansible-playbook"), "-i", inventory, os.path.join(REPO, "playbooks", name)]
        if extra:
            argv += ["-e", json.dumps(extra)]
        if name == "remediate.yml":   # a playbook that changes hosts requires its target (issue 17)
            argv += ["-e", "remediate_targets=all"]
        argv += list(args)
        label = label or name
        log("\n==== %s: ansible-playbook playbooks/%s %s" % (label, name, " ".join(argv[4:])))
        t0 = time.monotonic()
        proc = sh(argv, check=False, timeout=600, env=env, cwd=self.work)
        out = proc.stdout + proc.stderr
        with open(os.path.join(self.work, "%s.log" % label.replace(" ", "-")), "w") as fh:
            fh.write(out)
        log(_interesting(out))
        log("---- %s: rc %d in %.1f s" % (label, proc.returncode, time.monotonic() - t0))
        return proc.returncode, out

    def report(self, name="preflight.json"):
        with open(os.path.join(self.work, "netmedic-reports", name)) as fh:
            return json.load(fh)

    def record(self, stage, report, rc):
        hosts = {h: [{"id": f["id"], "severity": f["severity"], "subject": f["subject"], "summary": f["summary"]}
                     for f in v["findings"]] for h, v in report["hosts"].items()}
        self.stages[stage] = {"rc": rc, "hosts": hosts,
                              "no_result": report["summary"].get("hosts_without_result", [])}
        show_findings(stage, hosts)

    def state(self):
        """The lab's state read directly (not through netmedic): the after-proof beside the audits."""
        with open(os.path.join(self.bond_root, "sys", "class", "net", "bond0", "bonding", "arp_validate")) as fh:
            bond_sysfs = fh.read().strip()
        with open(os.path.join(self.bond_root, "etc", "network", "interfaces")) as fh:
            bond_file = [ln.strip() for ln in fh if "arp-validate" in ln]
        tap = json.loads(nsx(TINC["a"]["ns"], "ip", "-j", "-d", "link", "show", "dev", TINC["a"]["tap"]).stdout)[0]
        return {"bmc_mode": self.bmc.read_mode(), "bond_sysfs_arp_validate": bond_sysfs,
                "bond_ifupdown": bond_file,
                "frr_running_has_policy": "route-map NMDEMO-IN permit 10" in self.r1.running_config()
                                          and "ip prefix-list NMDEMO-IN seq 5" in self.r1.running_config(),
                "bgp_state": self.r1.bgp_peer_state(B),
                "tinc_port_master": tap.get("master"), "tincd_pid": _pid(self.tinc_pidfile("a"))}

    def close(self):
        try:
            if self.bmc is not None:
                self.bmc.stop()
        finally:
            _kill_tincd()
            self.frr.teardown()
            for d in TINC.values():
                sh(["ip", "netns", "del", d["ns"]], check=False)
            shutil.rmtree(self.work, ignore_errors=True)


def _port_state(ns, port):
    """The bridge port state of ``port`` in namespace ``ns`` (forwarding, learning, ...)."""
    out = nsx(ns, "bridge", "-j", "link", "show", "dev", port, check=False).stdout
    return (json.loads(out or "[{}]") or [{}])[0].get("state")


def _pid(path):
    try:
        with open(path) as fh:
            pid = int(fh.read().split()[0])
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError, IndexError):
        return None


def _interesting(out):
    """The lines of a playbook run worth showing: task names with their messages, the recap."""
    keep, show = [], False
    for line in out.splitlines():
        if line.startswith("TASK ["):
            show = any(k in line for k in ("Show this host", "Print the fleet", "Show what", "Choose", "Say that",
                                           "Show what will", "Set ", "Reconcile", "Restart tinc", "Flush",
                                           "List the chosen", "Fail on new"))
            if show:
                keep.append(line.rstrip("*").rstrip())
            continue
        if line.startswith("PLAY RECAP"):
            show = True
            keep.append(line.rstrip("*").rstrip())
            continue
        if show and line.strip() and not line.startswith("PLAY ["):
            keep.append(line)
    return "\n".join(keep[-120:])


def show_findings(stage, hosts):
    log("\n#### findings %s" % stage)
    for h in sorted(hosts):
        fs = hosts[h]
        if not fs:
            log("  %-12s clean" % h)
        for f in fs:
            log("  %-12s %-12s %-8s %s" % (h, f["id"], f["severity"], f["summary"][:110]))


def run(json_out=None) -> int:
    missing = missing_components()
    if missing:
        log("the demo needs: %s (make test installs them)" % ", ".join(missing))
        return 2
    down()
    t_start = time.monotonic()
    demo = Demo()
    ok = False
    try:
        log("#### building the lab in %s" % demo.work)
        demo.frr_up()
        demo.bmc_up()
        demo.bond_up()
        demo.tinc_up()
        log("lab up in %.1f s; making each incident's condition" % (time.monotonic() - t_start))
        demo.frr_incident()
        demo.tinc_loop()
        log("conditions present at %.1f s" % (time.monotonic() - t_start))
        log("(incident 003, sticky IPv6 cache entry: kernel %s has not cloned reject routes into the cache since "
            "4.2, so the condition cannot be created here; the audit runs on nmdemo-r1 and must find none)"
            % os.uname().release)

        inv = demo.inventory()
        rc, _out = demo.playbook("preflight.yml", inv, {"preflight_fail_on": "never"}, label="preflight before")
        demo.record("before", demo.report(), rc)

        log("\n#### manual steps the findings ask for (no module does them): the second layer-2 path is gone "
            "(NM-TINC-002), STP on both bridges (NM-TINC-001)")
        demo.manual_tinc_fix()

        areas = ["bmc", "bond", "frr", "tinc", "ip6", "bgp", "link"]
        rc, _out = demo.playbook("remediate.yml", inv, {"remediate_areas": areas}, args=["--check", "--diff"],
                                 label="remediate dry run")
        demo.stages["remediate_check"] = {"rc": rc}
        rc, _out = demo.playbook("remediate.yml", inv, {"remediate_areas": areas, "remediate_serial": 2,
                                                        "remediate_max_fail_percentage": 0}, label="remediate")
        demo.stages["remediate"] = {"rc": rc}

        rc, out = demo.playbook("postflight.yml", inv, label="postflight")
        demo.record("postflight", demo.report("postflight.json"), rc)
        with open(os.path.join(demo.work, "netmedic-reports", "postflight-diff.json")) as fh:
            demo.stages["postflight"]["diff"] = json.load(fh)["hosts"]

        remaining = HOLD + 2 - (time.monotonic() - demo.settled_at)
        if remaining > 0:
            log("\n#### waiting %.0f s: the BGP session flapped and bgpd restarted; both count as recent until "
                "they are %d s old (the demo's min_established_seconds / recent_restart_seconds; 300 s and "
                "3600 s by default)" % (remaining, HOLD))
            time.sleep(remaining)
        rc, _out = demo.playbook("preflight.yml", demo.inventory(final=True), {"preflight_fail_on": "warning"},
                                 label="preflight after")
        demo.record("after", demo.report(), rc)
        demo.stages["state_after"] = demo.state()
        log("\n#### the lab read directly: %s" % json.dumps(demo.stages["state_after"], sort_keys=True))
        ok = True
    finally:
        t_total = time.monotonic() - t_start
        if json_out:
            with open(json_out, "w") as fh:
                json.dump({"stages": demo.stages, "seconds": round(t_total, 1), "completed": ok}, fh, indent=1)
        log("\n#### tearing down")
        demo.close()
        down()
    if not ok:
        return 1
    before = sum(len(v) for v in demo.stages["before"]["hosts"].values())
    after = demo.stages["after"]["hosts"]
    bad = [(h, f["id"]) for h, fs in after.items() for f in fs if f["severity"] in ("critical", "warning")]
    log("\n#### demo: %d finding(s) before, %d critical/warning after (%d info); remediate rc %d; "
        "postflight rc %d; final preflight rc %d; %.0f s"
        % (before, len(bad), sum(len(v) for v in after.values()) - len(bad), demo.stages["remediate"]["rc"],
           demo.stages["postflight"]["rc"], demo.stages["after"]["rc"], t_total))
    return 0 if not bad and demo.stages["after"]["rc"] == 0 and demo.stages["remediate"]["rc"] == 0 else 1


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="netmedic demo: lab, preflight, remediate, postflight, preflight")
    ap.add_argument("--json", help="write the findings of each stage to this file")
    ap.add_argument("--down", action="store_true", help="only remove what a killed demo left behind")
    args = ap.parse_args(argv)
    if args.down:
        down()
        return 0
    return run(args.json)


if __name__ == "__main__":
    sys.exit(main())
