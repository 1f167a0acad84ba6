# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""tinc's pidfile: where it is and the pid it names (never trusted until identified, see identity.py).

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import os
import stat
from typing import Optional

PIDFILE_DIRS = ("run", "var/run")
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


def default_pidfile(netname: str, root: str = "/") -> str:
    """``/run/tinc.NET.pid`` (or ``/var/run/...`` when only that one exists)."""
    candidates = [os.path.join(root, d, "tinc.%s.pid" % netname) for d in PIDFILE_DIRS]
    for c in candidates:
        if os.path.exists(c):
            return c
    return candidates[0]
