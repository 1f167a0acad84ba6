# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The FRR daemons of one pathspace as processes: pid file, identity, age, capabilities, netlink sockets.

Everything is read from ``/proc`` under ``root`` through :mod:`core.procfs`
(a pid is only lent to a daemon after it is proved to be that daemon); no
command runs and nothing is signalled here.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Dict, List, Optional

from ansible_collections.netmedic.network.plugins.module_utils.core import procfs
from ansible_collections.netmedic.network.plugins.module_utils.frr.paths import run_dir


@dataclasses.dataclass(frozen=True)
class Process:
    name: str                  # daemon name as in the pid file (bgpd, ospfd-1, watchfrr)
    pid: Optional[int]
    running: bool
    argv: List[str]
    age_seconds: Optional[float]  # since the process started
    why: str = ""              # why it is not running (no pid file, stale pid ...)


def frr_daemon(pathspace: Optional[str], name: str) -> procfs.Expected:
    """What the pid in ``NAME.pid`` must be: FRR's ``bgpd`` (etc.) binary, of this pathspace and instance.

    frrcommon.sh starts ``/usr/lib/frr/DAEMON -N PATHSPACE -d ... -n INSTANCE``: a
    daemon of another pathspace (a reused pid on a host with several routers)
    is not ours, nor is a default-instance daemon in a pathspace's pid file.
    """
    base, instance = (name.split("-", 1) + [""])[:2]

    def argv_ok(argv) -> bool:
        if (procfs.argv_option(argv, "pathspace", "N") or None) != (pathspace or None):
            return False
        return not instance or procfs.argv_option(argv, "instance", "n") == instance

    what = "FRR's %s%s%s" % (base, (" instance %s" % instance) if instance else "",
                             (" of pathspace %s" % pathspace) if pathspace else "")
    return procfs.Expected(base, what, argv_ok)


def _read_text(path: str) -> Optional[str]:
    try:
        with open(path, "r", encoding="utf-8", errors="replace") as fh:
            return fh.read()
    except (OSError, ValueError):
        return None


def daemon_process(root: str, pathspace: Optional[str], name: str, uptime: Optional[float] = None) -> Process:
    """The process of daemon ``name`` in a pathspace, from its pid file and ``/proc``.

    Running only when the pid is proved to be that daemon (:func:`frr_daemon`):
    the audits judge its age, options and sockets, so a stale pid file must
    not lend them another process.
    """
    pidfile = os.path.join(run_dir(root, pathspace), name + ".pid")
    text = _read_text(pidfile)
    if text is None:
        return Process(name, None, False, [], None, "no pid file %s" % pidfile)
    try:
        pid = int(text.strip())
    except ValueError:
        return Process(name, None, False, [], None, "pid file %s holds %r" % (pidfile, text.strip()[:40]))
    found = procfs.identify(pid, frr_daemon(pathspace, name), root)
    if isinstance(found, procfs.NotOurs):
        if not found.running:
            return Process(name, pid, False, [], None, "pid %d from %s is not running" % (pid, pidfile))
        other = found.process
        return Process(name, pid, False, list(other.argv), None, "pid %d from %s is %s, not %s (stale pid file)"
                       % (pid, pidfile, other.describe(), frr_daemon(pathspace, name).what))
    if uptime is None:
        uptime = procfs.uptime_seconds(root)
    return Process(name, pid, True, list(found.argv), procfs.age_seconds(found.start_time, uptime))


def capabilities(root: str, pid: int) -> Optional[int]:
    """The permitted capability set (``CapPrm`` of ``/proc/PID/status``), None when it cannot be read."""
    try:
        with open(os.path.join(root or "/", "proc", str(pid), "status"), "r") as fh:
            for line in fh:
                if line.startswith("CapPrm:"):
                    return int(line.split()[1], 16)
    except (OSError, ValueError, IndexError):
        return None
    return None


def netlink_drops(root: str, pid: int) -> Optional[Dict[str, int]]:
    """Drops per netlink socket inode owned by ``pid`` (None when /proc does not tell).

    The sockets are the ``socket:[INODE]`` links of ``/proc/PID/fd``; their
    counters are the rows of ``/proc/PID/net/netlink`` (the process's network
    namespace) with those inodes.
    """
    inodes = procfs.socket_inodes(pid, root)
    if inodes is None:
        return None
    try:
        with open(os.path.join(root or "/", "proc", str(pid), "net", "netlink"), "r") as fh:
            rows = fh.read().splitlines()
    except OSError:
        return None
    header = rows[0].split() if rows else []
    if "Drops" not in header or "Inode" not in header:
        return None
    i_drops, i_inode = header.index("Drops"), header.index("Inode")
    out: Dict[str, int] = {}
    for row in rows[1:]:
        cols = row.split()
        if len(cols) > max(i_drops, i_inode) and cols[i_inode] in inodes:
            try:
                out[cols[i_inode]] = int(cols[i_drops])
            except ValueError:
                continue
    return out
