# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Wait for tinc's peers: a TCP meta connection to each, then tinc's own SIGUSR1 view.

The TCP connections are read from /proc (core/procfs.py) without
signalling the daemon: tinc 1.0 logs from inside its signal handlers, so a
signal that lands while it is logging can deadlock it (seen with SIGUSR1
during startup).  One dump at the end confirms what tinc itself thinks.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import os
import socket
from typing import Any, Dict, List

from ansible_collections.netmedic.network.plugins.module_utils.core import procfs
from ansible_collections.netmedic.network.plugins.module_utils.tinc.conf import read_conf
from ansible_collections.netmedic.network.plugins.module_utils.tinc.dumps import connection_view
from ansible_collections.netmedic.network.plugins.module_utils.tinc.errors import RestartFailed
from ansible_collections.netmedic.network.plugins.module_utils.tinc.run import POLL, Run
from ansible_collections.netmedic.network.plugins.module_utils.tinc.tinc_log import TincLog

DUMP_RETRY = 0.1      # seconds between SIGUSR1 dumps while tinc authenticates its peers


def resolve_addresses(values: List[str]) -> List[str]:
    """IP addresses for tinc ``Address`` values (``host [port]``); names resolved, failures skipped."""
    out = []
    for value in values:
        host = value.split()[0] if value.split() else ""
        if not host:
            continue
        try:
            infos = socket.getaddrinfo(host, None, 0, socket.SOCK_STREAM)
        except (OSError, UnicodeError, ValueError):  # ValueError: a NUL in the name
            continue
        for info in infos:
            addr = info[4][0]
            if addr not in out:
                out.append(addr)
    return out


def peer_addresses(config_dir: str, peer: str) -> List[str]:
    """The addresses of ``peer`` from its host file (``hosts/PEER``), resolved; [] when unknown."""
    try:
        conf = read_conf(os.path.join(config_dir, "hosts", peer))
    except OSError:
        return []
    return resolve_addresses(conf.get("address", []))


def match_peers(peers: List[str], addrs: Dict[str, List[str]], remotes: List[str]) -> List[str]:
    """The ``peers`` that tincd has a TCP connection to (``remotes``: the connections' remote addresses).

    A peer with a known address counts when a connection goes to it; peers
    without one (no ``Address`` in their host file) count as long as there
    are connections left over that no known address explains.
    """
    connected = [p for p in peers if any(a in remotes for a in addrs.get(p, []))]
    spare = len(remotes) - len(connected)
    return connected + [p for p in peers if not addrs.get(p)][:max(0, spare)]


def wait_peers(run: Run, deadline: float) -> None:
    """Peers up: a TCP meta connection to each (polled, no signal), then tinc's own SIGUSR1 view."""
    st, o = run.state, run.o
    peers = run.required_peers()
    info: Dict[str, Any] = {"required": peers, "connected": [], "source": None}
    run.report.peers = info
    if not peers:
        run.step("peers", "no peers to wait for (no ConnectTo in tinc.conf and none given)")
        return
    addrs = {p: peer_addresses(st.config_dir, p) for p in peers}
    while True:
        if not procfs.still_running(st.process, o.root):
            pid = st.pid
            st.set_process(None)
            raise RestartFailed("tincd pid %s died while connecting to its peers" % pid)
        remotes = procfs.established_tcp_remotes(st.pid, o.root)
        connected = match_peers(peers, addrs, remotes)
        if len(connected) == len(peers):
            break
        if run.clock() > deadline:
            missing = [p for p in peers if p not in connected]
            raise RestartFailed("tincd runs but has no connection to peer(s) %s after %.0f s (TCP connections "
                                "to: %s)" % (", ".join(missing), o.wait_timeout, ", ".join(remotes) or "none"))
        run.sleep(POLL)
    info["connected"] = sorted(connected)
    info["source"] = "TCP connections of tincd"
    if o.tinc_dump:
        confirm_by_dump(run, peers, info, deadline)
    run.step("peers", "connected: %s (%s)" % (", ".join(info["connected"]), info["source"]))


def confirm_by_dump(run: Run, peers: List[str], info: Dict[str, Any], deadline: float) -> None:
    """tinc's own view: the SIGUSR1 connection dump (few signals: tinc 1.0 logs inside its handlers)."""
    st, o = run.state, run.o
    log = TincLog(run.runner, st.logfile)
    while True:
        conns = connection_view(log, st.process, sleep=run.sleep, root=o.root)
        if conns is None:
            run.report.warnings.append("tinc's SIGUSR1 connection dump could not be read (%s); peers were "
                                       "checked by their TCP connections only" % (log.error or "no dump in the log"))
            return
        active = sorted(c.name for c in conns if c.active)
        missing = [p for p in peers if p not in active]
        if not missing:
            info["connected"] = active
            info["source"] = "TCP connections and tinc's SIGUSR1 dump (%s)" % (
                ("log file %s" % st.logfile) if st.logfile else "journal")
            return
        if run.clock() > deadline:
            raise RestartFailed("tincd is connected to %s but tinc does not report them active after %.0f s "
                                "(active: %s)" % (", ".join(missing), o.wait_timeout, ", ".join(active) or "none"))
        run.sleep(DUMP_RETRY)
