# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""netplan: ``network.bonds.<bond>.parameters.arp-validate`` in ``/etc/netplan/*.yaml``.

Managed hosts have no YAML library in the standard library, and a YAML
round trip would lose comments anyway, so this is a small line editor for the
block-style YAML netplan files are written in: it finds the keys by
indentation, changes or adds exactly one line (two when ``parameters:`` is
missing) and leaves every other byte alone.  A bond written in flow style
(``bond0: {interfaces: [...]}``) or through anchors is refused with a clear
message rather than guessed at.

netplan merges files by name in lexical order (later files win), so the value
is changed in every file that sets it, or added to the last file that defines
the bond.  After an edit ``netplan generate`` must run for the rendered
networkd/NetworkManager files to follow; the module does that on a live host.
netplan's own parser (0.106) accepts only none, active, backup and all.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import os
import re
from typing import List, Optional, Tuple

from ansible_collections.netmedic.network.plugins.module_utils.bond_persist_common import (
    Location, PersistError, config_files, eol, read, split_lines, under)

NAME = "netplan"
DESCRIPTION = "netplan YAML (/etc/netplan)"
DIRECTORY = "/etc/netplan"
VALUES = ("none", "active", "backup", "all")
INSERT_INTO_LAST = True

_KEY_RE = re.compile(r"""^( *)("(?:[^"\\]|\\.)*"|'[^']*'|[^\s#'"{}\[\]][^:#]*?) *:(?: +(.*?))? *$""")


def _content(line: str) -> bool:
    s = line.strip()
    return bool(s) and not s.startswith("#") and s != "---" and not s.startswith("%")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _unquote(key: str) -> str:
    if len(key) >= 2 and key[0] == key[-1] and key[0] in "'\"":
        return key[1:-1]
    return key


def _split_value(rest: Optional[str]) -> Tuple[str, str]:
    """``'all  # why'`` -> ``('all', '  # why')``."""
    if not rest:
        return "", ""
    if rest.startswith("#"):
        return "", " " + rest
    if rest[0] in "'\"":
        q = rest[0]
        end = rest.find(q, 1)
        if end > 0:
            return rest[:end + 1], rest[end + 1:]
    m = re.search(r"\s+#", rest)
    if m:
        return rest[:m.start()], rest[m.start():]
    return rest, ""


class _Node:
    def __init__(self, index: int, indent: int, key: str, value: str, end: int):
        self.index, self.indent, self.key, self.value, self.end = index, indent, key, value, end


def _children(lines: List[str], start: int, end: int, parent_indent: int, path: str, where: str) -> List[_Node]:
    """Mapping keys directly under a parent whose block is lines[start:end]."""
    child_indent = None
    nodes: List[_Node] = []
    for i in range(start, end):
        line = lines[i].rstrip("\r\n")
        if not _content(line):
            continue
        if "\t" in line[:_indent(line) + 1]:
            raise PersistError("%s: a tab in the indentation of line %d (YAML forbids it)" % (path, i + 1))
        ind = _indent(line)
        if ind <= parent_indent:
            break
        if child_indent is None:
            child_indent = ind
        if ind != child_indent:
            continue
        m = _KEY_RE.match(line)
        if not m:
            if line.strip().startswith("-"):
                continue  # a list item: a value, not a key
            raise PersistError("%s: line %d under %s is not a 'key: value' line this editor understands"
                               % (path, i + 1, where))
        nodes.append(_Node(i, ind, _unquote(m.group(2).strip()), (m.group(3) or ""), end))
    for n, node in enumerate(nodes):
        stop = end
        for j in range(node.index + 1, end):
            line = lines[j].rstrip("\r\n")
            if _content(line) and _indent(line) <= node.indent:
                stop = j
                break
        node.end = stop
    return nodes


def _descend(lines, path, keys) -> List[Optional[_Node]]:
    """Nodes for each key of ``keys`` (None from the first missing one on)."""
    found: List[Optional[_Node]] = []
    start, end, indent = 0, len(lines), -1
    where = "the top level"
    for key in keys:
        match = None
        for node in _children(lines, start, end, indent, path, where):
            if node.key == key:
                match = node
        if match is None:
            found.extend([None] * (len(keys) - len(found)))
            return found
        value, _comment = _split_value(match.value)
        if key != keys[-1] and value:
            if value.startswith(("{", "[", "&", "*")) or value.startswith("<<"):
                raise PersistError("%s: %s is written in YAML flow style or with anchors (line %d); netmedic "
                                   "edits block style only, please set arp-validate by hand"
                                   % (path, ".".join(keys[:len(found) + 1]), match.index + 1))
            raise PersistError("%s: %s has a scalar value on line %d, expected a mapping"
                               % (path, ".".join(keys[:len(found) + 1]), match.index + 1))
        found.append(match)
        start, end, indent = match.index + 1, match.end, match.indent
        where = ".".join(keys[:len(found)])
    return found


def _keys(bond: str) -> List[str]:
    return ["network", "bonds", bond, "parameters", "arp-validate"]


def _value(content: str, bond: str, path: str) -> Tuple[bool, Optional[str]]:
    nodes = _descend(split_lines(content), path, _keys(bond))
    if nodes[2] is None:
        return False, None
    if nodes[4] is None:
        return True, None
    value, _comment = _split_value(nodes[4].value)
    return True, _unquote(value.strip()) or None


def _files(root: str) -> List[str]:
    return config_files(under(root, DIRECTORY), suffixes=(".yaml", ".yml"))


def locate(root: str, bond: str) -> List[Location]:
    out = []
    files = sorted(_files(root), key=os.path.basename)
    for path in files:
        content = read(path)
        defines, value = _value(content, bond, path)
        if defines:
            out.append(Location(NAME, path, value, content))
    return out


def render(content: str, bond: str, value: str, insert: bool, path: str = "") -> str:
    lines = split_lines(content)
    nl = eol(lines)
    nodes = _descend(lines, path, _keys(bond))
    _net, _bonds, bnode, pnode, vnode = nodes
    if bnode is None:
        return content
    if vnode is not None:
        line = lines[vnode.index]
        ending = line[len(line.rstrip("\r\n")):]
        m = _KEY_RE.match(line.rstrip("\r\n"))
        old, comment = _split_value(m.group(3) or "")
        prefix = line[:line.index(":", len(m.group(1)) + len(m.group(2))) + 1]
        lines[vnode.index] = "%s %s%s%s" % (prefix, value, comment, ending)
        return "".join(lines)
    if not insert:
        return content

    def last_content(node) -> int:
        last = node.index
        for j in range(node.index + 1, node.end):
            if _content(lines[j]):
                last = j
        return last

    def child_indent(node, default_step: int) -> int:
        for j in range(node.index + 1, node.end):
            if _content(lines[j]):
                return _indent(lines[j])
        return node.indent + default_step

    step = max(child_indent(bnode, 2) - bnode.indent, 1)
    if pnode is not None:
        at = last_content(pnode) + 1
        new = ["%s%s: %s%s" % (" " * child_indent(pnode, step), "arp-validate", value, nl)]
    else:
        at = last_content(bnode) + 1
        ind = child_indent(bnode, step)
        new = ["%sparameters:%s" % (" " * ind, nl), "%sarp-validate: %s%s" % (" " * (ind + step), value, nl)]
    if not lines[at - 1].endswith(("\n", "\r")):
        lines[at - 1] += nl
    lines[at:at] = new
    return "".join(lines)
