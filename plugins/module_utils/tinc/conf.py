# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""tinc's own files: ``tinc.conf``, host files, and the bridge ``tinc-up`` enslaves the port to.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import os
import re
from typing import Dict, List, Optional


def parse_tinc_conf(text: str) -> Dict[str, List[str]]:
    """``tinc.conf`` / host file as ``{lower-case key: [values...]}``.

    tinc keys are case-insensitive, ``Key = Value`` (``=`` optional), ``#``
    starts a comment.  A host file's PEM key block is skipped.
    """
    conf: Dict[str, List[str]] = {}
    in_pem = False
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("-----BEGIN"):
            in_pem = True
            continue
        if line.startswith("-----END"):
            in_pem = False
            continue
        if in_pem or not line or line.startswith("#"):
            continue
        m = re.match(r"^([A-Za-z0-9_]+)\s*(?:=\s*|\s+)(.*?)\s*$", line)
        if not m or not m.group(2):
            continue
        conf.setdefault(m.group(1).lower(), []).append(m.group(2))
    return conf


def read_conf(path: str) -> Dict[str, List[str]]:
    """:func:`parse_tinc_conf` of the file at ``path`` (OSError when it cannot be read)."""
    with open(path, "r", encoding="utf-8", errors="replace") as fh:
        return parse_tinc_conf(fh.read())


def conf_value(conf: Dict[str, List[str]], key: str, default: Optional[str] = None) -> Optional[str]:
    values = conf.get(key.lower())
    return values[0] if values else default


_MASTER_RE = re.compile(r"\bmaster\s+([^\s;&|\"']+)")
_ADDIF_RE = re.compile(r"\bbrctl\s+addif\s+([^\s;&|\"']+)")


def tinc_up_bridge(config_dir: str) -> Optional[str]:
    """The bridge ``tinc-up`` enslaves the interface to (``ip link set ... master BR`` or
    ``brctl addif BR ...``), or None (no script, no such line, or a bridge from a variable)."""
    try:
        with open(os.path.join(config_dir, "tinc-up"), "r", encoding="utf-8", errors="replace") as fh:
            text = fh.read()
    except (OSError, ValueError):
        return None
    return bridge_in_tinc_up(text)


def bridge_in_tinc_up(text: str) -> Optional[str]:
    """:func:`tinc_up_bridge` of the script's text."""
    for line in text.splitlines():
        line = line.split("#", 1)[0]
        m = _MASTER_RE.search(line) or _ADDIF_RE.search(line)
        if m and not m.group(1).startswith("$"):
            return m.group(1)
    return None
