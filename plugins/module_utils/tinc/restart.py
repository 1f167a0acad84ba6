# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Restart (or reload) a bridged tinc network without ever leaving the host worse.

The runbook of incident 001, as code:

1. record the state (daemon, interface, bridge; a short storm sample);
2. restart mode: take the tinc port out of its bridge, stop tincd and start it
   again as soon as the old process is gone (polled every few milliseconds,
   no sleeps), or with ``mode=reload`` only send SIGHUP (same process, same
   tap, the port stays in the bridge: no packet lost);
3. wait, bounded, until the daemon runs, its interface exists and its peers
   are connected in tinc's own view (SIGUSR1 dump), and optional reachability
   probes answer;
4. put the port back into the bridge unless ``tinc-up`` already did;
5. watch the port for a storm; on a storm take it out again, leave tinc
   running outside the bridge and fail with the evidence.

Every failure after the port was detached ends with ``state_left``: a sentence
saying whether the port is attached or detached, whether tincd runs, and why.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
import signal
import stat
import time
from typing import Any, Callable, Dict, List, Optional

from ansible_collections.netmedic.network.plugins.module_utils.core import procfs
from ansible_collections.netmedic.network.plugins.module_utils.core.params import SECONDS, SECONDS_OR_ZERO, range_errors
from ansible_collections.netmedic.network.plugins.module_utils.core.procfs import argv_option
from ansible_collections.netmedic.network.plugins.module_utils.core.runner import CommandError, Runner
from ansible_collections.netmedic.network.plugins.module_utils.core.sysfs import Sysfs
from ansible_collections.netmedic.network.plugins.module_utils.tinc.state import (
    NETNAME_RE, TincState, TincStateError, discover, find_tincd, identified, parse_tinc_conf, read_pidfile,
    refresh_daemon, refresh_link, systemd_main_pid, systemd_props, tinc_up_bridge, valid_ifname,
    validate_netname)
from ansible_collections.netmedic.network.plugins.module_utils.tinc.watch import (
    KernelLog, StormThresholds, TincLog, connection_view, established_peers, log_tail, parse_connections, parse_nodes,
    resolve_addresses, watch_storm)

MODES = ("restart", "reload")
POLL = 0.005          # seconds between checks while the VPN is down
DUMP_RETRY = 0.1      # seconds between SIGUSR1 dumps while tinc authenticates its peers

# Every numeric option of tinc_safe_restart (module option names).  The module checks them with
# params.check_module_ranges first thing; RestartOptions.validate() checks them again for callers
# without Ansible: a NaN wait_timeout made every deadline comparison false (issue 11).
RANGES = {
    "wait_timeout": SECONDS,
    "stop_timeout": SECONDS,
    "storm_watch": SECONDS_OR_ZERO,
    "precheck": SECONDS_OR_ZERO,
    "capture_seconds": SECONDS_OR_ZERO,
    # A 100 Gbit/s port carries at most ~150 million frames/s: a higher threshold is a typo.
    "storm_arp_rate": (0.0, 1e9),
    "storm_packet_rate": (0.0, 1e9),
    # KernelLog.read() returns at most 100000 records a sample; more could never be reached.
    "storm_kernel_messages": (0, 100000),
    # tcpdump -c: bounded so a typo cannot fill the host's disk with one capture.
    "capture_packets": (1, 10000000),
}
_HOSTNAME_RE = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_-]{1,63})*\.?$")


@dataclasses.dataclass
class RestartOptions:
    netname: str
    mode: str = "restart"
    config_dir: Optional[str] = None
    pidfile: Optional[str] = None
    interface: Optional[str] = None
    bridge: Optional[str] = None
    service: str = "auto"
    tincd_command: List[str] = dataclasses.field(default_factory=list)
    peers: Optional[List[str]] = None        # None: the ConnectTo names of tinc.conf
    probe_addresses: List[str] = dataclasses.field(default_factory=list)
    tinc_dump: bool = True                   # confirm peers with one SIGUSR1 dump
    wait_timeout: float = 30.0
    stop_timeout: float = 10.0
    storm_watch: float = 5.0
    precheck: float = 0.5
    thresholds: StormThresholds = dataclasses.field(default_factory=StormThresholds)
    diagnostics_dir: Optional[str] = None
    capture_seconds: float = 0.0
    capture_packets: int = 20000
    root: str = "/"
    kmsg_path: str = "/dev/kmsg"

    def numbers(self) -> Dict[str, Any]:
        """The numeric options under their module names (the keys of :data:`RANGES`)."""
        th = self.thresholds
        return {"wait_timeout": self.wait_timeout, "stop_timeout": self.stop_timeout, "storm_watch": self.storm_watch,
                "precheck": self.precheck, "capture_seconds": self.capture_seconds,
                "storm_arp_rate": th.arp_rate, "storm_packet_rate": th.packet_rate,
                "storm_kernel_messages": th.kernel_messages, "capture_packets": self.capture_packets}

    def validate(self) -> None:
        """Every option checked before anything is looked at: a sentence naming the option, else nothing."""
        problems = range_errors(self.numbers(), RANGES)
        if self.mode not in MODES:
            problems.append("mode must be restart or reload, not %r" % (self.mode,))
        problems += self.name_problems() + self.path_problems()
        if problems:
            raise TincStateError("; ".join(problems))
        if self.capture_seconds and not self.diagnostics_dir:
            raise TincStateError("capture_seconds needs diagnostics_dir: the capture has to be written somewhere")

    def name_problems(self) -> List[str]:
        out = []
        try:
            validate_netname(self.netname)
        except TincStateError as exc:
            out.append(str(exc))
        for name in ("interface", "bridge"):
            value = getattr(self, name)
            if value is not None and not valid_ifname(value):
                out.append("%s %r is not a Linux interface name (1-15 bytes, no '/', ':', spaces or control "
                           "characters)" % (name, value))
        bad_peers = [p for p in (self.peers or []) if not isinstance(p, str) or not NETNAME_RE.match(p)]
        if bad_peers:
            out.append("peers must be tinc node names (letters, digits and _), not %s"
                       % ", ".join(repr(p) for p in bad_peers))
        bad_addrs = [a for a in self.probe_addresses if not _host_or_address(a)]
        if bad_addrs:
            out.append("probe_addresses must be IP addresses or host names, not %s"
                       % ", ".join(repr(a) for a in bad_addrs))
        if self.tincd_command and any(not isinstance(a, str) or not a or "\0" in a for a in self.tincd_command):
            out.append("tincd_command must be a command line of non-empty arguments without NUL characters, "
                       "not %r" % (self.tincd_command,))
        return out

    def path_problems(self) -> List[str]:
        out = []
        for name, kind in (("config_dir", "dir"), ("pidfile", "file"), ("diagnostics_dir", "writable dir")):
            value = getattr(self, name)
            if value is None:
                continue
            problem = _path_problem(value, kind)
            if problem:
                out.append("%s %r %s" % (name, value, problem))
        return out


def _host_or_address(value: Any) -> bool:
    """An IP address or a host name (never something ``ping`` could take as an option)."""
    if not isinstance(value, str):
        return False
    try:
        ipaddress.ip_address(value)
        return True
    except ValueError:
        return bool(_HOSTNAME_RE.match(value))


def _path_problem(path: Any, kind: str) -> Optional[str]:
    """Why ``path`` cannot be the directory/regular file an option names (a missing one is fine)."""
    if not isinstance(path, str) or not path.strip():
        return "must be a non-empty path"
    if "\0" in path:
        return "contains a NUL character"
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return "cannot be looked at: %s" % exc.strerror
    if kind == "dir" and not stat.S_ISDIR(st.st_mode):
        return "is not a directory"
    if kind == "writable dir" and not (stat.S_ISDIR(st.st_mode) and os.access(path, os.W_OK | os.X_OK)):
        return "is not a writable directory"
    if kind == "file" and not stat.S_ISREG(st.st_mode):
        return "is a directory" if stat.S_ISDIR(st.st_mode) else "is not a regular file"
    return None


def _deadline(now: float, seconds: float) -> float:
    """``now + seconds``, refusing a non-finite or negative ``seconds``.

    RestartOptions.validate() already refused them; this guards the loops
    themselves (a NaN deadline makes ``clock() > deadline`` false forever).
    """
    if not isinstance(seconds, (int, float)) or not 0 <= seconds < float("inf"):
        raise TincStateError("a wait of %r seconds is not a finite, non-negative number" % (seconds,))
    return now + seconds


class RestartFailed(Exception):
    """The sequence stopped; ``str()`` says why (the report says what was left)."""


@dataclasses.dataclass
class Report:
    netname: str
    mode: str
    ok: bool = True
    changed: bool = False
    msg: str = ""
    plan: List[str] = dataclasses.field(default_factory=list)
    steps: List[Dict[str, Any]] = dataclasses.field(default_factory=list)
    before: Dict[str, Any] = dataclasses.field(default_factory=dict)
    after: Dict[str, Any] = dataclasses.field(default_factory=dict)
    state_left: str = ""
    outage_seconds: Optional[float] = None
    peers: Dict[str, Any] = dataclasses.field(default_factory=dict)
    storm_before: Optional[Dict[str, Any]] = None
    storm: Optional[Dict[str, Any]] = None
    diagnostics: List[str] = dataclasses.field(default_factory=list)
    warnings: List[str] = dataclasses.field(default_factory=list)

    def to_dict(self) -> Dict[str, Any]:
        return dataclasses.asdict(self)


class SafeRestart:
    """One run of the sequence.  ``run(check_mode)`` returns a :class:`Report`."""

    def __init__(self, opts: RestartOptions, runner: Optional[Runner] = None,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        opts.validate()
        self.o = opts
        self.runner = runner or Runner()
        self.clock = clock
        self.sleep = sleep
        self.sysfs = Sysfs(opts.root)
        self.t0 = clock()
        self.report = Report(netname=opts.netname, mode=opts.mode)
        self.state: Optional[TincState] = None
        self.bridge: Optional[str] = None
        self.detached_at: Optional[float] = None
        self.kernel_log: Optional[KernelLog] = None
        self.start_log: Optional[TincLog] = None

    # ------------------------------------------------------------ helpers
    def step(self, name: str, detail: str = "", ok: bool = True, **extra: Any) -> None:
        entry = {"step": name, "t": round(self.clock() - self.t0, 3), "ok": ok, "detail": detail}
        entry.update(extra)
        self.report.steps.append(entry)

    def ip(self, *args: str) -> None:
        self.runner(["ip"] + list(args), timeout=10, check=True)

    def refresh(self) -> TincState:
        if self.state is None:
            raise RuntimeError("refresh() before the state was recorded")
        refresh_daemon(self.state, self.runner, self.o.root)
        refresh_link(self.state, self.runner, root=self.o.root)
        return self.state

    def required_peers(self) -> List[str]:
        if self.o.peers is not None:
            return list(self.o.peers)
        return list(self.state.connect_to) if self.state else []

    def start_command(self) -> List[str]:
        """The tincd command that starts the network again (plain management)."""
        if self.o.tincd_command:
            return list(self.o.tincd_command)
        st = self.state
        if st and st.cmdline:
            return list(st.cmdline)
        cmd = ["tincd", "-n", self.o.netname]
        if self.o.config_dir:
            cmd += ["-c", self.o.config_dir]
        if self.o.pidfile:
            cmd.append("--pidfile=%s" % self.o.pidfile)
        return cmd

    # ------------------------------------------------------------ plan
    def inspect(self) -> TincState:
        o = self.o
        st = discover(o.netname, self.runner, config_dir=o.config_dir, pidfile=o.pidfile, interface=o.interface,
                      service=o.service, root=o.root)
        self.state = st
        self.report.before = st.to_dict()
        if st.pid_problem:
            raise TincStateError(
                "refusing to touch tinc network %s: %s. Nothing was signalled, detached or restarted. If that "
                "pidfile is stale, remove it (or give the daemon's own pidfile with pidfile) and run again"
                % (o.netname, st.pid_problem))
        if not st.config_found:
            raise TincStateError("no tinc.conf in %s: is %r the right network name (or config_dir)?"
                                 % (st.config_dir, o.netname))
        if o.bridge and st.bridge and st.bridge != o.bridge:
            raise TincStateError("%s is in bridge %s, not in %s as given: refusing to move it between bridges"
                                 % (st.interface, st.bridge, o.bridge))
        self.bridge = o.bridge or st.bridge or tinc_up_bridge(st.config_dir)
        if o.mode == "reload" and not st.running:
            raise TincStateError("tincd for %s is not running, so it cannot be reloaded; use mode=restart to start it"
                                 % o.netname)
        if st.management == "plain" and st.running and not o.tincd_command and \
                any(a in ("-D", "--no-detach") for a in st.cmdline):
            raise TincStateError("tincd pid %s runs in the foreground (-D) under a supervisor that is not systemd's "
                                 "tinc@%s; give tincd_command or service to say how to start it"
                                 % (st.pid, o.netname))
        if st.mode != "switch":
            self.report.warnings.append("tinc.conf says Mode = %s: bridging a tinc port normally means Mode = switch"
                                        % st.mode)
        return st

    def make_plan(self) -> List[str]:
        st, o = self.state, self.o
        if st is None:
            raise RuntimeError("make_plan() before the state was recorded")
        plan = []
        peers = self.required_peers()
        if o.mode == "reload":
            plan.append("send SIGHUP to tincd pid %s (same process and %s: the port stays in %s)"
                        % (st.pid, st.interface, self.bridge or "no bridge"))
        else:
            if st.bridge:
                plan.append("take %s out of bridge %s" % (st.interface, st.bridge))
            if st.management == "systemd":
                plan.append("systemctl restart %s" % st.unit)
            else:
                if st.running:
                    plan.append("stop tincd pid %s (SIGTERM, wait up to %.0f s)" % (st.pid, o.stop_timeout))
                plan.append("start: %s" % " ".join(self.start_command()))
        plan.append("wait up to %.0f s for tincd and %s%s" % (
            o.wait_timeout, st.interface,
            (", peers %s connected" % ", ".join(peers)) if peers else ""))
        if o.probe_addresses:
            plan.append("probe %s" % ", ".join(o.probe_addresses))
        if self.bridge:
            plan.append("put %s back into %s unless tinc-up did" % (st.interface, self.bridge))
            if o.storm_watch:
                plan.append("watch %s for a storm for %.1f s (ARP >= %.0f/s%s, kernel loop messages); on a storm "
                            "take it out of %s again and fail" % (
                                st.interface, o.storm_watch, o.thresholds.arp_rate,
                                (", packets >= %.0f/s" % o.thresholds.packet_rate) if o.thresholds.packet_rate
                                else "", self.bridge))
        return plan

    # ------------------------------------------------------------ run
    def run(self, check_mode: bool = False) -> Report:
        r = self.report
        try:
            self.inspect()
        except (TincStateError, CommandError) as exc:
            r.ok = False
            r.msg = str(exc)
            r.state_left = "nothing was changed"
            return r
        r.plan = self.make_plan()
        self.step("inspect", self.state.describe())
        if check_mode:
            r.changed = True
            r.msg = "check mode: would %s %s" % (self.o.mode, self.o.netname)
            r.state_left = "nothing was changed (check mode)"
            r.after = dict(r.before)
            return r
        self.kernel_log = KernelLog(self.o.kmsg_path, since_now=True)
        try:
            self.precheck()
            if self.o.mode == "reload":
                self.do_reload()
            else:
                self.do_restart()
            self.after_start()
            r.msg = "%s %s: %s" % ("reloaded" if self.o.mode == "reload" else "restarted", self.o.netname,
                                   self.state.describe())
        except (RestartFailed, CommandError, TincStateError, OSError) as exc:
            r.ok = False
            r.msg = str(exc)
        except Exception as exc:  # a bug must still end with the state report, never a bare traceback
            r.ok = False
            r.msg = "unexpected error (please report it as a netmedic bug): %s: %s" % (type(exc).__name__, exc)
        finally:
            self.finish()
        return r

    def finish(self) -> None:
        r = self.report
        try:
            st = self.refresh()
            r.after = st.to_dict()
            left = st.describe()
            if self.bridge and st.bridge != self.bridge:
                left += " (it belongs in bridge %s)" % self.bridge
        except (CommandError, TincStateError, OSError) as exc:
            left = "state unknown: %s" % exc
        r.state_left = left
        if not r.ok:
            r.msg = "%s. State left: %s" % (r.msg.rstrip("."), left)
        if self.kernel_log:
            self.kernel_log.close()

    def precheck(self) -> None:
        st = self.state
        if not (self.o.precheck and st.bridge and st.interface_exists):
            return
        rep = watch_storm(st.interface, self.o.precheck, self.o.thresholds, self.sysfs, kernel_log=self.kernel_log,
                          stop_on_storm=False, clock=self.clock, sleep=self.sleep)
        self.report.storm_before = rep.to_dict()
        self.step("precheck", ("STORM before restart: " + "; ".join(rep.reasons)) if rep.storm else rep.summary())

    def detach(self, why: str) -> None:
        st = self.state
        self.ip("link", "set", "dev", st.interface, "nomaster")
        st.bridge = None
        self.step("detach", "took %s out of %s (%s)" % (st.interface, self.bridge, why))

    def attach(self, why: str) -> None:
        st = self.state
        self.ip("link", "set", "dev", st.interface, "master", self.bridge)
        self.ip("link", "set", "dev", st.interface, "up")
        st.bridge = self.bridge
        self.report.changed = True
        self.step("attach", "put %s back into %s (%s)" % (st.interface, self.bridge, why))

    # ------------------------------------------------------------ reload
    def do_reload(self) -> None:
        old = self.state.process
        err = procfs.send_signal(old, signal.SIGHUP, self.o.root)
        if err:
            raise RestartFailed(err)
        self.report.changed = True
        self.step("reload", "sent SIGHUP to tincd pid %s" % old.pid)
        self.wait_daemon(expect=old)

    # ------------------------------------------------------------ restart
    def do_restart(self) -> None:
        st, o = self.state, self.o
        if st.bridge and st.interface_exists:
            self.detached_at = self.clock()
            self.detach("before the restart")
        if st.management == "systemd":
            self.detached_at = self.detached_at or self.clock()
            res = self.runner(["systemctl", "restart", st.unit], timeout=o.stop_timeout + o.wait_timeout)
            self.report.changed = True
            if res.rc != 0:
                raise RestartFailed("systemctl restart %s failed: %s%s"
                                    % (st.unit, res.describe(), self.journal_tail()))
            self.step("restart", "systemctl restart %s" % st.unit)
        else:
            command = self.start_command()
            if st.running:
                self.stop_plain()
            self.detached_at = self.detached_at or self.clock()
            self.start_log = TincLog(self.runner, argv_option(command, "logfile"), ident="tinc.%s" % o.netname)
            res = self.runner(command, timeout=o.wait_timeout)
            self.report.changed = True
            if res.rc != 0:
                raise RestartFailed("tincd failed to start (%s)%s" % (res.describe(), self.why_tail()))
            self.step("start", " ".join(command))
        self.wait_daemon()

    def stop_plain(self) -> None:
        st, o = self.state, self.o
        proc = st.process
        pid = proc.pid
        err = procfs.send_signal(proc, signal.SIGTERM, o.root)
        if err and procfs.still_running(proc, o.root):
            raise RestartFailed(err)
        # (err with the process gone: it exited on its own since the inspection; start it again.)
        deadline = _deadline(self.clock(), o.stop_timeout)
        while procfs.still_running(proc, o.root):
            if self.clock() > deadline:
                # The old daemon still runs: give its port back, as it was.
                if self.bridge and st.interface_exists:
                    try:
                        self.attach("the old tincd did not stop; restoring the previous state")
                    except CommandError:
                        pass
                raise RestartFailed("tincd pid %d did not exit within %.0f s of SIGTERM; it was left running"
                                    % (pid, o.stop_timeout))
            self.sleep(POLL)
        self.report.changed = True
        self.step("stop", "tincd pid %d exited" % pid)

    def why_tail(self) -> str:
        """``; tinc logged: ...`` with the last lines tincd logged since it was started (or '')."""
        if self.start_log is None:
            return ""
        tail = log_tail(self.start_log.new_lines())
        if tail:
            return "; tinc logged: %s" % tail
        return "; tinc's log was not readable (%s)" % (self.start_log.error or "no --logfile and nothing in the "
                                                       "journal: look in syslog")

    def journal_tail(self) -> str:
        try:
            res = self.runner(["journalctl", "--no-pager", "-n", "5", "-o", "cat", "-u", self.state.unit], timeout=10)
        except CommandError:
            return ""
        lines = [ln for ln in res.stdout.splitlines() if ln.strip()]
        return (" (journal: %s)" % " | ".join(lines[-5:])) if lines else ""

    # ------------------------------------------------------------ waiting
    def wait_daemon(self, expect: Optional[procfs.ProcessInfo] = None) -> None:
        """Tight poll until tincd runs and its interface exists (bounded by wait_timeout).

        Only a process identified as this network's tincd counts (the pidfile
        or MainPID may still name the old, now reused, pid).
        """
        st, o = self.state, self.o
        deadline = _deadline(self.clock(), o.wait_timeout)
        next_scan = 0.0
        while True:
            if st.management == "systemd":
                props = systemd_props(self.runner, st.unit)
                if props.get("ActiveState") == "failed" or props.get("SubState") == "auto-restart":
                    st.set_process(None)
                    raise RestartFailed("%s exited right after it started (systemd: %s/%s)%s" % (
                        st.unit, props.get("ActiveState"), props.get("SubState"), self.journal_tail()))
                pid = systemd_main_pid(self.runner, st.unit, props)
            else:
                pid = read_pidfile(st.pidfile)
            found = identified(pid, o.netname, st.config_dir, o.root) if pid else None
            proc = found if isinstance(found, procfs.ProcessInfo) else None
            if proc is None and st.management == "plain" and self.clock() >= next_scan:
                # The start command has returned: its daemon child exists unless it already died.
                procs = find_tincd(o.netname, st.config_dir, o.root)
                if procs:
                    proc = procs[0]  # forked, pidfile maybe not written yet
                else:
                    st.set_process(None)
                    raise RestartFailed("tincd started but exited at once%s" % self.why_tail())
                next_scan = self.clock() + 0.05
            if expect and proc and (proc.pid, proc.start_time) != (expect.pid, expect.start_time):
                raise RestartFailed("tincd changed pid on SIGHUP (%s -> %s): it restarted instead of reloading"
                                    % (expect.pid, proc.pid))
            if proc and self.sysfs.exists("sys", "class", "net", st.interface):
                st.set_process(proc)
                st.cmdline = list(proc.argv) or st.cmdline
                st.logfile = argv_option(st.cmdline, "logfile") or st.logfile
                break
            if self.clock() > deadline:
                st.set_process(proc)
                raise RestartFailed("tincd %s within %.0f s%s" % (
                    "runs but its interface %s did not appear" % st.interface if proc else "did not come up",
                    o.wait_timeout, self.why_tail() if st.management == "plain" else self.journal_tail()))
            self.sleep(POLL)
        self.step("daemon", "tincd pid %s runs, %s exists" % (st.pid, st.interface))
        self.wait_peers(deadline)

    def peer_addresses(self, peer: str) -> List[str]:
        path = os.path.join(self.state.config_dir, "hosts", peer)
        try:
            with open(path, "r", encoding="utf-8", errors="replace") as fh:
                conf = parse_tinc_conf(fh.read())
        except OSError:
            return []
        return resolve_addresses(conf.get("address", []))

    def wait_peers(self, deadline: float) -> None:
        """Peers up: a TCP meta connection to each (polled, no signal), then tinc's own SIGUSR1 view."""
        st, o = self.state, self.o
        peers = self.required_peers()
        info: Dict[str, Any] = {"required": peers, "connected": [], "source": None}
        self.report.peers = info
        if not peers:
            self.step("peers", "no peers to wait for (no ConnectTo in tinc.conf and none given)")
            return
        addrs = {p: self.peer_addresses(p) for p in peers}
        while True:
            if not procfs.still_running(st.process, o.root):
                pid = st.pid
                st.set_process(None)
                raise RestartFailed("tincd pid %s died while connecting to its peers" % pid)
            remotes = established_peers(st.pid, o.root)
            connected = [p for p in peers if any(a in remotes for a in addrs[p])]
            spare = len(remotes) - len(connected)
            connected += [p for p in peers if not addrs[p]][:max(0, spare)]
            if len(connected) == len(peers):
                break
            if self.clock() > deadline:
                missing = [p for p in peers if p not in connected]
                raise RestartFailed("tincd runs but has no connection to peer(s) %s after %.0f s (TCP connections "
                                    "to: %s)" % (", ".join(missing), o.wait_timeout, ", ".join(remotes) or "none"))
            self.sleep(POLL)
        info["connected"] = sorted(connected)
        info["source"] = "TCP connections of tincd"
        if o.tinc_dump:
            self.confirm_peers_by_dump(peers, info, deadline)
        self.step("peers", "connected: %s (%s)" % (", ".join(info["connected"]), info["source"]))

    def confirm_peers_by_dump(self, peers: List[str], info: Dict[str, Any], deadline: float) -> None:
        """tinc's own view: the SIGUSR1 connection dump (few signals: tinc 1.0 logs inside its handlers)."""
        st, o = self.state, self.o
        log = TincLog(self.runner, st.logfile)
        while True:
            conns = connection_view(log, st.process, sleep=self.sleep, root=o.root)
            if conns is None:
                self.report.warnings.append("tinc's SIGUSR1 connection dump could not be read (%s); peers were "
                                            "checked by their TCP connections only" % (log.error or "no dump in the log"))
                return
            active = sorted(c.name for c in conns if c.active)
            missing = [p for p in peers if p not in active]
            if not missing:
                info["connected"] = active
                info["source"] = "TCP connections and tinc's SIGUSR1 dump (%s)" % (
                    ("log file %s" % st.logfile) if st.logfile else "journal")
                return
            if self.clock() > deadline:
                raise RestartFailed("tincd is connected to %s but tinc does not report them active after %.0f s "
                                    "(active: %s)" % (", ".join(missing), o.wait_timeout, ", ".join(active) or "none"))
            self.sleep(DUMP_RETRY)

    def probe(self, deadline: float) -> None:
        pending = list(self.o.probe_addresses)
        while pending:
            for addr in list(pending):
                try:
                    # "--": a probe address from the play is never read as an option (issue 11)
                    res = self.runner(["ping", "-n", "-q", "-c", "1", "-W", "1", "--", addr], timeout=5)
                except CommandError:
                    continue
                if res.rc == 0:
                    pending.remove(addr)
            if not pending:
                break
            if self.clock() > deadline:
                raise RestartFailed("tinc is up but %s did not answer ping within %.0f s"
                                    % (", ".join(pending), self.o.wait_timeout))
            self.sleep(0.05)
        self.step("probe", "%s answered" % ", ".join(self.o.probe_addresses))

    # ------------------------------------------------------------ after the daemon is back
    def after_start(self) -> None:
        st, o = self.state, self.o
        refresh_link(st, self.runner, root=o.root)
        if self.bridge:
            if st.bridge == self.bridge:
                self.step("attach", "%s already in %s (tinc-up put it back)" % (st.interface, self.bridge))
            elif st.bridge:
                raise RestartFailed("%s came back in bridge %s instead of %s (tinc-up?)"
                                    % (st.interface, st.bridge, self.bridge))
            else:
                self.attach("after the %s" % o.mode)
        if self.detached_at is not None:
            self.report.outage_seconds = round(self.clock() - self.detached_at, 3)
        if o.probe_addresses:
            self.probe(_deadline(self.clock(), o.wait_timeout))
        if self.bridge and o.storm_watch:
            self.storm_watch()

    def storm_watch(self) -> None:
        st, o = self.state, self.o
        rep = watch_storm(st.interface, o.storm_watch, o.thresholds, self.sysfs, kernel_log=self.kernel_log,
                          clock=self.clock, sleep=self.sleep)
        self.report.storm = rep.to_dict()
        if not rep.storm:
            self.step("storm-watch", "quiet: " + rep.summary())
            return
        self.step("storm-watch", "STORM: " + "; ".join(rep.reasons), ok=False)
        if o.capture_seconds:
            self.capture()
        self.detach("storm")
        self.detached_at = self.detached_at or self.clock()
        self.collect_dumps()
        raise RestartFailed("storm on %s after the %s: %s; %s was taken out of %s and tincd left running outside "
                            "the bridge" % (st.interface, o.mode, "; ".join(rep.reasons), st.interface, self.bridge))

    # ------------------------------------------------------------ diagnostics
    def diag_path(self, what: str) -> str:
        os.makedirs(self.o.diagnostics_dir, mode=0o750, exist_ok=True)
        stamp = time.strftime("%Y%m%dT%H%M%S")
        return os.path.join(self.o.diagnostics_dir, "tinc-%s-%s-%s" % (self.o.netname, stamp, what))

    def capture(self) -> None:
        st, o = self.state, self.o
        path = self.diag_path("%s.pcap" % st.interface)
        try:
            self.runner(["tcpdump", "-n", "-U", "-i", st.interface, "-c", str(o.capture_packets), "-w", path],
                        timeout=o.capture_seconds)
        except CommandError as exc:
            if not os.path.exists(path):
                self.report.warnings.append("capture failed: %s" % exc)
                return
        self.report.diagnostics.append(path)
        self.step("capture", "%s (%.1f s, at most %d packets)" % (path, o.capture_seconds, o.capture_packets))

    def collect_dumps(self) -> None:
        st, o = self.state, self.o
        if not o.diagnostics_dir or not st.process:
            return
        log = TincLog(self.runner, st.logfile)
        lines: List[str] = []
        for sig, parse in ((signal.SIGUSR1, parse_connections), (signal.SIGUSR2, parse_nodes)):
            if procfs.send_signal(st.process, sig, o.root):
                break  # not our tincd any more: no dump to wait for
            for _attempt in range(60):  # a busy tincd (a storm just ended) can take a while
                self.sleep(0.05)
                lines = log.new_lines(st.pid)
                if parse(lines) is not None:
                    break
        path = self.diag_path("dump.txt")
        kernel = []
        if self.report.storm:
            kernel = self.report.storm.get("kernel_messages") or []
        with open(path, "w", encoding="utf-8") as fh:
            found = parse_connections(lines) is not None or parse_nodes(lines) is not None
            fh.write("# tincd pid %s SIGUSR1/SIGUSR2 dump from %s: %s\n" % (
                st.pid, ("log file %s" % st.logfile) if st.logfile else "the journal",
                "ok" if found else "NOT FOUND (%s)" % (log.error or "tincd logs elsewhere, e.g. syslog")))
            fh.write("\n".join(lines) + "\n")
            fh.write("# kernel loop messages\n" + "\n".join(kernel) + "\n")
        self.report.diagnostics.append(path)
        self.step("dumps", path)
