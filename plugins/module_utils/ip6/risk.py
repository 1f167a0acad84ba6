# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What makes sticky IPv6 cache entries likely on a host (incident 003): babeld, an old kernel.

* babeld (the standalone daemon) replaces a route by deleting it and adding the
  new one; a lookup in between can match a covering ``unreachable`` route.
  FRR's babeld goes through zebra and is not counted.
* Kernels before 4.2 clone a /128 cache entry on every IPv6 lookup, the reject
  ones included (fixed by commit 45e4fd26, IPv6 route cache on demand).

Every path is under ``root`` (``/`` on a host, a fake tree in unit tests).

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import os
import re
from typing import Any, Dict, List, Optional

from ansible_collections.netmedic.network.plugins.module_utils.core import procfs

FRR_BABELD = "/usr/lib/frr/babeld"
BABELD_PATHS = ("/usr/bin/babeld", "/usr/sbin/babeld", "/usr/local/bin/babeld", "/usr/local/sbin/babeld")


def kernel_release(root: str = "/") -> Optional[str]:
    try:
        with open(os.path.join(root or "/", "proc/sys/kernel/osrelease"), "r") as fh:
            return fh.read().strip()
    except OSError:
        return None


def kernel_older_than(release: Optional[str], major: int, minor: int) -> Optional[bool]:
    m = re.match(r"^(\d+)\.(\d+)", release or "")
    if not m:
        return None
    return (int(m.group(1)), int(m.group(2))) < (major, minor)


def babeld_processes(root: str = "/") -> List[Dict[str, Any]]:
    """Running babeld processes that are not FRR's babeld (which goes through zebra)."""
    return [{"pid": p.pid, "argv": list(p.argv)} for p in procfs.scan(root, comm="babeld")
            if not (p.argv and p.argv[0] == FRR_BABELD)]


def babeld_installed(root: str = "/") -> List[str]:
    """The standalone babeld binaries present on the host."""
    return [p for p in BABELD_PATHS if os.path.exists(os.path.join(root or "/", p.lstrip("/")))]
