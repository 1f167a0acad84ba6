#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Incident 002 for real: one FRR route reflector, hundreds of iBGP clients, a cascade.

The layout (every name starts with the lab prefix, ``nmrr-`` by default)::

    nmrr-rr    FRR 8.4.4 pathspace + netns: the route reflector, 10.0.0.1 on bridge br0 (10.0.0.0/16)
    nmrr-ex    netns: ONE exabgp process holding the light clients' sessions (10.0.1.1, 10.0.1.2 ...),
               each with its own router-id and local address, each announcing a few /32s
    nmrr-c01   FRR pathspace + netns per FRR client (the audited hosts): 10.0.100.1 ..., one veth
    ...        into the reflector's bridge; c01..cNN announce a few /32s, the first ``churners``
               of them also redistribute ``churn_prefixes`` static routes (the churn storm)

Why exabgp for the light clients (measured here, FRR 8.4.4 reflector, one process per kind):
exabgp 4.2 held 300 sessions in 43 MB PSS (about 65 KB per extra session over a 23 MB base;
it grows with the routes reflected to every client: 1.45 GB at 1,000 clients of 3 prefixes each,
tests/bench/bgp_scale.py);
bird 2.0.12 cannot hold two sessions to the same neighbor address in one process (its
neighbor lock, measured here), so it needs a process per session, 0.84 MB PSS each; gobgpd
3.10 keys its neighbors by the neighbor's address, so one process holds one session to the
reflector (osrg/gobgp issue 2893, "Cannot re-use peer address": the neighbour map is keyed
by the address string).  exabgp takes one ``neighbor`` block per session, each with its own
``router-id`` and ``local-address`` (Exa-Networks/exabgp wiki, Neighbor-Configuration).
exabgp 4.2 cannot originate EVPN routes; the FRR clients and every other exabgp client
negotiate l2vpn evpn with the reflector, so its summary has EVPN peers like a fabric's.

The overload, as in the incident: the reflector's bgpd is starved of CPU (cgroup v2
``cpu.max`` or v1 ``cpu.cfs_quota_us`` on bgpd alone, and bursts of SIGSTOP/SIGCONT that
stand for the scheduler not running it), the churners announce and withdraw their static
routes every few seconds (each toggle is reflected to every client), and some sessions run
3/9 s timers while the others run 10/30.  :class:`Timeline` samples the reflector every
second (sessions up, OutQ/InQ, drops, bgpd's CPU) and reads its log for hold timer expiries.

Everything is removed on exit (context manager), after a crash by :func:`cleanup`; the
integration test ``tests/integration/bgp_rr`` proves nothing is left (:func:`leftovers`).
Needs root, iproute2, FRR 8.4 and exabgp (Debian ``exabgp``).  Test code (not shipped).

    sudo .venv/bin/python tests/lab/rrlab.py cascade --clients 300 --frr-clients 40
    sudo .venv/bin/python tests/lab/rrlab.py down
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from typing import Dict, List, Optional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import frrlab  # noqa: E402
import procs  # noqa: E402

EXABGP = shutil.which("exabgp") or "/usr/sbin/exabgp"
RR_ADDR = "10.0.0.1"
DEFAULT_PREFIX = "nmrr-"
ASN = 65000
CGROUP_V2 = "/sys/fs/cgroup"
CGROUP_V1_CPU = "/sys/fs/cgroup/cpu"
WORK_BASE = "/tmp"


def light_addr(i: int) -> str:
    """Address of light client ``i`` (0-based): 10.0.1.1, ... 10.0.1.250, 10.0.2.1 ..."""
    return "10.0.%d.%d" % (1 + i // 250, 1 + i % 250)


def frr_addr(i: int) -> str:
    """Address of FRR client ``i`` (1-based): 10.0.100.1 ..."""
    return "10.0.%d.%d" % (100 + (i - 1) // 250, 1 + (i - 1) % 250)


def client_prefixes(kind: int, i: int, count: int) -> List[str]:
    """The /32s client ``i`` announces: light clients in 10.128.0.0/10, FRR clients in 10.192.0.0/10."""
    base = 128 if kind == 0 else 192
    return ["10.%d.%d.%d/32" % (base + i // 256, i % 256, k + 1) for k in range(count)]


def churn_prefixes(i: int, count: int) -> List[str]:
    """Churner ``i``'s static routes (10.64.0.0/10 + i): what it announces and withdraws in the storm."""
    return ["10.%d.%d.%d/32" % (64 + i, n // 250, 1 + n % 250) for n in range(count)]


class RRLab:
    """The reflector lab; use as a context manager (everything removed on exit)."""

    def __init__(self, prefix: str = DEFAULT_PREFIX, clients: int = 300, frr_clients: int = 40, churners: int = 2,
                 churn_count: int = 2000, short_hold_every: int = 3, prefixes_per_client: int = 3,
                 evpn: bool = True):
        if clients > 250 * 98 or frr_clients > 250 or churners > frr_clients or churners > 60:
            raise frrlab.LabError("too many clients for the address plan")
        self.prefix = prefix
        self.n_light = clients
        self.n_frr = frr_clients
        self.n_churners = churners
        self.churn_count = churn_count
        # every short_hold_every-th light client, and every FRR client, runs 3/9 s timers
        self.short_hold_every = short_hold_every
        self.per_client = prefixes_per_client
        self.evpn = evpn
        self.work = os.path.join(WORK_BASE, prefix + "lab")
        self.lab = frrlab.Lab(prefix)
        self.rr: Optional[frrlab.Router] = None
        self.clients: List[frrlab.Router] = []
        self.ex_ns = prefix + "ex"
        self.exabgp: Optional[subprocess.Popen] = None
        self.cgroup: Optional[str] = None
        self._churn_stop = threading.Event()
        self._churn_threads: List[threading.Thread] = []
        self.churn_toggles = 0

    # ------------------------------------------------------------ set up
    def __enter__(self) -> "RRLab":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def short_hold(self, i: int) -> bool:
        return self.short_hold_every > 0 and i % self.short_hold_every == 0

    def rr_conf(self) -> str:
        out = ["frr defaults traditional", "hostname rr",
               "log file %s/bgpd.log informational" % os.path.join(frrlab.RUN_FRR, self.prefix + "rr"),
               "log timestamp precision 3",
               "router bgp %d" % ASN, " bgp router-id %s" % RR_ADDR, " bgp cluster-id %s" % RR_ADDR,
               " no bgp default ipv4-unicast", " bgp log-neighbor-changes",
               " neighbor CLIENTS peer-group", " neighbor CLIENTS remote-as %d" % ASN,
               " neighbor CLIENTS timers 10 30", " neighbor CLIENTS timers connect 2"]
        for i in range(self.n_light):
            out.append(" neighbor %s peer-group CLIENTS" % light_addr(i))
            if self.short_hold(i):
                out.append(" neighbor %s timers 3 9" % light_addr(i))
        for i in range(1, self.n_frr + 1):
            out += [" neighbor %s peer-group CLIENTS" % frr_addr(i), " neighbor %s timers 3 9" % frr_addr(i)]
        out += [" address-family ipv4 unicast", "  neighbor CLIENTS activate",
                "  neighbor CLIENTS route-reflector-client", " exit-address-family"]
        if self.evpn:
            out += [" address-family l2vpn evpn", "  neighbor CLIENTS activate",
                    "  neighbor CLIENTS route-reflector-client", " exit-address-family"]
        return "\n".join(out + ["exit", ""])

    def frr_client_conf(self, i: int) -> str:
        me = frr_addr(i)
        out = ["frr defaults traditional", "hostname c%02d" % i]
        if i <= self.n_churners:
            out += ["ip route %s blackhole" % p for p in churn_prefixes(i, self.churn_count)]
        out += ["router bgp %d" % ASN, " bgp router-id %s" % me, " no bgp default ipv4-unicast",
                " no bgp network import-check", " bgp log-neighbor-changes",
                " neighbor %s remote-as %d" % (RR_ADDR, ASN), " neighbor %s timers 3 9" % RR_ADDR,
                " neighbor %s timers connect 2" % RR_ADDR,
                " address-family ipv4 unicast", "  neighbor %s activate" % RR_ADDR]
        out += ["  network %s" % p for p in client_prefixes(1, i, self.per_client)]
        out.append(" exit-address-family")
        if self.evpn:
            out += [" address-family l2vpn evpn", "  neighbor %s activate" % RR_ADDR, " exit-address-family"]
        return "\n".join(out + ["exit", ""])

    def exabgp_conf(self) -> str:
        out = []
        for i in range(self.n_light):
            me = light_addr(i)
            fams = "ipv4 unicast; l2vpn evpn;" if self.evpn and i % 2 else "ipv4 unicast;"
            out += ["neighbor %s {" % RR_ADDR, "  router-id %s;" % me, "  local-address %s;" % me,
                    "  local-as %d;" % ASN, "  peer-as %d;" % ASN, "  hold-time %d;" % (9 if self.short_hold(i) else 30),
                    "  family { %s }" % fams, "  static {"]
            out += ["    route %s next-hop %s;" % (p, me) for p in client_prefixes(0, i, self.per_client)]
            out += ["  }", "}"]
        return "\n".join(out) + "\n"

    def up(self, timeout: float = 300) -> float:
        """Build and start everything; wait until every session is Established.  Returns the seconds it took."""
        t0 = time.monotonic()
        cleanup(self.prefix)
        os.makedirs(self.work, exist_ok=True)
        self.rr = self.lab.router("rr", self.rr_conf())
        self.rr.exec("ip", "link", "add", "br0", "type", "bridge")
        self.rr.exec("ip", "addr", "add", RR_ADDR + "/16", "dev", "br0")
        self.rr.exec("ip", "link", "set", "br0", "up")
        frrlab.sh(["ip", "netns", "add", self.ex_ns])
        frrlab.sh(["ip", "-n", self.ex_ns, "link", "set", "lo", "up"])
        self._plug(self.ex_ns, "ex")
        if self.n_light:
            batch = "".join("address add %s/16 dev eth-rr\n" % light_addr(i) for i in range(self.n_light))
            frrlab.sh(["ip", "-n", self.ex_ns, "-batch", "-"], input=batch, timeout=60)
        for i in range(1, self.n_frr + 1):
            c = self.lab.router("c%02d" % i, self.frr_client_conf(i))
            self._plug(c.name, "c%02d" % i, frr_addr(i))
            self.clients.append(c)
        self.rr.start(timeout=60)
        for c in self.clients:
            c.start(wait=False)
        for c in self.clients:
            c.wait_up(timeout=120)
        if self.n_light:
            self._start_exabgp()
        self.wait_established(timeout=timeout)
        return time.monotonic() - t0

    def _plug(self, ns: str, tag: str, addr: Optional[str] = None) -> None:
        """A veth from namespace ``ns`` (eth-rr, ``addr``/16) into the reflector's bridge (port p-TAG)."""
        tmp = "%sp%s" % (self.prefix[:4], tag)
        sh_ok = frrlab.sh
        sh_ok(["ip", "link", "add", tmp, "type", "veth", "peer", "name", tmp + "x"])
        try:
            sh_ok(["ip", "link", "set", tmp, "netns", self.rr.name])
            sh_ok(["ip", "link", "set", tmp + "x", "netns", ns])
        except frrlab.LabError:
            frrlab.sh(["ip", "link", "del", tmp], check=False)
            raise
        sh_ok(["ip", "-n", self.rr.name, "link", "set", tmp, "name", "p-" + tag, "master", "br0", "up"])
        sh_ok(["ip", "-n", ns, "link", "set", tmp + "x", "name", "eth-rr"])
        if addr:
            sh_ok(["ip", "-n", ns, "addr", "add", addr + "/16", "dev", "eth-rr"])
        sh_ok(["ip", "-n", ns, "link", "set", "eth-rr", "up"])

    def _start_exabgp(self) -> None:
        conf = os.path.join(self.work, "exabgp.conf")
        with open(conf, "w") as fh:
            fh.write(self.exabgp_conf())
        env = dict(os.environ, exabgp_daemon_user="root", exabgp_daemon_daemonize="false",
                   exabgp_daemon_drop="false", exabgp_log_destination="stdout", exabgp_log_level="INFO",
                   exabgp_log_packets="false", exabgp_log_rib="false", exabgp_log_message="false",
                   exabgp_log_network="true", exabgp_api_cli="false")
        log = open(os.path.join(self.work, "exabgp.log"), "w")
        # ip netns exec execs exabgp: the Popen pid is exabgp's (no shell in between)
        self.exabgp = subprocess.Popen(["ip", "netns", "exec", self.ex_ns, EXABGP, conf], env=env, stdout=log,
                                       stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()

    # ------------------------------------------------------------ state
    def summary(self, timeout: float = 10) -> Dict:
        return json.loads(self.rr.vtysh("show bgp vrf all summary json", timeout=timeout))

    def established(self, timeout: float = 10) -> int:
        return len(established_peers(self.summary(timeout)))

    @property
    def sessions(self) -> int:
        return self.n_light + self.n_frr

    def wait_established(self, want: Optional[int] = None, timeout: float = 300) -> int:
        want = self.sessions if want is None else want
        deadline = time.monotonic() + timeout
        up = 0
        while time.monotonic() < deadline:
            try:
                up = self.established()
            except frrlab.LabError:
                up = 0
            if up >= want:
                return up
            time.sleep(1)
        raise frrlab.LabError("%d of %d sessions Established after %s s" % (up, want, timeout))

    def bgpd_pid(self, router: Optional[frrlab.Router] = None) -> int:
        """bgpd of the reflector (or ``router``), proved by its argv (``bgpd -N PATHSPACE``)."""
        router = router or self.rr
        pid = router.pid("bgpd")
        if pid is None or pid not in frrlab._pathspace_pids(router.name, only=("bgpd",)):
            raise frrlab.LabError("%s: no bgpd of this pathspace is running" % router.name)
        return pid

    def memory(self) -> Dict[str, float]:
        """Proportional set size (MB) of the reflector's bgpd, the exabgp process and all FRR clients."""
        clients = sum(_pss(pid) for c in self.clients for pid in frrlab._pathspace_pids(c.name))
        return {"reflector_bgpd": round(_pss(self.bgpd_pid()), 1),
                "reflector_frr": round(sum(_pss(pid) for pid in frrlab._pathspace_pids(self.rr.name)), 1),
                "exabgp": round(_pss(self.exabgp.pid), 1) if self.exabgp else 0.0,
                "frr_clients": round(clients, 1)}

    # ------------------------------------------------------------ the overload
    def limit_cpu(self, percent: float) -> str:
        """Put the reflector's bgpd alone in a cgroup limited to ``percent`` of one CPU; returns its path."""
        pid = self.bgpd_pid()
        quota = max(1000, int(percent * 1000))  # of a 100 ms period
        v2 = os.path.join(CGROUP_V2, "cgroup.controllers")
        if os.path.exists(v2) and "cpu" in open(v2).read().split():
            path = os.path.join(CGROUP_V2, self.prefix + "rr-bgpd")
            sub = os.path.join(CGROUP_V2, "cgroup.subtree_control")
            if "cpu" not in open(sub).read().split():
                with open(sub, "w") as fh:
                    fh.write("+cpu")
            os.makedirs(path, exist_ok=True)
            _write(os.path.join(path, "cpu.max"), "%d 100000" % quota)
        elif os.path.isdir(CGROUP_V1_CPU):
            path = os.path.join(CGROUP_V1_CPU, self.prefix + "rr-bgpd")
            os.makedirs(path, exist_ok=True)
            _write(os.path.join(path, "cpu.cfs_period_us"), "100000")
            _write(os.path.join(path, "cpu.cfs_quota_us"), str(quota))
        else:
            raise frrlab.LabError("no cgroup cpu controller (v2 cpu.max or v1 cpu) on this machine")
        _write(os.path.join(path, "cgroup.procs"), str(pid))
        self.cgroup = path
        return path

    def unlimit_cpu(self) -> None:
        """No CPU limit on bgpd any more (the cgroup stays until close)."""
        if not self.cgroup:
            return
        if self.cgroup.startswith(CGROUP_V1_CPU):
            _write(os.path.join(self.cgroup, "cpu.cfs_quota_us"), "-1")
        else:
            _write(os.path.join(self.cgroup, "cpu.max"), "max 100000")

    def freeze(self, seconds: float) -> None:
        """SIGSTOP the reflector's bgpd for ``seconds``, then SIGCONT (the scheduler did not run it)."""
        pid = self.bgpd_pid()
        os.kill(pid, signal.SIGSTOP)
        try:
            time.sleep(seconds)
        finally:
            os.kill(pid, signal.SIGCONT)

    def start_churn(self, period: float = 2.0) -> None:
        """The storm: each churner withdraws and re-announces its static routes every ``period`` seconds."""
        self._churn_stop.clear()

        def loop(c):
            on = False
            while not self._churn_stop.wait(period):
                on = not on
                cmd = "redistribute static" if on else "no redistribute static"
                try:
                    c.vtysh("configure terminal", "router bgp %d" % ASN, "address-family ipv4 unicast", cmd,
                            timeout=30, check=False)
                except frrlab.LabError:
                    continue  # the churner's bgpd is busy: the next toggle will do
                self.churn_toggles += 1
        self._churn_threads = [threading.Thread(target=loop, args=(c,), name="churn-" + c.name, daemon=True)
                               for c in self.clients[:self.n_churners]]
        for t in self._churn_threads:
            t.start()

    def stop_churn(self) -> None:
        """No more toggles; the churners' static routes stay withdrawn."""
        self._churn_stop.set()
        for t in self._churn_threads:
            t.join(60)
        self._churn_threads = []
        for c in self.clients[:self.n_churners]:
            c.vtysh("configure terminal", "router bgp %d" % ASN, "address-family ipv4 unicast",
                    "no redistribute static", timeout=60, check=False)

    # ------------------------------------------------------------ tear down
    def close(self) -> None:
        self.stop_churn()
        if self.exabgp is not None and self.exabgp.poll() is None:
            try:
                os.killpg(self.exabgp.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.exabgp.wait(10)
        cleanup(self.prefix)


class Timeline:
    """The reflector, once a second, in a thread: sessions up, queues, drops, bgpd's CPU; events from its log."""

    def __init__(self, lab: RRLab, period: float = 1.0):
        self.lab = lab
        self.period = period
        self.samples: List[Dict] = []
        self.t0 = time.monotonic()
        self.wall0 = time.time()
        self.marks: List[Dict] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="timeline", daemon=True)

    def __enter__(self) -> "Timeline":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(30)

    def mark(self, what: str) -> None:
        """Note a step of the scenario (starve, churn, freeze...) on the timeline."""
        self.marks.append({"t": round(time.monotonic() - self.t0, 1), "what": what})

    def _cpu(self, pid: int) -> Optional[float]:
        try:
            with open("/proc/%d/stat" % pid) as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            return None

    def _run(self) -> None:
        last = None
        while not self._stop.is_set():
            start = time.monotonic()
            row: Dict = {"t": round(start - self.t0, 1)}
            try:
                pid = self.lab.bgpd_pid()
            except frrlab.LabError:
                pid = None
            cpu = self._cpu(pid) if pid else None
            if cpu is not None and last is not None and last[0] == pid:
                row["cpu_pct"] = round(100 * (cpu - last[1]) / max(start - last[2], 0.001))
            last = (pid, cpu, start) if cpu is not None else None
            try:
                peers = ((self.lab.summary(timeout=max(self.period * 5, 5)).get("default") or {})
                         .get("ipv4Unicast") or {}).get("peers") or {}
                row.update(up=sum(1 for v in peers.values() if v.get("state") == "Established"),
                           outq=sum(int(v.get("outq") or 0) for v in peers.values()),
                           inq=sum(int(v.get("inq") or 0) for v in peers.values()),
                           dropped=sum(int(v.get("connectionsDropped") or 0) for v in peers.values()))
            except (frrlab.LabError, ValueError):
                row["no_answer"] = True  # vtysh had no answer: bgpd is stopped or starved
            row["took"] = round(time.monotonic() - start, 2)
            self.samples.append(row)
            self._stop.wait(max(0.0, self.period - (time.monotonic() - start)))

    def log_events(self) -> List[Dict]:
        """Hold timer expiries and session downs from the reflector's bgpd log, with their time on this timeline."""
        path = os.path.join(frrlab.RUN_FRR, self.lab.rr.name, "bgpd.log")
        events = []
        try:
            text = open(path, errors="replace").read()
        except OSError:
            return events
        for line in text.splitlines():
            m = re.match(r"^(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d(?:\.\d+)?) ", line)
            if not m:
                continue
            stamp = time.mktime(time.strptime(m.group(1).split(".")[0], "%Y/%m/%d %H:%M:%S"))
            stamp += float("0." + m.group(1).split(".")[1]) if "." in m.group(1) else 0.0
            t = round(stamp - self.wall0, 1)
            if "Hold Timer Expired" in line or "Hold timer expired" in line:
                kind = "hold_sent" if "sent to" in line else "hold_received" if "received from" in line else "hold"
            elif "%ADJCHANGE" in line and " Down " in line:
                kind = "down"
            elif "%ADJCHANGE" in line and " Up" in line:
                kind = "up"
            else:
                continue
            peer = re.search(r"neighbor (\S+?)[( ]", line)
            events.append({"t": t, "kind": kind, "peer": peer.group(1) if peer else None})
        return events

    def waves(self, kind: str = "down", gap: float = 5.0) -> List[Dict]:
        """Events of ``kind`` grouped into waves (a new wave after ``gap`` quiet seconds)."""
        out: List[Dict] = []
        for ev in sorted((e for e in self.log_events() if e["kind"] == kind and e["t"] >= 0), key=lambda e: e["t"]):
            if out and ev["t"] - out[-1]["last"] <= gap:
                out[-1]["last"] = ev["t"]
                out[-1]["count"] += 1
            else:
                out.append({"first": ev["t"], "last": ev["t"], "count": 1})
        return out


def established_peers(summary: Dict) -> Dict[str, Dict]:
    """Peer -> its ipv4Unicast summary entry, for the Established ones (default VRF)."""
    peers = ((summary.get("default") or {}).get("ipv4Unicast") or {}).get("peers") or {}
    return {p: v for p, v in peers.items() if v.get("state") == "Established"}


def _pss(pid: int) -> float:
    """Proportional set size of ``pid`` in MB (shared pages split between their users), 0 when unknown."""
    try:
        with open("/proc/%d/smaps_rollup" % pid) as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) / 1024.0
    except (OSError, ValueError, IndexError):
        pass
    return 0.0


def _write(path: str, text: str) -> None:
    with open(path, "w") as fh:
        fh.write(text)


def _cgroups(prefix: str) -> List[str]:
    out = []
    for base in (CGROUP_V2, CGROUP_V1_CPU):
        if os.path.isdir(base):
            out += [os.path.join(base, n) for n in os.listdir(base) if n.startswith(prefix)
                    and os.path.isdir(os.path.join(base, n))]
    return out


def _exabgp_pids(prefix: str) -> List[int]:
    """exabgp processes started by this lab (their configuration is under the lab's work directory)."""
    work = os.path.join(WORK_BASE, prefix + "lab").encode()
    return [pid for pid, argv in procs.processes()
            if any(b"exabgp" in a for a in argv[:3]) and any(a.startswith(work) for a in argv)]


def cleanup(prefix: str) -> None:
    """Remove everything a lab with this prefix created: processes, namespaces, FRR dirs, cgroups, work dir."""
    for pid in _exabgp_pids(prefix):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    frrlab.cleanup_stale(prefix)
    for path in _cgroups(prefix):
        for _attempt in range(50):
            try:
                os.rmdir(path)
                break
            except OSError:
                time.sleep(0.1)  # the killed bgpd leaves the cgroup a moment later
    shutil.rmtree(os.path.join(WORK_BASE, prefix + "lab"), ignore_errors=True)


def leftovers(prefix: str) -> List[str]:
    """What a lab with this prefix left behind (empty: nothing)."""
    left = []
    out = frrlab.sh(["ip", "netns", "list"], check=False)
    left += ["netns " + line.split()[0] for line in out.splitlines() if line.startswith(prefix)]
    for base in (frrlab.ETC_FRR, frrlab.RUN_FRR):
        if os.path.isdir(base):
            left += [os.path.join(base, n) for n in os.listdir(base) if n.startswith(prefix)]
    left += ["cgroup " + p for p in _cgroups(prefix)]
    left += ["pid %d (exabgp)" % p for p in _exabgp_pids(prefix)]
    for pid, argv in procs.processes():
        if any(a == prefix.encode() or a.startswith(prefix.encode()) for a in argv[1:]) and pid != os.getpid():
            left.append("pid %d %s" % (pid, b" ".join(argv).decode(errors="replace")[:100]))
    if os.path.exists(os.path.join(WORK_BASE, prefix + "lab")):
        left.append(os.path.join(WORK_BASE, prefix + "lab"))
    out = frrlab.sh(["ip", "-o", "link", "show"], check=False)
    left += ["link " + m for m in re.findall(r"^\d+: (%sp\S+?)[@:]" % re.escape(prefix[:4]), out, re.M)]
    return left


def overload(lab: RRLab, timeline: Timeline, cpu_percent: float = 3, churn_period: float = 2.0,
             freezes: int = 2, freeze_seconds: float = 12, gap: float = 20) -> None:
    """Incident 002's overload, step by step on the timeline: churn, a CPU limit on bgpd, freezes.

    Leaves the churn running and the limit on (the reflector is still overloaded when the
    preflight comes); :meth:`RRLab.relieve` ends both.
    """
    timeline.mark("churn storm: %d churners x %d routes, toggled every %.0f s"
                  % (lab.n_churners, lab.churn_count, churn_period))
    lab.start_churn(churn_period)
    time.sleep(5)
    timeline.mark("bgpd limited to %.0f%% of a CPU (%s)" % (cpu_percent, lab.limit_cpu(cpu_percent)))
    for dummy in range(freezes):
        time.sleep(gap)
        timeline.mark("bgpd stopped for %.0f s (SIGSTOP, then SIGCONT)" % freeze_seconds)
        lab.freeze(freeze_seconds)


def relieve(lab: RRLab, timeline: Optional[Timeline] = None) -> None:
    """The operator's fix: the churn stops, bgpd gets its CPU back."""
    if timeline:
        timeline.mark("churn stopped, CPU limit lifted")
    lab.stop_churn()
    lab.unlimit_cpu()


def report(timeline: Timeline) -> str:
    """The cascade as text: the scenario's steps, the samples, the waves of drops and hold timer expiries."""
    lines = ["steps:"] + ["  t=%6.1f s  %s" % (m["t"], m["what"]) for m in timeline.marks]
    lines.append("samples (t s: sessions up, OutQ, InQ, drops so far, bgpd CPU %, vtysh answer s):")
    for r in timeline.samples:
        if r.get("no_answer"):
            lines.append("  t=%6.1f  no answer from vtysh within %.0f s" % (r["t"], r["took"]))
        else:
            lines.append("  t=%6.1f  up %4d  outq %6d  inq %5d  dropped %5d  cpu %s  (%.1f s)" % (
                r["t"], r["up"], r["outq"], r["inq"], r["dropped"], r.get("cpu_pct", "-"), r["took"]))
    for kind, what in (("down", "sessions down"), ("hold_sent", "hold timer expired (reflector's timer)"),
                       ("hold_received", "hold timer expired (client's timer, NOTIFICATION received)"),
                       ("up", "sessions up")):
        waves = timeline.waves(kind)
        lines.append("%s: %d in %d wave(s)%s" % (what, sum(w["count"] for w in waves), len(waves), "".join(
            "\n  t=%.1f..%.1f s: %d" % (w["first"], w["last"], w["count"]) for w in waves)))
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("cascade", help="build the lab, overload the reflector, print the timeline, tear down")
    c.add_argument("--clients", type=int, default=300, help="light (exabgp) clients")
    c.add_argument("--frr-clients", type=int, default=40)
    c.add_argument("--churners", type=int, default=4)
    c.add_argument("--churn-routes", type=int, default=5000)
    c.add_argument("--cpu", type=float, default=3, help="bgpd's CPU limit, percent of one CPU")
    c.add_argument("--recover", type=float, default=120, help="seconds to watch after the relief")
    d = sub.add_parser("down", help="remove what a killed lab left behind")
    d.add_argument("--prefix", default="nmrr-")
    args = ap.parse_args(argv)
    if args.cmd == "down":
        cleanup(args.prefix)
        print("left: %s" % (leftovers(args.prefix) or "nothing"))
        return 0
    with RRLab(clients=args.clients, frr_clients=args.frr_clients, churners=args.churners,
               churn_count=args.churn_routes) as lab:
        print("up in %.0f s: %d sessions" % (lab.up(), lab.sessions), flush=True)
        with Timeline(lab, period=2.0) as tl:
            overload(lab, tl, cpu_percent=args.cpu)
            time.sleep(10)
            relieve(lab, tl)
            time.sleep(args.recover)
        print(report(tl))
    print("left: %s" % (leftovers("nmrr-") or "nothing"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
