# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every bond persistence backend shares: the error, a located file, INI edits.

A backend (``persist/<name>.py``) finds the files that configure a bond
(:func:`locate`, returning :class:`Location` objects with the arp_validate value
the file persists, or None) and rewrites one file's text (:func:`render`),
changing only the one setting and keeping every other byte: comments, line
endings (CRLF, mixed, a last line without newline), a byte order mark.  It
declares the values it can persist (``VALUES``: :data:`ALL_VALUES` or
:data:`STRICT_VALUES`, never a list of its own) and how its owning tool is
told about a changed file (``reload(runner, paths)``, the commands it ran;
:func:`no_reload` where the tool reads the file only when the bond is brought
up again).

Each backend lists the files its owning tool reads with the tool's own rules
(``config_files`` with the tool's suffix and ignore rules), and says so in its
docstring: a file the tool ignores must not count as configuration, and a
backup must never land where the tool reads it (:data:`BACKUP_ROOT`).

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import dataclasses
import os
import re
from typing import Callable, List, Optional, Tuple

from ansible_collections.netmedic.network.plugins.module_utils.bond.sysfs import ARP_VALIDATE_VALUES
from ansible_collections.netmedic.network.plugins.module_utils.core.fileops import FileOpError, read_text
from ansible_collections.netmedic.network.plugins.module_utils.core.runner import Runner

# Every value the kernel knows: ifupdown, NetworkManager and ifcfg hand the word to the kernel.
ALL_VALUES = ARP_VALIDATE_VALUES
# Without the filter values (Linux 3.15): systemd.netdev(5) ARPValidate= knows only these
# ("Failed to parse bond arp validate, ignoring: filter"), and netplan (0.106) accepts
# only these too, since it renders them for networkd.
STRICT_VALUES = tuple(v for v in ARP_VALIDATE_VALUES if not v.startswith("filter"))


class PersistError(Exception):
    """A configuration file that cannot be read, parsed or changed; ``str()`` is for operators."""


class NotConfigured(PersistError):
    """No configuration file of the backend(s) asked about defines the bond."""


@dataclasses.dataclass
class Location:
    """One file that configures a bond, and the arp_validate value it persists (None: not set)."""

    backend: str
    path: str
    value: Optional[str]
    content: str
    # The file defines the bond itself (not only a drop-in that overrides a setting).
    primary: bool = True


def no_reload(runner: Runner, paths: List[str]) -> List[str]:
    """The reload step of a backend whose tool reads its files only when the bond is brought up."""
    return []


def under(root: str, path: str) -> str:
    """``path`` (absolute on the host) under ``root``."""
    return os.path.join(root or "/", path.lstrip("/"))


# Every backup of every backend goes here (under root), mirroring the original path
# (/etc/netplan/50.yaml -> /var/backups/netmedic/etc/netplan/50.yaml.<stamp>.netmedic.bak),
# so two files of one name in different directories never collide.  No network tool
# reads /var/backups; a backup next to the file would be read as configuration by
# NetworkManager (bond0.nmconnection.<stamp>.netmedic.bak: a second bond0 profile) and
# by ifupdown's `source interfaces.d/*`.
BACKUP_ROOT = "/var/backups/netmedic"


def backup_dir(root: str, path: str) -> str:
    """The directory that receives the backups of ``path`` (a file under ``root``)."""
    base = os.path.abspath(root or "/")
    rel = os.path.relpath(os.path.dirname(os.path.abspath(path)), base)
    if rel == os.curdir:
        rel = ""
    elif rel.startswith(os.pardir):
        raise PersistError("%s is not under root %s" % (path, base))
    return os.path.join(under(root, BACKUP_ROOT), rel)


def read(path: str) -> str:
    try:
        return read_text(path)
    except FileOpError as exc:
        raise PersistError(str(exc)) from None


_LEFTOVERS = ("~", ".bak", ".orig", ".rpmnew", ".rpmsave", ".dpkg-old", ".dpkg-dist", ".netmedic.tmp", ".swp")


def config_files(directory: str, suffixes: Tuple[str, ...] = (), name_re: Optional[str] = None,
                 ignored: Callable[[str], bool] = lambda name: name.endswith(_LEFTOVERS)) -> List[str]:
    """Regular files in ``directory`` (sorted) that the owning tool reads.

    Hidden files are never read; ``ignored(name)`` is the tool's own ignore
    rule (by default: backups and editor leftovers).
    """
    try:
        names = sorted(os.listdir(directory))
    except (FileNotFoundError, NotADirectoryError):
        return []
    except OSError as exc:
        raise PersistError("%s: cannot list: %s" % (directory, exc.strerror)) from None
    out = []
    for name in names:
        if name.startswith(".") or ignored(name):
            continue
        if suffixes and not name.endswith(suffixes):
            continue
        if name_re and not re.match(name_re, name):
            continue
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            out.append(path)
    return out


def split_lines(content: str) -> List[str]:
    """Lines with their endings (a last line without newline stays without).

    Only ``\n`` ends a line (``\r\n`` stays one ending): ``str.splitlines``
    would also split at form feeds, ``\x1c``-``\x1e``, U+0085, U+2028 and U+2029,
    which no tool here treats as a line break.
    """
    return re.findall(r"[^\n]*\n|[^\n]+$", content)


BOM = "\ufeff"


def strip_bom(content: str) -> Tuple[str, str]:
    """``(bom, text)``: YAML and systemd skip a leading byte order mark, so the parsers do too."""
    return (BOM, content[1:]) if content.startswith(BOM) else ("", content)


def eol(lines: List[str]) -> str:
    for line in lines:
        if line.endswith("\r\n"):
            return "\r\n"
        if line.endswith("\n"):
            return "\n"
    return "\n"


# ----------------------------------------------------------------- INI (keyfile, .netdev)

_SECTION_RE = re.compile(r"^\s*\[([^\]]+)\]\s*$")


def ini_sections(lines: List[str], comments: str = "#;") -> List[Tuple[str, int, int]]:
    """``(name, header_index, end_index)`` for each section; ``end`` is exclusive."""
    heads = []
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped and stripped[0] in comments:
            continue
        m = _SECTION_RE.match(line)
        if m:
            heads.append((m.group(1).strip(), i))
    out = []
    for n, (name, start) in enumerate(heads):
        end = heads[n + 1][1] if n + 1 < len(heads) else len(lines)
        out.append((name, start, end))
    return out


def _key_re(key: str) -> "re.Pattern":
    return re.compile(r"^(\s*%s\s*=[ \t]*)(.*?)(\s*)$" % re.escape(key))


def ini_values(content: str, section: str, key: str, comments: str = "#;") -> List[str]:
    """Every value of ``key`` in sections named ``section``, in file order."""
    lines = split_lines(content)
    rx = _key_re(key)
    values = []
    for name, start, end in ini_sections(lines, comments):
        if name != section:
            continue
        for line in lines[start + 1:end]:
            if line.strip()[:1] in tuple(comments):
                continue
            m = rx.match(line.rstrip("\r\n"))
            if m:
                values.append(m.group(2).strip())
    return values


def ini_set(content: str, section: str, key: str, value: str, insert: bool, comments: str = "#;") -> str:
    """Set ``key=value`` wherever the key appears in ``section``; else add it (when ``insert``).

    The key is added after the last key line of the last such section, or in a
    new section at the end of the file.  Spacing around ``=`` and every other
    line stay as they were.
    """
    lines = split_lines(content)
    nl = eol(lines)
    rx = _key_re(key)
    found = False
    sections = [s for s in ini_sections(lines, comments) if s[0] == section]
    for _name, start, end in sections:
        for i in range(start + 1, end):
            line = lines[i]
            if line.strip()[:1] in tuple(comments):
                continue
            ending = line[len(line.rstrip("\r\n")):]
            m = rx.match(line.rstrip("\r\n"))
            if m:
                found = True
                lines[i] = m.group(1) + value + m.group(3) + ending
    if found or not insert:
        return "".join(lines)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += nl
    if sections:
        _name, start, end = sections[-1]
        at = start + 1
        for i in range(start + 1, end):
            s = lines[i].strip()
            if s and s[0] not in comments:
                at = i + 1
        lines.insert(at, "%s=%s%s" % (key, value, nl))
    else:
        if lines and lines[-1].strip():
            lines.append(nl)
        lines.append("[%s]%s%s=%s%s" % (section, nl, key, value, nl))
    return "".join(lines)
