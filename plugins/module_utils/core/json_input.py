# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parse JSON printed by another program (``ip -j``, ``vtysh ... json``) in one place.

``json.loads`` raises ``ValueError`` on bad text, but ``RecursionError`` on
deeply nested text: 100,000 ``[`` from a broken ``ip`` crashed the
ipv6_route_cache audit with a traceback instead of a finding (issue 11).  A
document that parses but nests deeper than any real output (``ip -j`` nests 4
levels, vtysh 6) is refused too, so that the code reading it (``str()``,
``repr()``, comparisons) cannot hit the recursion limit later either.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import json
from typing import Any, Type

# Real outputs nest under 10 levels; far below Python's recursion limit (1000).
MAX_DEPTH = 64


def load_json(text: str, what: str, error: Type[Exception] = ValueError, max_depth: int = MAX_DEPTH) -> Any:
    """The parsed document, or ``error("'WHAT' did not print JSON (...): first line")``.

    ``what`` names the command (or file) the text came from, for the operator.
    Empty text is an error too: callers that accept it check before.
    """
    stripped = (text or "").strip()
    first = stripped.splitlines()[0][:200] if stripped else "(nothing)"
    try:
        data = json.loads(stripped)
    except RecursionError:
        raise error("'%s' printed JSON nested too deeply to read: %s" % (what, first[:80])) from None
    except ValueError as exc:
        raise error("'%s' did not print JSON (%s): %s" % (what, exc, first)) from None
    if _too_deep(data, max_depth):
        raise error("'%s' printed JSON nested more than %d levels deep: %s" % (what, max_depth, first[:80]))
    return data


def _too_deep(data: Any, limit: int) -> bool:
    """True when ``data`` nests lists/dicts more than ``limit`` levels (iterative: no recursion)."""
    stack = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False
