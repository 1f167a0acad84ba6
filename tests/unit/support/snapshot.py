"""Snapshots that prove check mode changed nothing (issue 11).

:func:`tree` records every path under a directory (content digest, mode,
owner, mtime, symlink target); :func:`processes` the running processes (pid,
start time, command line).  A check-mode test takes both before and after
``--check`` and asserts equality, and :func:`no_exec` (a pytest fixture in
``tests/unit/conftest.py``) records every command and signal the code tries.
"""

from __future__ import annotations

import hashlib
import os
from typing import Dict, Tuple


def tree(root: str) -> Dict[str, Tuple]:
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            if os.path.islink(path):
                info = ("link", os.readlink(path))
            elif os.path.isfile(path):
                with open(path, "rb") as fh:
                    info = ("file", hashlib.sha256(fh.read()).hexdigest())
            else:
                info = ("dir",)
            out[os.path.relpath(path, root)] = info + (st.st_mode, st.st_uid, st.st_gid, st.st_mtime_ns)
    return out


def processes() -> Dict[int, Tuple[str, bytes]]:
    out = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name, "rb") as fh:
                start = fh.read().rsplit(b")", 1)[1].split()[19]
            with open("/proc/%s/cmdline" % name, "rb") as fh:
                cmdline = fh.read()
        except OSError:
            continue
        out[int(name)] = (start.decode(), cmdline)
    return out
