# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Watch the health of what a fix changed: one loop for every area (issue 16).

An area's health (``<area>/health.py``) is a :class:`Health`: a cheap,
read-only :meth:`~Health.snapshot` (a JSON-able dict), a
:meth:`~Health.compare` of a snapshot taken after the change with the one
taken before (the sentences saying what got worse; empty when nothing did),
the sentences saying what is :meth:`~Health.watched`, and a one-line
:meth:`~Health.describe` of a snapshot.

:func:`watch` polls the snapshot until the change has proved itself or the
window is over.  It does not sleep the whole window after a good change:
the health must only *hold* for ``settle`` seconds (every session that was
up is up, no bond without its active slave...), because a change that
breaks something breaks it within seconds (a wrong ``remote-as`` resets the
session at once, a deny-all route-map withdraws the routes with the route
refresh FRR sends on the change, the bond's ARP monitor drops a slave after
``arp_interval`` times its missed-probe count).  A snapshot that cannot be
read counts as worse (the daemon that answers it may be gone).

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any, Callable, Dict, List, Optional

Snapshot = Dict[str, Any]


class HealthError(Exception):
    """The health could not be read; ``str()`` is for operators."""


class Health:
    """An area's health: override the four methods (see the module's docstring)."""

    def snapshot(self) -> Snapshot:
        raise NotImplementedError

    def compare(self, before: Snapshot, after: Snapshot) -> List[str]:
        raise NotImplementedError

    def watched(self, before: Snapshot) -> List[str]:
        raise NotImplementedError

    def describe(self, snapshot: Snapshot) -> str:
        raise NotImplementedError


@dataclasses.dataclass
class Watch:
    """What one watch saw: the last snapshot, what was worse in it, and when the health held."""

    after: Optional[Snapshot]
    worse: List[str]
    seconds: float                      # how long the watch took
    healthy_after: Optional[float]      # seconds from the start until the health held (None: it never did)
    samples: int

    @property
    def healthy(self) -> bool:
        return not self.worse


def read(health: Health) -> Snapshot:
    """``health.snapshot()``; HealthError for anything it raises that an area's reader raises on bad output."""
    try:
        return health.snapshot()
    except HealthError:
        raise
    except (OSError, ValueError) as exc:
        raise HealthError(str(exc)) from None


def watch(health: Health, before: Snapshot, window: float, settle: float, interval: float = 0.5,
          clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> Watch:
    """Poll until the health has held for ``settle`` seconds, or ``window`` seconds are over.

    At the end of the window the last snapshot decides.  ``settle`` at or
    above ``window`` watches the whole window.  Never longer than ``window``
    plus one snapshot.
    """
    start = clock()
    held_since: Optional[float] = None
    healthy_after: Optional[float] = None
    samples = 0
    after: Optional[Snapshot] = None
    while True:
        samples += 1
        try:
            after = read(health)
            worse = health.compare(before, after)
        except HealthError as exc:
            after, worse = None, ["the health could not be read: %s" % exc]
        now = clock()
        if worse:
            held_since = None
        elif held_since is None:
            held_since = now
            healthy_after = now - start
        if held_since is not None and now - held_since >= settle:
            return Watch(after, [], now - start, healthy_after, samples)
        if now - start >= window:
            return Watch(after, worse, now - start, healthy_after if not worse else None, samples)
        sleep(max(0.0, min(interval, window - (now - start))))
