# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""RHEL-style ifcfg files: ``arp_validate=`` inside ``BONDING_OPTS``.

``/etc/sysconfig/network-scripts/ifcfg-*`` is shell-variable syntax, read by
initscripts and by NetworkManager's ifcfg-rh plugin.  A file is the bond's when
``DEVICE=<bond>`` (or, without DEVICE, when it is named ``ifcfg-<bond>``).
``BONDING_OPTS`` is a quoted, space-separated list of ``option=value``; the
``arp_validate`` word is replaced or appended, the quoting kept.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import os
import re
from typing import List, Optional, Tuple

from ansible_collections.netmedic.network.plugins.module_utils.bond_persist_common import (
    Location, PersistError, config_files, eol, read, split_lines, under)

NAME = "ifcfg"
DESCRIPTION = "RHEL ifcfg files (/etc/sysconfig/network-scripts)"
DIRECTORY = "/etc/sysconfig/network-scripts"
VALUES = ("none", "active", "backup", "all", "filter", "filter_active", "filter_backup")

_VAR_RE = re.compile(r"^(\s*(?:export\s+)?)([A-Z0-9_]+)=(.*?)(\s*)$")


def _unquote(raw: str, path: str, lineno: int) -> Tuple[str, str]:
    """``'"a b"'`` -> (``'a b'``, ``'"'``)."""
    raw = raw.strip()
    if raw[:1] in "'\"":
        q = raw[0]
        if len(raw) < 2 or raw[-1] != q or q in raw[1:-1].replace('\\"', ""):
            raise PersistError("%s: line %d: cannot parse the quoting of %s" % (path, lineno, raw))
        return raw[1:-1], q
    if any(c in raw for c in " \t'\"$`"):
        raise PersistError("%s: line %d: cannot parse %s (unquoted spaces or shell syntax)" % (path, lineno, raw))
    return raw, ""


def _vars(content: str, path: str) -> List[Tuple[int, str, str, str]]:
    """``(index, name, value, quote)`` for each ``NAME=value`` line."""
    out = []
    for i, line in enumerate(split_lines(content)):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        m = _VAR_RE.match(line.rstrip("\r\n"))
        if m:
            value, quote = _unquote(m.group(3), path, i + 1)
            out.append((i, m.group(2), value, quote))
    return out


def _device(content: str, path: str) -> Optional[str]:
    for _i, name, value, _q in _vars(content, path):
        if name == "DEVICE":
            return value
    base = os.path.basename(path)
    return base[len("ifcfg-"):] if base.startswith("ifcfg-") else None


def _opts_value(opts: str) -> Optional[str]:
    value = None
    for word in opts.split():
        key, _sep, val = word.partition("=")
        if key == "arp_validate":
            value = val
    return value


def locate(root: str, bond: str) -> List[Location]:
    out = []
    for path in config_files(under(root, DIRECTORY), name_re=r"^ifcfg-"):
        content = read(path)
        if _device(content, path) != bond:
            continue
        value = None
        for _i, name, val, _q in _vars(content, path):
            if name == "BONDING_OPTS":
                value = _opts_value(val)
        out.append(Location(NAME, path, value, content))
    return out


def render(content: str, bond: str, value: str, insert: bool, path: str = "") -> str:
    lines = split_lines(content)
    nl = eol(lines)
    found = False
    for i, name, opts, quote in _vars(content, path):
        if name != "BONDING_OPTS":
            continue
        found = True
        words = opts.split()
        if any(w.partition("=")[0] == "arp_validate" for w in words):
            words = ["arp_validate=" + value if w.partition("=")[0] == "arp_validate" else w for w in words]
        elif insert:
            words.append("arp_validate=" + value)
        else:
            continue
        new = " ".join(words)
        m = _VAR_RE.match(lines[i].rstrip("\r\n"))
        ending = lines[i][len(lines[i].rstrip("\r\n")):]
        q = quote or '"'
        lines[i] = "%sBONDING_OPTS=%s%s%s%s%s" % (m.group(1), q, new, q, m.group(4), ending)
    if not found and insert:
        if lines and not lines[-1].endswith(("\n", "\r")):
            lines[-1] += nl
        lines.append('BONDING_OPTS="arp_validate=%s"%s' % (value, nl))
    return "".join(lines)
