# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ifupdown: ``bond-arp-validate`` in ``/etc/network/interfaces`` and the files it sources.

``source PATTERN`` includes files by shell glob (relative patterns are relative
to the including file's directory); ``source-directory DIR`` includes the files
of DIR whose names match ``^[a-zA-Z0-9_-]+$`` (interfaces(5)).  The option
lives in the bond's ``iface`` stanza; ifenslave writes it to sysfs.  ifupdown
also accepts the underscore spelling (``bond_arp_validate``); a stanza that uses
underscores gets the new option spelled the same way.  An option without a
value is present and empty: ifupdown 0.8 refuses the whole file for it
("option with empty value"), so nothing is applied; it is replaced in place,
which repairs the file.  ifenslave also applies the bond-* options of a port's
stanza (``bond-master <bond>``) when the port comes up before its master
(README.Debian): a value set there is changed too, and the bond's own stanza
gets the value as well.

Which files count (load rules relied on): ``source`` takes shell globs, so
``source interfaces.d/*`` (Debian's default) reads every non-hidden file there,
a backup next to the file included (it would define the bond twice);
``source-directory`` only names matching ``^[a-zA-Z0-9_-]+$``.  Backups go to
``/var/backups/netmedic``, which nothing sources.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import glob
import os
import re
from typing import List, Optional, Set, Tuple

from ansible_collections.netmedic.network.plugins.module_utils.bond.persist.common import (
    ALL_VALUES, Location, PersistError, eol, no_reload, read, split_lines, under)

NAME = "ifupdown"
# The bond's own stanza must carry the value even when a port's stanza sets it too (see _port_stanzas).
VALUE_IN_DEFINITION = True
DESCRIPTION = "ifupdown (/etc/network/interfaces and the files it sources)"
MAIN = "/etc/network/interfaces"
VALUES = ALL_VALUES

# ifup reads the file when the bond is brought up: nothing to tell anyone now.
reload = no_reload

_STANZA = re.compile(r"^(iface|auto|allow-\S+|mapping|source|source-directory|source-dir|rename|no-auto-down|"
                     r"no-scripts|template)(\s|$)")
# The value is optional here: `bond-arp-validate` alone is an option with an empty value, which
# ifupdown 0.8 refuses ("option with empty value", the whole file unread); we replace it in place.
_OPTION = re.compile(r"^(\s*)(bond[-_]arp[-_]validate)(?:(\s+)(\S.*?))?(\s*)$")
_SOURCE_DIR_NAME = re.compile(r"^[a-zA-Z0-9_-]+$")


def _stanzas(lines: List[str]) -> List[Tuple[List[str], int, int]]:
    """``(words, start, end)`` per stanza; options are lines start+1..end-1."""
    heads = []
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if _STANZA.match(stripped):  # ifupdown ignores indentation: the first word decides
            heads.append((stripped.split(), i))
    out = []
    for n, (words, start) in enumerate(heads):
        end = heads[n + 1][1] if n + 1 < len(heads) else len(lines)
        out.append((words, start, end))
    return out


def _bond_stanzas(lines, bond):
    return [(w, s, e) for (w, s, e) in _stanzas(lines) if w[0] == "iface" and len(w) > 1 and w[1] == bond]


_MASTER = re.compile(r"^\s*bond[-_]master\s+(\S+)\s*$")


def _port_stanzas(lines, bond):
    """Stanzas of the bond's ports (``bond-master <bond>``): ifenslave applies their bond-* options
    when a port comes up before its master (README.Debian, examples/two_hotplug_ethernet)."""
    out = []
    for w, s, e in _stanzas(lines):
        if w[0] != "iface" or len(w) < 2 or w[1] == bond:
            continue
        for line in lines[s + 1:e]:
            m = _MASTER.match(line.rstrip("\r\n"))
            if m and m.group(1) == bond and not line.strip().startswith("#"):
                out.append((w, s, e))
                break
    return out


def _files(root: str) -> List[str]:
    """The main file and everything it sources, in parse order (no file twice)."""
    seen: Set[str] = set()
    order: List[str] = []

    def visit(path: str, depth: int):
        real = os.path.realpath(path)
        if real in seen:
            return
        if depth > 10:
            raise PersistError("%s: 'source' nesting deeper than 10 levels (a loop?)" % path)
        seen.add(real)
        order.append(path)
        content = read(path)
        base = os.path.dirname(path)
        for words, _s, _e in _stanzas(split_lines(content)):
            if words[0] == "source" and len(words) > 1:
                for pattern in words[1:]:
                    pat = pattern if pattern.startswith("/") else os.path.join(base, pattern)
                    if pattern.startswith("/"):
                        pat = under(root, pattern)
                    for f in sorted(glob.glob(pat)):
                        if os.path.isfile(f):
                            visit(f, depth + 1)
            elif words[0] in ("source-directory", "source-dir") and len(words) > 1:
                d = under(root, words[1]) if words[1].startswith("/") else os.path.join(base, words[1])
                try:
                    names = sorted(os.listdir(d))
                except OSError:
                    names = []
                for name in names:
                    f = os.path.join(d, name)
                    if _SOURCE_DIR_NAME.match(name) and os.path.isfile(f):
                        visit(f, depth + 1)

    main = under(root, MAIN)
    if os.path.exists(main):
        visit(main, 0)
    return order


def _option_values(lines, stanza) -> List[str]:
    _w, start, end = stanza
    out = []
    for line in lines[start + 1:end]:
        m = _OPTION.match(line.rstrip("\r\n"))
        if m and not line.strip().startswith("#"):
            out.append((m.group(4) or "").strip())
    return out


def _stanza_values(lines: List[str], bond: str) -> Tuple[bool, Optional[str]]:
    """Whether the file has the bond's own stanza, and the last bond-arp-validate of it or its ports."""
    own = _bond_stanzas(lines, bond)
    values: List[str] = []
    for st in sorted(own + _port_stanzas(lines, bond), key=lambda st: st[1]):
        values.extend(_option_values(lines, st))
    return bool(own), (values[-1] if values else None)


def value_in(content: str, bond: str, path: str = "") -> Optional[str]:
    """The bond-arp-validate this file's stanzas for ``bond`` (and its ports) set (``''``: present, empty)."""
    return _stanza_values(split_lines(content), bond)[1]


def locate(root: str, bond: str) -> List[Location]:
    """Files with the bond's stanza, and files where only its ports set bond-arp-validate (primary=False)."""
    out = []
    for path in _files(root):
        content = read(path)
        defines, value = _stanza_values(split_lines(content), bond)
        if defines or value is not None:
            out.append(Location(NAME, path, value, content, primary=defines))
    return out


def render(content: str, bond: str, value: str, insert: bool, path: str = "") -> str:
    lines = split_lines(content)
    nl = eol(lines)
    stanzas = _bond_stanzas(lines, bond)
    found = False   # in the bond's own stanzas: the ports' copies do not count, the master may come up first
    for st in stanzas + _port_stanzas(lines, bond):
        _w, start, end = st
        for i in range(start + 1, end):
            line = lines[i]
            if line.strip().startswith("#"):
                continue
            m = _OPTION.match(line.rstrip("\r\n"))
            if m:
                found = found or st in stanzas
                ending = line[len(line.rstrip("\r\n")):]
                lines[i] = m.group(1) + m.group(2) + (m.group(3) or " ") + value + m.group(5) + ending
    if found or not insert or not stanzas:
        return "".join(lines)
    # Insert into the stanza that carries the bond's options (bond-mode, bond-slaves...).
    target = stanzas[0]
    for st in stanzas:
        if any(re.match(r"^\s+bond[-_]", ln) for ln in lines[st[1] + 1:st[2]]):
            target = st
            break
    _w, start, end = target
    last: Optional[int] = None
    indent, underscore = "    ", False
    for i in range(start + 1, end):
        s = lines[i].strip()
        if s and not s.startswith("#"):
            last = i
            indent = lines[i][:len(lines[i]) - len(lines[i].lstrip())] or indent
            if re.match(r"^bond_", s):
                underscore = True
            elif re.match(r"^bond-", s):
                underscore = False
    at = (last if last is not None else start) + 1
    if not lines[at - 1].endswith(("\n", "\r")):
        lines[at - 1] += nl
    option = "bond_arp_validate" if underscore else "bond-arp-validate"
    lines.insert(at, "%s%s %s%s" % (indent, option, value, nl))
    return "".join(lines)
