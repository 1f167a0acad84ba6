# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A tinc network's health for rollback (issue 16): tincd running, its port in the bridge, peers connected.

Read-only: tincd is found in /proc (the process the run identified, else a
fresh scan for this network's tincd), the port's bridge from ``ip -j -d
link``, and the peers from tincd's ESTABLISHED TCP connections (its meta
connections; /proc/PID/net/tcp, as peers.py waits for them), matched to the
peers' ``Address`` in ``hosts/PEER``.

A TCP connection is not a peer: with a key the peer does not know, tincd
keeps an ESTABLISHED connection that never authenticates (seen in the lab:
"Bogus data received from b", the connection stays).  So, with
``tinc_dump`` (the default), a peer counts only when tinc's own SIGUSR1
connection dump also says it is active.  The dump is asked for at most once
every :data:`DUMP_EVERY` seconds and only once tincd has a TCP connection to
a peer (it is past its start then: tinc 1.0 logs from inside its signal
handlers, and a signal during startup could deadlock it); in between, the
last dump's answer stands.

The peers watched are the ones the run waits for (``peers`` or ``ConnectTo``)
and every other node whose host file has an ``Address`` (a hub's peers
connect *to* it).  Connections to addresses no host file names are counted,
not named.

Worse, after the change, than before it:

* tincd ran and does not;
* the port was in a bridge and is not (or is in another one);
* a peer that was connected is not;
* fewer connections to unnamed addresses than before.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import os
from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.netmedic.network.plugins.module_utils.core import procfs
from ansible_collections.netmedic.network.plugins.module_utils.core.health import Health, HealthError
from ansible_collections.netmedic.network.plugins.module_utils.core.procfs import argv_option
from ansible_collections.netmedic.network.plugins.module_utils.core.runner import CommandError
from ansible_collections.netmedic.network.plugins.module_utils.tinc.conf import conf_value, read_conf
from ansible_collections.netmedic.network.plugins.module_utils.tinc.dumps import connection_view
from ansible_collections.netmedic.network.plugins.module_utils.tinc.errors import TincStateError
from ansible_collections.netmedic.network.plugins.module_utils.tinc.identity import find_tincd
from ansible_collections.netmedic.network.plugins.module_utils.tinc.link import ip_links, link_master
from ansible_collections.netmedic.network.plugins.module_utils.tinc.names import NETNAME_RE
from ansible_collections.netmedic.network.plugins.module_utils.tinc.peers import match_peers, peer_addresses
from ansible_collections.netmedic.network.plugins.module_utils.tinc.run import Run
from ansible_collections.netmedic.network.plugins.module_utils.tinc.tinc_log import TincLog

DUMP_EVERY = 1.0      # seconds between SIGUSR1 dumps while the health is watched


def known_peers(config_dir: str, required: List[str]) -> Dict[str, List[str]]:
    """``{peer: addresses}``: the required peers, and every other node with an ``Address`` in its host file."""
    try:
        own = conf_value(read_conf(os.path.join(config_dir, "tinc.conf")), "Name")
    except OSError:
        own = None
    try:
        names = sorted(n for n in os.listdir(os.path.join(config_dir, "hosts")) if NETNAME_RE.match(n))
    except OSError:
        names = []
    out = {p: peer_addresses(config_dir, p) for p in required}
    for name in names:
        if name != own and name not in out:
            addrs = peer_addresses(config_dir, name)
            if addrs:
                out[name] = addrs
    return out


class TincHealth(Health):
    """The health of the tinc network a tinc_safe_restart run restarts (after :func:`restart.plan`)."""

    def __init__(self, run: Run):
        self.run = run
        self.peers = known_peers(run.state.config_dir, run.required_peers())
        self._dump: Optional[Tuple[int, float, Optional[List[str]]]] = None   # pid, when, active names

    def _active(self, proc: procfs.ProcessInfo) -> Optional[List[str]]:
        """The peers tinc's SIGUSR1 dump says are active (None: no dump could be read); cached DUMP_EVERY s."""
        now = self.run.clock()
        if self._dump and self._dump[0] == proc.pid and now - self._dump[1] < DUMP_EVERY:
            return self._dump[2]
        log = TincLog(self.run.runner, argv_option(list(proc.argv), "logfile") or self.run.state.logfile)
        conns = connection_view(log, proc, sleep=self.run.sleep, root=self.run.o.root)
        active = None if conns is None else sorted(c.name for c in conns if c.active)
        self._dump = (proc.pid, now, active)
        return active

    def _process(self) -> Optional[procfs.ProcessInfo]:
        st, root = self.run.state, self.run.o.root
        if procfs.still_running(st.process, root):
            return st.process
        procs = find_tincd(st.netname, st.config_dir, root)
        return procs[0] if len(procs) == 1 else None

    def snapshot(self) -> Dict[str, Any]:
        st = self.run.state
        try:
            link = ip_links(self.run.runner).get(st.interface)
        except (TincStateError, CommandError) as exc:
            raise HealthError("cannot read the links: %s" % exc) from None
        proc = self._process()
        remotes = procfs.established_tcp_remotes(proc.pid, self.run.o.root) if proc else []
        connected = match_peers(list(self.peers), self.peers, remotes)
        named = set(a for p in connected for a in self.peers[p])
        view = "TCP connections"
        if connected and self.run.o.tinc_dump:
            active = self._active(proc)
            if active is not None:
                connected = [p for p in connected if p in active]
                view = "TCP connections and tinc's SIGUSR1 dump"
        return {"running": proc is not None, "pid": proc.pid if proc else None, "interface": st.interface,
                "interface_exists": link is not None, "bridge": link_master(link),
                "peers_connected": sorted(connected), "peers_view": view,
                "unnamed_connections": len([r for r in remotes if r not in named])}

    def compare(self, before: Dict[str, Any], after: Dict[str, Any]) -> List[str]:
        worse = []
        if before.get("running") and not after.get("running"):
            worse.append("tincd of %s is not running (it ran before, pid %s)" % (self.run.o.netname, before.get("pid")))
        if before.get("bridge") and after.get("bridge") != before["bridge"]:
            worse.append("%s is %s (it was in bridge %s before)" % (after["interface"], _where(after), before["bridge"]))
        lost = [p for p in before.get("peers_connected") or [] if p not in (after.get("peers_connected") or [])]
        if lost:
            worse.append("peer%s %s not connected (connected before)" % ("s" if len(lost) > 1 else "", ", ".join(lost)))
        if (after.get("unnamed_connections") or 0) < (before.get("unnamed_connections") or 0):
            worse.append("tincd has %d connection(s) to addresses no host file names, %d before"
                         % (after.get("unnamed_connections") or 0, before["unnamed_connections"]))
        return worse

    def watched(self, before: Dict[str, Any]) -> List[str]:
        out = []
        if before.get("running"):
            out.append("tincd of %s runs (pid %s before; a restart gives it a new one)"
                       % (self.run.o.netname, before.get("pid")))
        else:
            out.append("tincd of %s: not running before the change, not held against it" % self.run.o.netname)
        if before.get("bridge"):
            out.append("%s stays in bridge %s" % (before["interface"], before["bridge"]))
        for peer in before.get("peers_connected") or []:
            out.append("peer %s is connected again (%s)" % (peer, before.get("peers_view")))
        not_connected = [p for p in self.peers if p not in (before.get("peers_connected") or [])]
        if not_connected:
            out.append("peers not connected before, not held against the change: %s" % ", ".join(not_connected))
        if before.get("unnamed_connections"):
            out.append("%d connection(s) to addresses no host file names, no fewer" % before["unnamed_connections"])
        return out

    def describe(self, snapshot: Dict[str, Any]) -> str:
        daemon = ("tincd running (pid %s)" % snapshot.get("pid")) if snapshot.get("running") else "tincd NOT running"
        return "%s; %s %s; peers connected: %s" % (
            daemon, snapshot.get("interface"), _where(snapshot), ", ".join(snapshot.get("peers_connected") or [])
            or "none")


def _where(snapshot: Dict[str, Any]) -> str:
    if not snapshot.get("interface_exists"):
        return "absent"
    return ("in bridge %s" % snapshot["bridge"]) if snapshot.get("bridge") else "in no bridge"
