# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where a tinc network stands on this host: config, interface, bridge, daemon.

:func:`discover` answers, for one tinc network name (``NET``):

- its configuration directory (``/etc/tinc/NET``) and what ``tinc.conf`` says
  (``Interface``, ``Mode``, ``DeviceType``, ``ConnectTo``);
- its interface (``Interface =``, else the network name) and the bridge that
  interface is enslaved to (``ip -j -d link``);
- the daemon's pid (pidfile ``/run/tinc.NET.pid`` or ``/var/run/...``, or the
  systemd unit's ``MainPID``), whether it runs, its command line and log file;
- how it is managed: the systemd unit ``tinc@NET`` when that unit is active,
  else a plain ``tincd``.

Every path (config directory, pidfile) and the ``tincd`` command can be given
explicitly, so tests can run real tinc daemons in network namespaces.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import dataclasses
import os
import re
import stat
from typing import Any, Dict, List, Optional, Sequence, Union

from ansible_collections.netmedic.network.plugins.module_utils.core import json_input
from ansible_collections.netmedic.network.plugins.module_utils.core import procfs
from ansible_collections.netmedic.network.plugins.module_utils.core.procfs import argv_option
from ansible_collections.netmedic.network.plugins.module_utils.core.runner import CommandError, Runner
from ansible_collections.netmedic.network.plugins.module_utils.core.sysfs import Sysfs

NETNAME_RE = re.compile(r"^[A-Za-z0-9_]{1,64}$")
# Linux refuses '/', ':' and whitespace in interface names (dev_valid_name); control characters
# (a NUL cannot even be passed to `ip`) and more than IFNAMSIZ-1 = 15 bytes are refused here too.
IFNAME_RE = re.compile(r"^[^\s/:\x00-\x1f\x7f]{1,15}$")
PIDFILE_DIRS = ("run", "var/run")


class TincStateError(Exception):
    """The tinc network cannot be inspected as asked; ``str()`` is for operators."""


def parse_tinc_conf(text: str) -> Dict[str, List[str]]:
    """``tinc.conf`` / host file as ``{lower-case key: [values...]}``.

    tinc keys are case-insensitive, ``Key = Value`` (``=`` optional), ``#``
    starts a comment.  A host file's PEM key block is skipped.
    """
    conf: Dict[str, List[str]] = {}
    in_pem = False
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("-----BEGIN"):
            in_pem = True
            continue
        if line.startswith("-----END"):
            in_pem = False
            continue
        if in_pem or not line or line.startswith("#"):
            continue
        m = re.match(r"^([A-Za-z0-9_]+)\s*(?:=\s*|\s+)(.*?)\s*$", line)
        if not m or not m.group(2):
            continue
        conf.setdefault(m.group(1).lower(), []).append(m.group(2))
    return conf


def conf_value(conf: Dict[str, List[str]], key: str, default: Optional[str] = None) -> Optional[str]:
    values = conf.get(key.lower())
    return values[0] if values else default


@dataclasses.dataclass
class TincState:
    """One tinc network as found on the host (plain data, JSON-friendly)."""

    netname: str
    config_dir: str
    config_found: bool = False
    interface: str = ""
    interface_exists: bool = False
    interface_up: bool = False
    bridge: Optional[str] = None          # the bridge the interface is enslaved to now
    bridge_stp: Optional[bool] = None
    mode: str = "router"
    device_type: str = ""
    connect_to: List[str] = dataclasses.field(default_factory=list)
    pidfile: str = ""
    pid: Optional[int] = None
    running: bool = False
    management: str = "plain"             # systemd | plain
    unit: str = ""
    cmdline: List[str] = dataclasses.field(default_factory=list)
    logfile: Optional[str] = None
    # Set when the pidfile (or systemd's MainPID) names a live process that is NOT this network's
    # tincd: a sentence saying which.  Nothing may be signalled or restarted then (issue 11).
    pid_problem: str = ""
    # The identified tincd (pid + start time): what signals go to.  Not part of the report.
    process: Optional[procfs.ProcessInfo] = dataclasses.field(default=None, repr=False, compare=False)

    def to_dict(self) -> Dict[str, Any]:
        out = dataclasses.asdict(self)
        out.pop("process")
        return out

    def set_process(self, proc: Optional[procfs.ProcessInfo]) -> None:
        """Record the identified daemon (or none): pid, running and the process to signal agree."""
        self.process = proc
        self.running = proc is not None
        self.pid = proc.pid if proc is not None else None

    def describe(self) -> str:
        """``tincd (pid 123, plain) running; nmtinc-ta in br-int`` for messages."""
        daemon = ("tincd running (pid %s, %s)" % (self.pid, self.management)) if self.running else "tincd NOT running"
        if not self.interface_exists:
            port = "interface %s absent" % self.interface
        elif self.bridge:
            port = "%s attached to bridge %s" % (self.interface, self.bridge)
        else:
            port = "%s detached (in no bridge)" % self.interface
        return "%s; %s" % (daemon, port)


# ---------------------------------------------------------------- processes

PIDFILE_LIMIT = 4096  # a tinc pidfile is one line; a symlink to /dev/zero must not fill the memory


def parse_pidfile(text: str) -> Optional[int]:
    """The pid in a tinc pidfile (1.0: ``PID``; 1.1: ``PID COOKIE HOST port PORT``), or None."""
    words = text.split()
    try:
        pid = int(words[0]) if words and words[0].isdigit() else None
    except ValueError:
        return None
    return pid if pid and pid > 0 else None


def read_pidfile(path: str) -> Optional[int]:
    """The pid in the pidfile at ``path`` (None: missing, unreadable, not a regular file, or garbage).

    Opened non-blocking and checked to be a regular file first: a FIFO in
    its place would block the play forever.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except (OSError, ValueError):
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        raw = os.read(fd, PIDFILE_LIMIT)
    except OSError:
        return None
    finally:
        os.close(fd)
    return parse_pidfile(raw.decode("ascii", "replace"))


def _same_path(a: Optional[str], b: Optional[str]) -> bool:
    try:
        return bool(a and b) and os.path.realpath(a) == os.path.realpath(b)
    except ValueError:  # a NUL in a path
        return False


def serves_network(argv: Sequence[str], netname: str, config_dir: Optional[str] = None) -> bool:
    """``argv`` is a tincd daemon of ``netname`` (not a ``tincd -k`` that only signals one).

    When both the daemon's ``-c``/``--config`` and ``config_dir`` are known,
    they must be the same directory (two networks can share a name in
    different directories, as the lab's two hosts do); otherwise its
    ``-n``/``--net`` must be ``netname``.
    """
    if any(a in ("-k", "--kill") or a.startswith("--kill=") for a in argv):
        return False
    conf = argv_option(argv, "config", "c")
    if config_dir and conf:
        return _same_path(conf, config_dir)
    return argv_option(argv, "net", "n") == netname


def tincd_of(netname: str, config_dir: Optional[str] = None) -> procfs.Expected:
    """What a pid must be before we signal it or take its command line: this network's tincd."""
    return procfs.Expected("tincd", "tincd of network %s" % netname,
                           lambda argv: serves_network(argv, netname, config_dir))


def identified(pid: Optional[int], netname: str, config_dir: Optional[str] = None,
               root: str = "/") -> Union[procfs.ProcessInfo, procfs.NotOurs]:
    """``pid`` as this network's tincd (:class:`procfs.ProcessInfo`), or why it is not (:class:`procfs.NotOurs`)."""
    return procfs.identify(pid, tincd_of(netname, config_dir), root)


def find_tincd(netname: str, config_dir: Optional[str] = None, root: str = "/") -> List[procfs.ProcessInfo]:
    """Live ``tincd`` processes serving ``netname`` (or ``config_dir``), found in /proc, by pid.

    A daemon started with another pidfile than the one we look at is still
    found, so we never start a second tincd next to a running one.
    """
    expected = tincd_of(netname, config_dir)
    return sorted((p for p in procfs.scan(root, comm="tincd") if procfs.matches(p, expected)), key=lambda p: p.pid)


def default_pidfile(netname: str, root: str = "/") -> str:
    """``/run/tinc.NET.pid`` (or ``/var/run/...`` when only that one exists)."""
    candidates = [os.path.join(root, d, "tinc.%s.pid" % netname) for d in PIDFILE_DIRS]
    for c in candidates:
        if os.path.exists(c):
            return c
    return candidates[0]


# ---------------------------------------------------------------- links

def ip_links(runner: Runner) -> Dict[str, Dict[str, Any]]:
    """``ip -j -d link show`` as ``{ifname: link}``."""
    result = runner(["ip", "-j", "-d", "link", "show"], check=True)
    return parse_ip_links(result.stdout)


def parse_ip_links(text: str) -> Dict[str, Dict[str, Any]]:
    """``ip -j -d link show`` output as ``{ifname: link}`` (entries that are not links are skipped)."""
    links = json_input.load_json(text or "[]", "ip -j -d link show", TincStateError)
    if not isinstance(links, list):
        raise TincStateError("'ip -j -d link show' printed %s, not a list of links" % type(links).__name__)
    return {link["ifname"]: link for link in links
            if isinstance(link, dict) and isinstance(link.get("ifname"), str) and link["ifname"]}


def link_master(link: Optional[Dict[str, Any]]) -> Optional[str]:
    """The bridge a link is enslaved to (None when none, or a non-bridge master)."""
    if not isinstance(link, dict) or not valid_ifname(link.get("master")):
        return None
    info = link.get("linkinfo")
    slave_kind = info.get("info_slave_kind") if isinstance(info, dict) else None
    if slave_kind not in (None, "bridge"):
        return None
    return link["master"]


def link_is_up(link: Optional[Dict[str, Any]]) -> bool:
    flags = link.get("flags") if isinstance(link, dict) else None
    return isinstance(flags, list) and "UP" in flags


def bridge_stp(sysfs: Sysfs, bridge: str) -> Optional[bool]:
    value = sysfs.read_int("sys", "class", "net", bridge, "bridge", "stp_state")
    return None if value is None else value != 0


def bridge_ports(sysfs: Sysfs, bridge: str) -> List[str]:
    return sysfs.listdir("sys", "class", "net", bridge, "brif")


_MASTER_RE = re.compile(r"\bmaster\s+([^\s;&|\"']+)")
_ADDIF_RE = re.compile(r"\bbrctl\s+addif\s+([^\s;&|\"']+)")


def tinc_up_bridge(config_dir: str) -> Optional[str]:
    """The bridge ``tinc-up`` enslaves the interface to (``ip link set ... master BR`` or
    ``brctl addif BR ...``), or None (no script, no such line, or a bridge from a variable)."""
    try:
        with open(os.path.join(config_dir, "tinc-up"), "r", encoding="utf-8", errors="replace") as fh:
            text = fh.read()
    except (OSError, ValueError):
        return None
    return bridge_in_tinc_up(text)


def bridge_in_tinc_up(text: str) -> Optional[str]:
    """:func:`tinc_up_bridge` of the script's text."""
    for line in text.splitlines():
        line = line.split("#", 1)[0]
        m = _MASTER_RE.search(line) or _ADDIF_RE.search(line)
        if m and not m.group(1).startswith("$"):
            return m.group(1)
    return None


# ---------------------------------------------------------------- systemd

def systemd_running(root: str = "/") -> bool:
    return os.path.isdir(os.path.join(root, "run", "systemd", "system"))


def systemd_props(runner: Runner, unit: str) -> Dict[str, str]:
    """``systemctl show`` of a unit's state ({} when systemctl is absent or fails)."""
    try:
        result = runner(["systemctl", "show", "-p", "ActiveState", "-p", "SubState", "-p", "MainPID", "-p",
                         "LoadState", unit], timeout=10)
    except CommandError:
        return {}
    if result.rc != 0:
        return {}
    return dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)


def systemd_main_pid(runner: Runner, unit: str, props: Optional[Dict[str, str]] = None) -> Optional[int]:
    """MainPID of an *active* unit, else None (systemctl absent or unit inactive)."""
    props = systemd_props(runner, unit) if props is None else props
    if props.get("ActiveState") not in ("active", "reloading", "activating"):
        return None
    try:
        pid = int(props.get("MainPID", "0"))
    except ValueError:
        return None
    return pid or None


# ---------------------------------------------------------------- discovery

def valid_ifname(name: Any) -> bool:
    return isinstance(name, str) and bool(IFNAME_RE.match(name)) and len(name.encode("utf-8", "replace")) <= 15


def validate_netname(netname: str) -> None:
    if not isinstance(netname, str) or not NETNAME_RE.match(netname or ""):
        raise TincStateError("netname %r is not a tinc network name (letters, digits and _ only)" % (netname,))


def discover(netname: str, runner: Runner, config_dir: Optional[str] = None, pidfile: Optional[str] = None,
             interface: Optional[str] = None, service: str = "auto", root: str = "/",
             links: Optional[Dict[str, Dict[str, Any]]] = None) -> TincState:
    """Find everything about tinc network ``netname`` (see the module docstring).

    :param service: ``auto`` (systemd when ``tinc@NET`` is active, else plain),
        ``systemd`` or ``plain``.
    :param links: an ``ip_links()`` result to reuse (saves a command).
    """
    validate_netname(netname)
    if service not in ("auto", "systemd", "plain"):
        raise TincStateError("service must be auto, systemd or plain, not %r" % (service,))
    config_dir = config_dir or os.path.join(root, "etc", "tinc", netname)
    state = TincState(netname=netname, config_dir=config_dir, unit="tinc@%s.service" % netname)

    conf: Dict[str, List[str]] = {}
    conf_path = os.path.join(config_dir, "tinc.conf")
    try:
        with open(conf_path, "r", encoding="utf-8", errors="replace") as fh:
            conf = parse_tinc_conf(fh.read())
        state.config_found = True
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise TincStateError("%s: cannot read: %s" % (conf_path, exc.strerror)) from None
    state.mode = (conf_value(conf, "Mode", "router") or "router").lower()
    state.device_type = (conf_value(conf, "DeviceType", "") or "").lower()
    state.connect_to = list(conf.get("connectto", []))
    state.interface = interface or conf_value(conf, "Interface") or netname
    if not valid_ifname(state.interface):
        raise TincStateError("interface name %r is not a valid Linux interface name" % state.interface)

    # The daemon: systemd's MainPID wins when the unit is active (service auto/systemd).
    main_pid = None
    props: Dict[str, str] = {}
    if service in ("auto", "systemd") and (service == "systemd" or systemd_running(root)):
        props = systemd_props(runner, state.unit)
        main_pid = systemd_main_pid(runner, state.unit, props)
    state.pidfile = pidfile or default_pidfile(netname, root)
    candidate = main_pid or read_pidfile(state.pidfile)
    found = identified(candidate, netname, config_dir, root) if candidate else None
    proc = found if isinstance(found, procfs.ProcessInfo) else None
    if isinstance(found, procfs.NotOurs) and found.running:
        # Issue 11: a stale pidfile named a `sleep`, which got SIGTERM and whose command line
        # would have been run as "the tincd command".  Never adopt a process we have not identified.
        state.pid_problem = "%s names pid %d, which is %s, not tincd of network %s" % (
            ("systemd's MainPID of %s" % state.unit) if main_pid else ("the pidfile %s" % state.pidfile),
            candidate, found.process.describe(), netname)
    if proc is None:
        procs = find_tincd(netname, config_dir, root)
        if len(procs) > 1:
            raise TincStateError("several tincd processes serve %s (pids %s): stop the extra ones first"
                                 % (netname, ", ".join(str(p.pid) for p in procs)))
        proc = procs[0] if procs else None
    state.set_process(proc)
    # systemd manages it when its unit runs it, or when nothing runs and the unit exists
    # (starting it through systemd is what a reboot would do).
    if service == "systemd" or (service == "auto" and (
            main_pid or (not state.running and props.get("LoadState") == "loaded"))):
        state.management = "systemd"
    if proc is not None:
        state.cmdline = list(proc.argv)
        state.logfile = argv_option(state.cmdline, "logfile")
        if not pidfile:
            given = argv_option(state.cmdline, "pidfile")
            if given:
                state.pidfile = given

    refresh_link(state, runner, links=links, root=root)
    return state


def refresh_link(state: TincState, runner: Runner, links: Optional[Dict[str, Dict[str, Any]]] = None,
                 root: str = "/") -> TincState:
    """Update the interface/bridge fields of ``state`` from the kernel."""
    links = ip_links(runner) if links is None else links
    link = links.get(state.interface)
    state.interface_exists = link is not None
    state.interface_up = link_is_up(link)
    state.bridge = link_master(link)
    state.bridge_stp = bridge_stp(Sysfs(root), state.bridge) if state.bridge else None
    return state


def refresh_daemon(state: TincState, runner: Runner, root: str = "/") -> TincState:
    """Update pid/running of ``state`` (pidfile or systemd MainPID), counting only this network's tincd."""
    pid = systemd_main_pid(runner, state.unit) if state.management == "systemd" else read_pidfile(state.pidfile)
    found = identified(pid, state.netname, state.config_dir, root) if pid else None
    state.set_process(found if isinstance(found, procfs.ProcessInfo) else None)
    return state
