# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""RHEL-style ifcfg files: ``arp_validate=`` inside ``BONDING_OPTS``.

``/etc/sysconfig/network-scripts/ifcfg-*`` is shell-variable syntax, sourced by
initscripts' bash and parsed by NetworkManager's ifcfg-rh plugin, whose writer
produces empty assignments (``HWADDR=``) and ``$'...'`` quoting.  Every line is
read as bash reads it (:mod:`.shell_assign`); a value bash could only know by
running something is an error only on a line this needs (``DEVICE``,
``BONDING_OPTS``).  The last assignment of a name wins, as in bash.  A file is
the bond's when ``DEVICE=<bond>`` (or, without DEVICE, when it is named
``ifcfg-<bond>``).  ``BONDING_OPTS`` is a space-separated list of
``option=value`` (initscripts: ``for arg in $BONDING_OPTS``); the
``arp_validate`` word is replaced in place, or appended to the effective (last)
``BONDING_OPTS``, and the value is quoted back the way it was written.

Which files count (load rules relied on): initscripts and ifcfg-rh read only
``ifcfg-*`` names in this directory (not subdirectories) and skip names ending
in ``~ .bak .old .orig .rpmnew .rpmorig .rpmsave`` (initscripts'
``is_ignored_file``) and ``.rej .augnew .augtmp`` (ifcfg-rh).  Backups go to
``/var/backups/netmedic`` all the same.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import os
import re
from typing import List, Optional, Tuple

from ansible_collections.netmedic.network.plugins.module_utils.bond.persist.common import (
    ALL_VALUES, Location, PersistError, config_files, eol, no_reload, read, split_lines, under)
from ansible_collections.netmedic.network.plugins.module_utils.core.shell_assign import Assignment, assignments, quote

NAME = "ifcfg"
DESCRIPTION = "RHEL ifcfg files (/etc/sysconfig/network-scripts)"
DIRECTORY = "/etc/sysconfig/network-scripts"
VALUES = ALL_VALUES
# initscripts and ifcfg-rh read the file when the bond is brought up: nothing to tell anyone now.
reload = no_reload

# Names initscripts (is_ignored_file) and NetworkManager's ifcfg-rh (utils_should_ignore_file) skip.
_IGNORED = ("~", ".bak", ".old", ".orig", ".rpmnew", ".rpmorig", ".rpmsave", ".rej", ".augnew", ".augtmp")
# initscripts splits BONDING_OPTS with the shell's default IFS.
_WORD_RE = re.compile(r"[^ \t\n]+")


def _files(root: str) -> List[str]:
    return config_files(under(root, DIRECTORY), name_re=r"^ifcfg-", ignored=lambda name: name.endswith(_IGNORED))


def _effective(assigns: List[Assignment], name: str, path: str) -> Optional[Assignment]:
    """The assignment of ``name`` bash ends up with (the last); PersistError when it cannot be read."""
    found = [a for a in assigns if a.name == name]
    if not found:
        return None
    last = found[-1]
    if last.value is None:
        raise PersistError("%s: line %d: cannot read %s: %s; write it as a plain or quoted value"
                           % (path, last.line + 1, name, last.problem))
    return last


def _device(assigns: List[Assignment], path: str) -> str:
    device = _effective(assigns, "DEVICE", path)
    if device is not None:
        return device.value
    base = os.path.basename(path)
    return base[len("ifcfg-"):]


def _is_arp_validate(word: str) -> bool:
    return word.partition("=")[0] == "arp_validate"


def _opts_value(opts: str) -> Optional[str]:
    """The arp_validate the options set (the last word wins, as the kernel sees them in order)."""
    value = None
    for word in _WORD_RE.findall(opts):
        if _is_arp_validate(word):
            value = word.partition("=")[2]
    return value


def _bond_value(content: str, bond: str, path: str) -> Tuple[bool, Optional[str]]:
    assigns = assignments(content)
    if _device(assigns, path) != bond:
        return False, None
    opts = _effective(assigns, "BONDING_OPTS", path)
    return True, (_opts_value(opts.value) if opts else None)


def value_in(content: str, bond: str, path: str = "") -> Optional[str]:
    return _bond_value(content, bond, path)[1]


def locate(root: str, bond: str) -> List[Location]:
    out = []
    for path in _files(root):
        content = read(path)
        defines, value = _bond_value(content, bond, path)
        if defines:
            out.append(Location(NAME, path, value, content))
    return out


def _set(opts: str, value: str, append: bool) -> str:
    """``opts`` with every arp_validate word set to ``value`` (or one appended); other bytes kept."""
    words = list(_WORD_RE.finditer(opts))
    hits = [m for m in words if _is_arp_validate(m.group(0))]
    for m in reversed(hits):
        opts = opts[:m.start()] + "arp_validate=" + value + opts[m.end():]
    if not hits and append:
        at = words[-1].end() if words else len(opts)
        opts = opts[:at] + (" " if words else "") + "arp_validate=" + value + opts[at:]
    return opts


def render(content: str, bond: str, value: str, insert: bool, path: str = "") -> str:
    assigns = assignments(content)
    opts = [a for a in assigns if a.name == "BONDING_OPTS"]
    last = _effective(assigns, "BONDING_OPTS", path)
    edits = []
    for a in opts:
        if a.value is None:
            continue  # overridden by a later, readable BONDING_OPTS (_effective checked the last one)
        new = _set(a.value, value, insert and a is last)
        if new != a.value:
            if a.last_line != a.line:
                raise PersistError("%s: line %d: BONDING_OPTS continues over several lines; netmedic edits "
                                   "one-line values only, please set arp_validate=%s by hand"
                                   % (path, a.line + 1, value))
            edits.append((a, new))
    for a, new in reversed(edits):
        content = content[:a.start] + quote(new, "\"" if a.style == "mixed" else a.style) + content[a.end:]
    if last is None and insert:
        lines = split_lines(content)
        nl = eol(lines)
        if lines and not lines[-1].endswith("\n"):
            content += nl
        content += 'BONDING_OPTS="arp_validate=%s"%s' % (value, nl)
    return content
