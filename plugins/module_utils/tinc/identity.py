# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which process is this network's tincd (issue 11: never act on a pid we have not identified).

A pidfile or systemd's MainPID only names a candidate: :func:`identified`
proves it through core/procfs.py (the binary is ``tincd`` and its command
line names this network), and :func:`find_tincd` finds the daemon in /proc
when no pidfile names it.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import os
from typing import List, Optional, Sequence, Union

from ansible_collections.netmedic.network.plugins.module_utils.core import procfs
from ansible_collections.netmedic.network.plugins.module_utils.core.procfs import argv_option


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


def identified_process(pid: Optional[int], netname: str, config_dir: Optional[str] = None,
                       root: str = "/") -> Optional[procfs.ProcessInfo]:
    """:func:`identified` when it is this network's tincd, else None (no pid, or not ours)."""
    found = identified(pid, netname, config_dir, root) if pid else None
    return found if isinstance(found, procfs.ProcessInfo) else None


def find_tincd(netname: str, config_dir: Optional[str] = None, root: str = "/") -> List[procfs.ProcessInfo]:
    """Live ``tincd`` processes serving ``netname`` (or ``config_dir``), found in /proc, by pid.

    A daemon started with another pidfile than the one we look at is still
    found, so we never start a second tincd next to a running one.
    """
    expected = tincd_of(netname, config_dir)
    return sorted((p for p in procfs.scan(root, comm="tincd") if procfs.matches(p, expected)), key=lambda p: p.pid)
