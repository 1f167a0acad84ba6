# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The densest burst of events: the most that fit in one time window, and how to say its span.

One job for two callers: the bgp audit's session resets on one reflector (NM-BGP-010) and the
fleet's lost sessions to one peer across hosts (NM-FLEET-001).  Standard library only.
"""

from __future__ import annotations

from typing import Any, Callable, List, Sequence


def densest(events: Sequence[Any], when: Callable[[Any], float], window: float) -> List[Any]:
    """The longest run of ``events`` (sorted by ``when``, ascending) spanning at most ``window``;
    the earliest such run when several are as long.  Two pointers: one pass."""
    best: List[Any] = []
    j = 0
    for i, event in enumerate(events):
        while when(events[j]) < when(event) - window:
            j += 1
        if i - j + 1 > len(best):
            best = list(events[j:i + 1])
    return best


def within(seconds: float) -> str:
    """A burst's span in words: "in the same second" rather than "within 0 s" (events read with one-second
    timestamps, as FRR's last-reset times and hosts' clocks are), else "within N s"."""
    if seconds < 0.5:
        return "in the same second"
    return "within %d s" % max(1, round(seconds))
