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
from typing import Any, Dict, List, Optional

from ansible_collections.netmedic.network.plugins.module_utils.core import procfs
from ansible_collections.netmedic.network.plugins.module_utils.core.procfs import argv_option
from ansible_collections.netmedic.network.plugins.module_utils.core.runner import Runner
from ansible_collections.netmedic.network.plugins.module_utils.core.sysfs import Sysfs
from ansible_collections.netmedic.network.plugins.module_utils.tinc.conf import conf_value, read_conf
from ansible_collections.netmedic.network.plugins.module_utils.tinc.errors import TincStateError
from ansible_collections.netmedic.network.plugins.module_utils.tinc.identity import (
    find_tincd, identified, identified_process)
from ansible_collections.netmedic.network.plugins.module_utils.tinc.link import (
    bridge_stp, ip_links, link_is_up, link_master)
from ansible_collections.netmedic.network.plugins.module_utils.tinc.names import valid_ifname, validate_netname
from ansible_collections.netmedic.network.plugins.module_utils.tinc.pidfile import default_pidfile, read_pidfile
from ansible_collections.netmedic.network.plugins.module_utils.tinc.systemd import (
    systemd_main_pid, systemd_props, systemd_running, unit_of)


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
    state = TincState(netname=netname, config_dir=config_dir, unit=unit_of(netname))

    conf: Dict[str, List[str]] = {}
    conf_path = os.path.join(config_dir, "tinc.conf")
    try:
        conf = read_conf(conf_path)
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
    state.set_process(identified_process(pid, state.netname, state.config_dir, root))
    return state
