# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Real FRR routers for tests: one network namespace + one FRR pathspace each.

FRR 8.4 runs several instances side by side with *pathspaces* (``-N NAME``):
configuration under ``/etc/frr/NAME/``, sockets and pid files under
``/var/run/frr/NAME/``.  Each :class:`Router` here is a namespace and a
pathspace of the same name, started with ``frrinit.sh start NAME`` inside the
namespace (watchfrr and the daemons, about 0.2 s), driven with
``vtysh -N NAME``.  See shared/LAB_NOTES.md "FRR 8.4.4 without systemd".

Typical use (pytest)::

    from tests.lab.frrlab import Lab   # or: sys.path + "import frrlab"

    with Lab("nmfrr-") as lab:
        r1 = lab.router("r1", FRR_CONF_1, daemons=["bgpd"])
        r2 = lab.router("r2", FRR_CONF_2, daemons=["bgpd"])
        lab.link(r1, "eth-r2", "192.0.2.1/30", r2, "eth-r1", "192.0.2.2/30")
        lab.start()                      # all routers, waits for vtysh
        r1.wait_bgp_established("192.0.2.2", timeout=60)
        print(r1.vtysh("show bgp summary"))
        r1.kill("bgpd")                  # SIGKILL; watchfrr restarts it
    # everything is gone here, even after an exception: daemons killed,
    # namespaces deleted, /etc/frr/NAME and /var/run/frr/NAME removed.

Every name created starts with the lab prefix (``nmfrr-``, ``nmbgp-``...):
routers are ``PREFIX + name`` (netns and pathspace), veths are renamed inside
their namespaces.  :func:`cleanup_stale` removes what a killed test run left
behind, for one prefix only.

Routers of another FRR version run the same way inside a container of that
Debian release (:mod:`frrhost`): ``Lab(prefix, machine=frrhost.machine("10.3"))``.
Every command, file and process of a router goes through its machine.

Needs root, iproute2 and the Debian ``frr`` package.  Test code only (not
shipped to managed hosts), so it uses subprocess directly.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import signal
import subprocess
import time
from typing import Dict, Iterable, List, Optional, Sequence

import frrhost
from frrhost import LabError, Machine

FRR_LIB = "/usr/lib/frr"
FRRINIT = os.path.join(FRR_LIB, "frrinit.sh")
ETC_FRR = "/etc/frr"
RUN_FRR = "/var/run/frr"
VTYSH = shutil.which("vtysh") or "/usr/bin/vtysh"

# Daemons FRR 8.4 and 10.x know in /etc/frr/daemons (zebra and staticd always run, and mgmtd from FRR 9 on).
KNOWN_DAEMONS = ("bgpd", "ospfd", "ospf6d", "ripd", "ripngd", "isisd", "pimd", "pim6d", "ldpd", "nhrpd",
                 "eigrpd", "babeld", "sharpd", "pbrd", "bfdd", "fabricd", "vrrpd", "pathd")
ALWAYS_DAEMONS = ("zebra", "staticd")
MGMTD = "mgmtd"

_LIVE: Dict[str, "Router"] = {}


def missing_components() -> List[str]:
    """What this machine lacks to run a lab (empty list: good to go)."""
    missing = []
    if os.geteuid() != 0:
        missing.append("root")
    for path in (FRRINIT, os.path.join(FRR_LIB, "zebra"), os.path.join(FRR_LIB, "watchfrr"), VTYSH):
        if not os.access(path, os.X_OK):
            missing.append(path)
    if shutil.which("ip") is None:
        missing.append("ip (iproute2)")
    return missing


def sh(argv: Sequence[str], timeout: float = 30, check: bool = True, input: Optional[str] = None) -> str:
    """Run argv (no shell) on this machine and return stdout; raise LabError on failure or timeout."""
    return frrhost.local().sh(argv, timeout=timeout, check=check, input=input)


_frr_ids = frrhost.frr_ids


def daemons_file(daemons: Iterable[str], watchfrr_options: str = "", mgmtd: bool = False) -> str:
    """Content of a pathspace's ``daemons`` file enabling exactly ``daemons`` (``mgmtd``: FRR 9 and later)."""
    daemons = set(daemons)
    unknown = daemons - set(KNOWN_DAEMONS) - set(ALWAYS_DAEMONS)
    if unknown:
        raise LabError("unknown FRR daemon(s): %s" % ", ".join(sorted(unknown)))
    lines = ["# netmedic lab router"]
    for d in KNOWN_DAEMONS:
        lines.append("%s=%s" % (d, "yes" if d in daemons else "no"))
    lines.append("vtysh_enable=yes")
    lines.append('zebra_options="-A 127.0.0.1 -s 90000000"')
    for d in ((MGMTD,) if mgmtd else ()) + KNOWN_DAEMONS + ("staticd",):
        lines.append('%s_options="-A 127.0.0.1"' % d)
    lines.append('watchfrr_options="%s"' % watchfrr_options)
    return "\n".join(lines) + "\n"


class Router:
    """One FRR instance: network namespace ``name`` and pathspace ``name``, on ``machine`` (default this host).

    Create through :meth:`Lab.router` (which names and tears it down), or
    directly and call :meth:`teardown` yourself.
    """

    def __init__(self, name: str, frr_conf: str = "", daemons: Iterable[str] = ("bgpd",),
                 watchfrr_options: str = "", create: bool = True, machine: Optional[Machine] = None):
        if not re.match(r"^[a-z][a-z0-9-]{1,30}$", name):
            raise LabError("router name %r: use lowercase letters, digits and '-' (it names a netns)" % name)
        self.name = name
        self.machine = machine or frrhost.local()
        self.daemons = list(daemons)
        self.watchfrr_options = watchfrr_options
        self.confdir = os.path.join(ETC_FRR, name)
        self.rundir = os.path.join(RUN_FRR, name)
        self.conf_path = os.path.join(self.confdir, "frr.conf")
        self.daemons_path = os.path.join(self.confdir, "daemons")
        self.mgmtd = self.machine.has_daemon(MGMTD)
        if create:
            self._create(frr_conf)

    @property
    def version(self) -> str:
        """The FRR version this router runs ("8.4.4", "10.3", ...)."""
        return self.machine.frr_version()

    # -- setup ---------------------------------------------------------
    def _create(self, frr_conf: str) -> None:
        _LIVE[self.key] = self
        m = self.machine
        if self.name in m.netns_list() or m.exists(self.confdir):
            teardown_router(self.name, m)
        m.sh(["ip", "netns", "add", self.name])
        m.sh(["ip", "-n", self.name, "link", "set", "lo", "up"])
        m.make_dir(self.confdir, 0o750)
        self.write_file("daemons", self._daemons_text())
        self.write_file("vtysh.conf", "service integrated-vtysh-config\n")
        self.write_conf(frr_conf)

    @property
    def key(self) -> str:
        return "%s/%s" % (self.machine.name, self.name)

    def _daemons_text(self) -> str:
        return daemons_file(self.daemons, self.watchfrr_options, mgmtd=self.mgmtd)

    def write_file(self, name: str, content: str) -> str:
        """Write ``/etc/frr/NAME/<name>`` owned frr:frr, mode 0640."""
        path = os.path.join(self.confdir, name)
        self.machine.write_file(path, content, 0o640)
        return path

    def read_file(self, name_or_path: str) -> str:
        """A file of this router's confdir (or any path on its machine)."""
        return self.machine.read_file(os.path.join(self.confdir, name_or_path))

    def write_conf(self, text: str) -> str:
        """Replace this router's frr.conf (read by the next start / ``vtysh -b``)."""
        return self.write_file("frr.conf", text if text.endswith("\n") or not text else text + "\n")

    def set_watchfrr_options(self, options: str) -> None:
        """E.g. ``-T 5`` (restart timeout); takes effect at the next start."""
        self.watchfrr_options = options
        self.write_file("daemons", self._daemons_text())

    # -- processes -----------------------------------------------------
    def start(self, wait: bool = True, timeout: float = 30) -> None:
        """Start watchfrr and the daemons in the namespace (frrinit.sh)."""
        self.machine.start_daemons(["ip", "netns", "exec", self.name, FRRINIT, "start", self.name],
                                   "/tmp/frrlab-%s.start.log" % self.name, timeout=timeout)
        if wait:
            self.wait_up(timeout=timeout)

    def stop(self, timeout: float = 30) -> None:
        """Stop watchfrr and all daemons cleanly (frrinit.sh stop)."""
        self.machine.sh(["ip", "netns", "exec", self.name, FRRINIT, "stop", self.name], timeout=timeout, check=False)

    def pid(self, daemon: str) -> Optional[int]:
        """PID of a running daemon from its pid file, or None."""
        return self.pids([daemon])[daemon]

    def pids(self, daemons: Sequence[str]) -> Dict[str, Optional[int]]:
        """{daemon: pid or None (not running)} from the pid files, in one look."""
        m = self.machine
        out: Dict[str, Optional[int]] = {}
        if isinstance(m, frrhost.LocalMachine):
            for d in daemons:
                try:
                    pid = int(m.read_file(os.path.join(self.rundir, "%s.pid" % d)).strip())
                except (OSError, ValueError):
                    pid = None
                out[d] = pid if pid and m.pid_alive(pid) else None
            return out
        # one command for all: "<daemon> <pid> <stat>" a line
        script = ('for d in "$@"; do p=$(cat "%s/$d.pid" 2>/dev/null); '
                  's=$( [ -n "$p" ] && ps -o stat= -p "$p" 2>/dev/null ); echo "$d ${p:--} ${s:--}"; done' % self.rundir)
        for line in m.sh(["sh", "-c", script, "pids"] + list(daemons), check=False).splitlines():
            words = line.split()
            if len(words) == 3:
                alive = words[1].isdigit() and words[2] != "-" and not words[2].startswith("Z")
                out[words[0]] = int(words[1]) if alive else None
        for d in daemons:
            out.setdefault(d, None)
        return out

    def running(self, daemon: str) -> bool:
        return self.pid(daemon) is not None

    def kill(self, daemon: str, sig: int = signal.SIGKILL) -> int:
        """Send ``sig`` to one daemon (watchfrr will restart it).  Returns the pid."""
        pid = self.pid(daemon)
        if pid is None:
            raise LabError("%s: %s is not running" % (self.name, daemon))
        self.machine.kill(pid, sig)
        return pid

    def expected_daemons(self) -> List[str]:
        return (["zebra"] + ([MGMTD] if self.mgmtd else []) + [d for d in KNOWN_DAEMONS if d in self.daemons]
                + ["staticd"])

    def wait_up(self, daemons: Optional[Iterable[str]] = None, timeout: float = 30) -> None:
        """Wait until every daemon runs and answers vtysh."""
        daemons = list(daemons or self.expected_daemons())
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            down = [d for d, pid in self.pids(daemons).items() if pid is None]
            if not down:
                try:
                    self.vtysh("show version", timeout=5)
                    if not self.mgmtd or self.config_unlocked():
                        return
                    last = "mgmtd still commits the boot config (candidate datastore locked)"
                except LabError as exc:
                    last = str(exc)
            else:
                last = "not running: " + ", ".join(down)
            time.sleep(0.2)
        raise LabError("%s: daemons not up within %s s (%s)" % (self.name, timeout, last))

    def config_unlocked(self) -> bool:
        """vtysh can enter configuration mode: on FRR 10 mgmtd holds its candidate datastore while it commits
        a config push (the boot's ``vtysh -b``), and ``configure`` then fails with "could not lock candidate DS"."""
        out = self.machine.run([VTYSH, "-N", self.name, "-c", "configure terminal"], timeout=10, check=False)
        return out.returncode == 0 and "lock" not in (out.stdout + out.stderr).lower()

    def wait_restarted(self, daemon: str, old_pid: int, timeout: float = 120) -> int:
        """Wait until watchfrr has started ``daemon`` again with a new pid."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid = self.pid(daemon)
            if pid and pid != old_pid:
                return pid
            time.sleep(0.2)
        raise LabError("%s: %s not restarted within %s s" % (self.name, daemon, timeout))

    # -- vtysh ---------------------------------------------------------
    def vtysh(self, *commands: str, timeout: float = 60, check: bool = True) -> str:
        """Run vtysh commands (``-c`` each, in one process) and return stdout."""
        argv = [VTYSH, "-N", self.name]
        for c in commands:
            argv += ["-c", c]
        return self.machine.sh(argv, timeout=timeout, check=check)

    def configure(self, *lines: str, timeout: float = 60) -> str:
        """``configure terminal`` then ``lines`` in one vtysh (stops at the first error)."""
        return self.vtysh("configure terminal", *lines, timeout=timeout)

    def running_config(self, timeout: float = 60) -> str:
        return self.vtysh("show running-config", timeout=timeout)

    def load_file(self, path: str, timeout: float = 600) -> subprocess.CompletedProcess:
        """``vtysh -f path`` (apply a config file; does not stop at errors)."""
        return self.machine.run([VTYSH, "-N", self.name, "-f", path], timeout=timeout, check=False)

    def boot_config(self, timeout: float = 600) -> subprocess.CompletedProcess:
        """``vtysh -b``: push /etc/frr/NAME/frr.conf as watchfrr does after a restart."""
        return self.machine.run([VTYSH, "-N", self.name, "-b"], timeout=timeout, check=False)

    def bgp_peer_state(self, peer: str) -> str:
        out = self.vtysh("show bgp neighbors %s" % peer, check=False)
        m = re.search(r"BGP state = (\w+)", out)
        return m.group(1) if m else "Unknown"

    def wait_bgp_established(self, peer: Optional[str] = None, timeout: float = 60) -> None:
        """Wait until ``peer`` (or every configured peer) is Established."""
        deadline = time.monotonic() + timeout
        states: Dict[str, str] = {}
        while time.monotonic() < deadline:
            if peer:
                states = {peer: self.bgp_peer_state(peer)}
            else:
                out = self.vtysh("show bgp neighbors", check=False)
                states = dict(re.findall(r"^BGP neighbor is (\S+?),.*?BGP state = (\w+)", out, re.M | re.S))
            if states and all(s == "Established" for s in states.values()):
                return
            time.sleep(0.5)
        raise LabError("%s: BGP not Established within %s s: %s" % (self.name, timeout, states))

    # -- namespace -----------------------------------------------------
    def exec(self, *argv: str, timeout: float = 30, check: bool = True) -> str:
        """Run a command inside the router's namespace."""
        return self.machine.sh(["ip", "netns", "exec", self.name] + list(argv), timeout=timeout, check=check)

    def teardown(self) -> None:
        teardown_router(self.name, self.machine)
        _LIVE.pop(self.key, None)

    def __repr__(self):
        return "Router(%r on %s)" % (self.name, self.machine.name)


def _alive(pid: int) -> bool:
    return frrhost.local().pid_alive(pid)


def _pathspace_pids(name: str, only: Sequence[str] = (), machine: Optional[Machine] = None) -> List[int]:
    """PIDs of FRR processes started for pathspace ``name`` (``-N name`` in argv)."""
    pids = []
    wanted = only or ALWAYS_DAEMONS + (MGMTD,) + KNOWN_DAEMONS + ("watchfrr", "vtysh", "watchfrr.sh")
    for pid, argv in (machine or frrhost.local()).processes():
        for i, a in enumerate(argv[:-1]):
            if a == "-N" and argv[i + 1] == name:
                if os.path.basename(argv[0]) in wanted:
                    pids.append(pid)
                break
    return pids


def teardown_router(name: str, machine: Optional[Machine] = None) -> None:
    """Remove everything of one router, whatever state it is in.  Never raises."""
    try:
        _teardown_router(name, machine or frrhost.local())
    except LabError:
        pass   # the machine itself is gone (a removed container took the router with it)


def _teardown_router(name: str, m: Machine) -> None:
    # watchfrr first, so that it does not restart what we kill next.
    for pid in _pathspace_pids(name, only=("watchfrr", "watchfrr.sh"), machine=m):
        m.kill(pid, signal.SIGKILL)
    for _attempt in range(5):
        pids = _pathspace_pids(name, machine=m)
        has_ns = name in m.netns_list()
        if has_ns:
            out = m.sh(["ip", "netns", "pids", name], check=False, timeout=10)
            pids += [int(p) for p in out.split() if p.isdigit()]
        if not pids:
            break
        for pid in set(pids):
            m.kill(pid, signal.SIGKILL)
        time.sleep(0.2)
    if name in m.netns_list():
        m.sh(["ip", "netns", "del", name], check=False, timeout=10)
    if name:
        for d in (os.path.join(ETC_FRR, name), os.path.join(RUN_FRR, name)):
            m.remove_tree(d)


def cleanup_stale(prefix: str, machine: Optional[Machine] = None) -> List[str]:
    """Tear down routers a crashed run left behind (names starting with ``prefix``)."""
    if not prefix or len(prefix) < 3:
        raise LabError("cleanup_stale needs a real prefix such as 'nmfrr-'")
    m = machine or frrhost.local()
    names = {n for n in m.netns_list() if n.startswith(prefix)}
    for base in (ETC_FRR, RUN_FRR):
        names.update(n for n in m.listdir(base) if n.startswith(prefix))
    for n in sorted(names):
        teardown_router(n, m)
    return sorted(names)


class Lab:
    """A set of routers and links, all removed on exit (context manager).

    ``prefix`` names everything: router ``r1`` becomes netns/pathspace
    ``PREFIX + 'r1'`` (for example ``nmfrr-r1``).  ``machine``: where the
    routers run (default this host; ``frrhost.machine("10.3")`` for FRR 10.3).
    """

    def __init__(self, prefix: str = "nmfrr-", machine: Optional[Machine] = None):
        if not re.match(r"^[a-z][a-z0-9]{1,10}-$", prefix):
            raise LabError("lab prefix %r: like 'nmfrr-' (letters/digits, ending in '-')" % prefix)
        self.prefix = prefix
        self.machine = machine or frrhost.local()
        self.routers: Dict[str, Router] = {}
        self._links = 0

    @property
    def version(self) -> str:
        return self.machine.frr_version()

    def __enter__(self) -> "Lab":
        return self

    def __exit__(self, *exc) -> None:
        self.teardown()

    def router(self, name: str, frr_conf: str = "", daemons: Iterable[str] = ("bgpd",),
               watchfrr_options: str = "") -> Router:
        full = name if name.startswith(self.prefix) else self.prefix + name
        r = Router(full, frr_conf, daemons=daemons, watchfrr_options=watchfrr_options, machine=self.machine)
        self.routers[name] = r
        return r

    def link(self, a: Router, a_if: str, a_addr: Optional[str], b: Router, b_if: str,
             b_addr: Optional[str]) -> None:
        """A veth pair between two routers: ``a_if`` in a, ``b_if`` in b, both up."""
        for ifname in (a_if, b_if):
            if len(ifname) > 15:
                raise LabError("interface name %r is longer than 15 characters" % ifname)
        self._links += 1
        tmp_a = "%sv%d%da" % (self.prefix[:5], os.getpid() % 1000, self._links)
        tmp_b = tmp_a[:-1] + "b"
        sh = self.machine.sh
        sh(["ip", "link", "add", tmp_a, "type", "veth", "peer", "name", tmp_b])
        try:
            for tmp, r, ifname, addr in ((tmp_a, a, a_if, a_addr), (tmp_b, b, b_if, b_addr)):
                sh(["ip", "link", "set", tmp, "netns", r.name])
                sh(["ip", "-n", r.name, "link", "set", tmp, "name", ifname])
                if addr:
                    sh(["ip", "-n", r.name, "addr", "add", addr, "dev", ifname])
                sh(["ip", "-n", r.name, "link", "set", ifname, "up"])
        except LabError:
            sh(["ip", "link", "del", tmp_a], check=False)
            raise

    def dummy(self, r: Router, ifname: str, addr: Optional[str] = None) -> None:
        """A local interface that is up and has no peer router.

        The lab kernel may lack the ``dummy`` driver, so this is one end of a
        veth pair whose other end (``<ifname>p``, at most 15 characters) stays
        in the same namespace.
        """
        if len(ifname) > 14:
            raise LabError("interface name %r is longer than 14 characters" % ifname)
        sh = self.machine.sh
        sh(["ip", "-n", r.name, "link", "add", ifname, "type", "veth", "peer", "name", ifname + "p"])
        sh(["ip", "-n", r.name, "link", "set", ifname + "p", "up"])
        if addr:
            sh(["ip", "-n", r.name, "addr", "add", addr, "dev", ifname])
        sh(["ip", "-n", r.name, "link", "set", ifname, "up"])

    def start(self, timeout: float = 30) -> None:
        for r in self.routers.values():
            r.start(wait=False)
        for r in self.routers.values():
            r.wait_up(timeout=timeout)

    def teardown(self) -> None:
        for r in list(self.routers.values())[::-1]:
            r.teardown()
        self.routers.clear()


@atexit.register
def _teardown_all() -> None:  # pragma: no cover - last line of defence
    for key in list(_LIVE):
        r = _LIVE.pop(key, None)
        if r is not None:
            teardown_router(r.name, r.machine)
