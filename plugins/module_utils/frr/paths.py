# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where an FRR instance keeps its files, and how vtysh is pointed at it.

A *pathspace* (``frrinit.sh start NAME``, ``vtysh -N NAME``) keeps the config
in ``/etc/frr/NAME/`` and the pid files and sockets in ``/var/run/frr/NAME/``;
several routers (one per network namespace) can share a host that way.  Every
path is under ``root`` (``/`` on a host, a fake tree in unit tests).

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import os
import re
from typing import List, Optional, Sequence

ETC_DIR = "/etc/frr"
RUN_DIR = "/var/run/frr"
LIB_DIR = "/usr/lib/frr"   # the daemons' binaries (Debian, Ubuntu, FRR's own packages)

_PATHSPACE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def check_pathspace(pathspace: Optional[str]) -> Optional[str]:
    """A valid pathspace name (or None); anything else raises ValueError."""
    if pathspace in (None, ""):
        return None
    if not isinstance(pathspace, str) or not _PATHSPACE_RE.match(pathspace) or ".." in pathspace:
        raise ValueError("FRR pathspace %r is not a plain name (letters, digits, '.', '_', '-')" % (pathspace,))
    return pathspace


def etc_dir(root: str = "/", pathspace: Optional[str] = None) -> str:
    parts = [root or "/", ETC_DIR.lstrip("/")]
    if check_pathspace(pathspace):
        parts.append(pathspace)
    return os.path.join(*parts)


def run_dir(root: str = "/", pathspace: Optional[str] = None) -> str:
    parts = [root or "/", RUN_DIR.lstrip("/")]
    if check_pathspace(pathspace):
        parts.append(pathspace)
    return os.path.join(*parts)


def has_mgmtd(root: str = "/") -> bool:
    """FRR 9 and later ship mgmtd, which frrinit.sh always starts (it owns staticd's and part of zebra's
    configuration): a daemon to expect running beside zebra."""
    return os.path.exists(os.path.join(root or "/", LIB_DIR.lstrip("/"), "mgmtd"))


def daemons_path(root: str = "/", pathspace: Optional[str] = None) -> str:
    """``/etc/frr[/PATHSPACE]/daemons``: which daemons start, with which options."""
    return os.path.join(etc_dir(root, pathspace), "daemons")


def frr_conf_path(root: str = "/", pathspace: Optional[str] = None) -> str:
    """``/etc/frr[/PATHSPACE]/frr.conf``: the integrated configuration ``vtysh -b`` loads at start."""
    return os.path.join(etc_dir(root, pathspace), "frr.conf")


def vtysh_argv(pathspace: Optional[str], *commands: str, args: Sequence[str] = (), vtysh: str = "vtysh") -> List[str]:
    """``vtysh [-N PATHSPACE] ARGS... [-c COMMAND]...``: the one way every FRR caller builds a vtysh command line."""
    argv = [vtysh]
    if check_pathspace(pathspace):
        argv += ["-N", pathspace]
    argv += list(args)
    for c in commands:
        argv += ["-c", c]
    return argv
