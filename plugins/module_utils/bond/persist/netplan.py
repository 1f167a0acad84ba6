# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""netplan: ``network.bonds.<bond>.parameters.arp-validate`` in ``/etc/netplan/*.yaml``.

Managed hosts have no YAML library in the standard library, and a YAML
round trip would lose comments anyway, so this is a small line editor for the
block-style YAML netplan files are written in: it finds the keys by
indentation, changes or adds exactly one line (two when ``parameters:`` is
missing) and leaves every other byte alone.  Flow style is fine anywhere this
does not need to descend (``eno1: {}``, ``interfaces: [a, b]``, or
``network: {version: 2}`` in a file that does not mention the bond); on the
path to the value, an empty flow mapping written exactly ``{}``
(``bond0: {}``, ``parameters: {}``) is rewritten into block style (that line
only), and any other flow collection, anchor or alias that may hold the bond
is refused with a clear message rather than guessed at.

Which files count (load rules relied on, netplan(5)): netplan reads
``/{lib,etc,run}/netplan/*.yaml`` (only the ``.yaml`` suffix; a glob, so no
hidden files) and merges them by file name in lexical order, later files
winning, so the value is changed in every file that sets it, or added to the
last file that defines the bond.  Backups go to ``/var/backups/netmedic``,
which netplan never reads.  After an edit ``netplan generate`` must run for
the rendered networkd/NetworkManager files to follow; the module does that on
a live host.  netplan's own parser (0.106) accepts only none, active, backup
and all.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import bisect
import os
import re
from typing import List, Optional, Tuple

from ansible_collections.netmedic.network.plugins.module_utils.bond.persist.common import (
    STRICT_VALUES, Location, PersistError, config_files, eol, read, split_lines, strip_bom, under)
from ansible_collections.netmedic.network.plugins.module_utils.core.runner import Runner

NAME = "netplan"
DESCRIPTION = "netplan YAML (/etc/netplan)"
DIRECTORY = "/etc/netplan"
VALUES = STRICT_VALUES
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


def _outline(lines: List[str]) -> List[Tuple[int, int]]:
    """``(index, indent)`` of every content line (comments, blank lines and directives left out)."""
    return [(i, _indent(line)) for i, line in enumerate(lines) if _content(line)]


def _children(lines: List[str], outline: List[Tuple[int, int]], start: int, end: int, parent_indent: int,
              path: str, where: str) -> List[_Node]:
    """Mapping keys directly under a parent whose block is lines[start:end] (one pass over the block)."""
    child_indent = None
    nodes: List[_Node] = []
    shallow: List[int] = []   # content lines at or left of the children's indent: where a child's block ends
    for i, ind in outline[bisect.bisect_left(outline, (start, -1)):]:
        if i >= end:
            break
        line = lines[i].rstrip("\r\n")
        if "\t" in line[:ind + 1]:
            raise PersistError("%s: a tab in the indentation of line %d (YAML forbids it)" % (path, i + 1))
        if ind <= parent_indent:
            end = i
            break
        if child_indent is None:
            child_indent = ind
        if ind > child_indent:
            continue
        shallow.append(i)
        if ind != child_indent:
            continue
        m = _KEY_RE.match(line)
        if not m:
            if line.strip().startswith("-"):
                continue  # a list item: a value, not a key
            raise PersistError("%s: line %d under %s is not a 'key: value' line this editor understands"
                               % (path, i + 1, where))
        nodes.append(_Node(i, ind, _unquote(m.group(2).strip()), (m.group(3) or ""), end))
    stops = iter(shallow + [end])
    stop = next(stops)
    for node in nodes:
        while stop <= node.index:
            stop = next(stops)
        node.end = stop
    return nodes


# Line breaks YAML (libyaml) knows besides \n: a file with them is not edited line by line.
_OTHER_BREAKS = re.compile("\r(?!\n)|[\x85\u2028\u2029]")
_EMPTY_FLOW = "{}"
BOND_LEVEL = 2   # index of the bond's name in _keys()


def _descend(lines, path, keys) -> List[Optional[_Node]]:
    """Nodes for each key of ``keys`` (None from the first missing one on).

    A node whose value is exactly ``{}`` is an empty mapping: the keys below it
    are missing.  Any other value on the way is refused, unless it is a flow
    collection above the bond's level whose text does not mention the bond
    (``network: {version: 2}`` in another file): then the file does not define
    the bond.
    """
    found: List[Optional[_Node]] = []
    start, end, indent = 0, len(lines), -1
    where = "the top level"
    outline = _outline(lines)
    for key in keys:
        match = None
        for node in _children(lines, outline, start, end, indent, path, where):
            if node.key == key:
                match = node
        if match is None:
            break
        found.append(match)
        value, _comment = _split_value(match.value)
        if key == keys[-1] or not value:
            start, end, indent = match.index + 1, match.end, match.indent
            where = ".".join(keys[:len(found)])
            continue
        here = ".".join(keys[:len(found)])
        if value == _EMPTY_FLOW:
            break
        block = "".join(lines[match.index:match.end])
        if value.startswith(("{", "[")) and len(found) - 1 < BOND_LEVEL and keys[BOND_LEVEL] not in block \
                and "\\" not in block and "*" not in block:
            break  # a flow collection that cannot hold this bond
        if value.startswith(("{", "[", "&", "*", "!")) or value.startswith("<<"):
            raise PersistError("%s: %s is written in YAML flow style or with anchors, aliases or tags (line %d); "
                               "netmedic edits block style only, please set arp-validate by hand"
                               % (path, here, match.index + 1))
        raise PersistError("%s: %s has a scalar value on line %d, expected a mapping" % (path, here, match.index + 1))
    return found + [None] * (len(keys) - len(found))


def _keys(bond: str) -> List[str]:
    return ["network", "bonds", bond, "parameters", "arp-validate"]


def _parse(content: str, bond: str, path: str) -> Tuple[List[str], List[Optional[_Node]]]:
    _bom, text = strip_bom(content)
    if _OTHER_BREAKS.search(text):
        raise PersistError("%s: has a carriage return without a newline or a Unicode line separator, which YAML "
                           "reads as a line break; netmedic edits \\n and \\r\\n line endings only" % path)
    lines = split_lines(text)
    return lines, _descend(lines, path, _keys(bond))


def _is_empty_flow(node: Optional[_Node]) -> bool:
    return node is not None and _split_value(node.value)[0] == _EMPTY_FLOW


def _scalar(lines: List[str], node: _Node, path: str) -> str:
    """The value of ``arp-validate: VALUE`` as written (quotes included); refuses what spans lines."""
    value, _comment = _split_value(node.value)
    tail = [j for j in range(node.index + 1, node.end) if _content(lines[j])]
    if tail or value.startswith(("|", ">", "&", "*", "!", "{", "[")) or \
            (value[:1] in ("'", '"') and (len(value) < 2 or value[-1] != value[0])):
        raise PersistError("%s: line %d: arp-validate has a value netmedic does not edit (several lines, a block "
                           "scalar, an anchor, alias, tag or collection); please set it by hand"
                           % (path, node.index + 1))
    return value


def _value(content: str, bond: str, path: str) -> Tuple[bool, Optional[str]]:
    lines, nodes = _parse(content, bond, path)
    if nodes[BOND_LEVEL] is None:
        return False, None
    if nodes[4] is None:
        return True, None
    return True, _unquote(_scalar(lines, nodes[4], path).strip())


def value_in(content: str, bond: str, path: str = "") -> Optional[str]:
    return _value(content, bond, path)[1]


def _files(root: str) -> List[str]:
    # netplan globs *.yaml only: a .yml file, a backup or a leftover is not configuration.
    return config_files(under(root, DIRECTORY), suffixes=(".yaml",), ignored=lambda name: False)


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
    bom, text = strip_bom(content)
    lines, nodes = _parse(content, bond, path)
    nl = eol(lines)
    _net, bonds, bnode, pnode, vnode = nodes
    if bnode is None:
        return content
    if vnode is not None:
        _scalar(lines, vnode, path)
        line = lines[vnode.index]
        ending = line[len(line.rstrip("\r\n")):]
        m = _KEY_RE.match(line.rstrip("\r\n"))
        _old, comment = _split_value(m.group(3) or "")
        prefix = line[:line.index(":", len(m.group(1)) + len(m.group(2))) + 1]
        lines[vnode.index] = "%s %s%s%s" % (prefix, value, comment, ending)
        return bom + "".join(lines)
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

    def open_empty_flow(node) -> None:
        """``key: {}  # note`` -> ``key:  # note`` (the mapping's children follow in block style)."""
        line = lines[node.index]
        ending = line[len(line.rstrip("\r\n")):]
        m = _KEY_RE.match(line.rstrip("\r\n"))
        _empty, comment = _split_value(m.group(3))
        lines[node.index] = line[:line.index(":", len(m.group(1)) + len(m.group(2))) + 1] + comment + ending

    step = max(bonds.indent - _net.indent, 1)
    if not _is_empty_flow(bnode):
        step = max(child_indent(bnode, step) - bnode.indent, 1)
    if pnode is not None:
        if _is_empty_flow(pnode):
            open_empty_flow(pnode)
        at = last_content(pnode) + 1
        new = ["%s%s: %s%s" % (" " * child_indent(pnode, step), "arp-validate", value, nl)]
    else:
        if _is_empty_flow(bnode):
            open_empty_flow(bnode)
        at = last_content(bnode) + 1
        ind = child_indent(bnode, step)
        new = ["%sparameters:%s" % (" " * ind, nl), "%sarp-validate: %s%s" % (" " * (ind + step), value, nl)]
    if not lines[at - 1].endswith("\n"):
        lines[at - 1] += nl
    lines[at:at] = new
    return bom + "".join(lines)


def reload(runner: Runner, paths: List[str]) -> List[str]:
    """``netplan generate`` once (when netplan is installed), so the files it renders follow; the commands run.

    Only generate: ``netplan apply`` would re-apply the whole network configuration.
    """
    if not runner.available("netplan"):
        return []
    argv = ["netplan", "generate"]
    runner(argv, check=True)
    return [" ".join(argv)]
