# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""tinc's own view of its peers: the SIGUSR1 (connections) and SIGUSR2 (nodes) dumps in its log.

tinc 1.0 has no control socket: ``SIGUSR1`` makes it log its connections and
``SIGUSR2`` its nodes, edges and subnets.  It logs from inside its signal
handlers, so signals are sent sparingly (never while it starts).

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import dataclasses
import re
import signal
import time
from typing import Callable, List, Optional, TypeVar

from ansible_collections.netmedic.network.plugins.module_utils.core import procfs
from ansible_collections.netmedic.network.plugins.module_utils.tinc.tinc_log import TincLog, strip_log_prefix

# connection_status_t / node_status_t bits of tinc 1.0 (src/connection.h, src/node.h)
CONN_ACTIVE = 0x0002
NODE_REACHABLE = 0x0010

CONN_LINE_RE = re.compile(r"^\s*(\S+) at (.+?) options [0-9a-fA-F]+ socket -?\d+ status ([0-9a-fA-F]+)")
NODE_LINE_RE = re.compile(r"^\s*(\S+) at (.+?) cipher .*? status ([0-9a-fA-F]+)")

T = TypeVar("T")


@dataclasses.dataclass
class TincConnection:
    name: str
    address: str
    status: int

    @property
    def active(self) -> bool:
        return bool(self.status & CONN_ACTIVE)


@dataclasses.dataclass
class TincNode:
    name: str
    address: str
    status: int

    @property
    def reachable(self) -> bool:
        return bool(self.status & NODE_REACHABLE)


def parse_dump(lines: List[str], begin: str, end: str) -> Optional[List[str]]:
    """Lines of the LAST complete ``begin`` ... ``end`` block, or None."""
    block: Optional[List[str]] = None
    current: Optional[List[str]] = None
    for raw in lines:
        line = strip_log_prefix(raw.rstrip("\n"))
        if line.strip() == begin:
            current = []
        elif line.strip() == end:
            if current is not None:
                block = current
            current = None
        elif current is not None:
            current.append(line)
    return block


def _entries(lines: List[str], begin: str, end: str, pattern: re.Pattern, make: Callable[[str, str, int], T]
             ) -> Optional[List[T]]:
    """The entries ``NAME at ADDRESS ... status HEX`` of the last complete dump block, or None."""
    block = parse_dump(lines, begin, end)
    if block is None:
        return None
    matches = (pattern.match(line) for line in block)
    return [make(m.group(1), m.group(2), int(m.group(3), 16)) for m in matches if m]


def parse_connections(lines: List[str]) -> Optional[List[TincConnection]]:
    return _entries(lines, "Connections:", "End of connections.", CONN_LINE_RE, TincConnection)


def parse_nodes(lines: List[str]) -> Optional[List[TincNode]]:
    return _entries(lines, "Nodes:", "End of nodes.", NODE_LINE_RE, TincNode)


def connection_view(log: TincLog, proc: procfs.ProcessInfo, settle: float = 0.02, tries: int = 10,
                    sleep: Callable[[float], None] = time.sleep, root: str = "/") -> Optional[List[TincConnection]]:
    """Ask the identified tincd (SIGUSR1) for its connections and read the dump; None when unreadable."""
    log.mark()
    if procfs.send_signal(proc, signal.SIGUSR1, root):
        return None
    for _attempt in range(tries):
        sleep(settle)
        conns = parse_connections(log.new_lines(proc.pid))
        if conns is not None:
            return conns
    return None


def full_dump(log: TincLog, proc: procfs.ProcessInfo, sleep: Callable[[float], None] = time.sleep,
              root: str = "/") -> List[str]:
    """Ask the identified tincd for both dumps (SIGUSR1, then SIGUSR2); the log lines written since ``log``'s mark."""
    lines: List[str] = []
    for sig, parse in ((signal.SIGUSR1, parse_connections), (signal.SIGUSR2, parse_nodes)):
        if procfs.send_signal(proc, sig, root):
            break  # not our tincd any more: no dump to wait for
        for _attempt in range(60):  # a busy tincd (a storm just ended) can take a while
            sleep(0.05)
            lines = log.new_lines(proc.pid)
            if parse(lines) is not None:
                break
    return lines


def found_dump(lines: List[str]) -> bool:
    """``lines`` hold a complete connection or node dump."""
    return parse_connections(lines) is not None or parse_nodes(lines) is not None
