# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every bond persistence backend shares: the error, a located file, INI edits.

A backend (``bond_persist_<name>.py``) finds the files that configure a bond
(:func:`locate`, returning :class:`Location` objects with the arp_validate value
the file persists, or None) and rewrites one file's text (:func:`render`),
changing only the one setting and keeping every other line and comment.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import dataclasses
import os
import re
from typing import List, Optional, Tuple

from ansible_collections.netmedic.network.plugins.module_utils.fileops import FileOpError, read_text


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


def under(root: str, path: str) -> str:
    """``path`` (absolute on the host) under ``root``."""
    return os.path.join(root or "/", path.lstrip("/"))


def read(path: str) -> str:
    try:
        return read_text(path)
    except FileOpError as exc:
        raise PersistError(str(exc)) from None


_LEFTOVERS = ("~", ".bak", ".orig", ".rpmnew", ".rpmsave", ".dpkg-old", ".dpkg-dist", ".netmedic.tmp", ".swp")


def config_files(directory: str, suffixes: Tuple[str, ...] = (), name_re: Optional[str] = None) -> List[str]:
    """Regular files in ``directory`` (sorted), skipping backups and editor leftovers."""
    try:
        names = sorted(os.listdir(directory))
    except (FileNotFoundError, NotADirectoryError):
        return []
    except OSError as exc:
        raise PersistError("%s: cannot list: %s" % (directory, exc.strerror)) from None
    out = []
    for name in names:
        if name.startswith(".") or name.endswith(_LEFTOVERS):
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
    """Lines with their endings (a last line without newline stays without)."""
    return content.splitlines(True)


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
