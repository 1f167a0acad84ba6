# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Verify-or-roll-back for the fix modules (issue 16): the settings, the protocol, the result.

Like nmstate's checkpoints, ``netplan try`` or frr-k8s's last good config: a
change is not trusted until the network proves it healthy.  With
``rollback: true`` a fix module runs :func:`guard`:

1. snapshot the area's health (:mod:`core.health`; ``<area>/health.py``);
2. apply the change (the area's own apply, unchanged);
3. watch for at most ``rollback_window`` seconds, and no longer than the
   health needs to hold for ``rollback_settle`` seconds;
4. if something that was healthy before is worse, undo (``<area>/rollback.py``:
   the area's own way back), verify the undo, watch the health come back,
   and fail the task with what got worse, what was undone and the state now.

An undo that fails (the daemon killed mid-undo, a file that cannot be
written) says exactly that, and what the host is in now: ``last_result`` is
``rollback_failed``.

Every fix module returns :class:`Record` as its ``rollback`` result, with or
without the setting: ``desired`` (what the task asked for), ``before`` and
``after`` (the health snapshots; null without the setting), ``last_result``
(like frr-k8s's last reload result) and, when the change was watched, what was
watched, what got worse, what was undone and the state now.  The maintenance
playbooks stop the batch when ``last_result`` is ``rolled_back`` or
``rollback_failed``.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any, Callable, Dict, List, Optional

from ansible_collections.netmedic.network.plugins.module_utils.core.health import Health, HealthError, read, watch
from ansible_collections.netmedic.network.plugins.module_utils.core.params import SECONDS, SECONDS_OR_ZERO

# last_result values
UNCHANGED = "unchanged"            # nothing needed changing
WOULD_CHANGE = "would_change"      # check mode: something would change
APPLIED = "applied"                # changed (and, with rollback, the health held)
ROLLED_BACK = "rolled_back"        # changed, the health got worse, the change was undone
ROLLBACK_FAILED = "rollback_failed"  # changed, the health got worse, and the undo failed
FAILED = "failed"                  # the change itself failed (the module's message says how far it got)
STOP_BATCH = (ROLLED_BACK, ROLLBACK_FAILED)

# The module options every fix module with rollback shares, and their ranges (params.check_module_ranges).
RANGES = {"rollback_window": SECONDS, "rollback_settle": SECONDS_OR_ZERO}
DEFAULT_WINDOW = 60.0
DEFAULT_SETTLE = 5.0
POLL_INTERVAL = 0.5


class UndoFailed(Exception):
    """The undo did not (fully) work; ``str()`` says what failed, ``undone`` what was undone before."""

    def __init__(self, message: str, undone: Optional[List[str]] = None):
        super().__init__(message)
        self.undone = list(undone or [])


@dataclasses.dataclass(frozen=True)
class Settings:
    """``rollback``, ``rollback_window``, ``rollback_settle`` (module option names; see docs/rollback.md)."""

    enabled: bool = False
    window: float = DEFAULT_WINDOW
    settle: float = DEFAULT_SETTLE
    interval: float = POLL_INTERVAL

    @classmethod
    def from_params(cls, params: Dict[str, Any]) -> "Settings":
        return cls(enabled=bool(params.get("rollback")), window=params.get("rollback_window", DEFAULT_WINDOW),
                   settle=params.get("rollback_settle", DEFAULT_SETTLE))


@dataclasses.dataclass
class Record:
    """The ``rollback`` result of every fix module (desired / before / after / last_result)."""

    enabled: bool
    desired: Any
    last_result: str = UNCHANGED
    before: Optional[Dict[str, Any]] = None
    after: Optional[Dict[str, Any]] = None
    window: Optional[float] = None
    watched: List[str] = dataclasses.field(default_factory=list)
    worse: List[str] = dataclasses.field(default_factory=list)
    undone: List[str] = dataclasses.field(default_factory=list)
    state_now: Optional[str] = None
    detected_after: Optional[float] = None   # seconds from the change until the watch gave up on it
    healthy_after: Optional[float] = None    # seconds from the change until the health held
    watch_seconds: Optional[float] = None    # the time the watch added to the task
    undo_error: Optional[str] = None

    @property
    def stop_batch(self) -> bool:
        return self.last_result in STOP_BATCH

    def to_result(self) -> Dict[str, Any]:
        return dataclasses.asdict(self)

    def message(self) -> str:
        """The failure message of a rollback (what got worse, what was undone, the state now)."""
        worse = "; ".join(self.worse)
        if self.last_result == ROLLED_BACK:
            return ("ROLLED BACK: the change made the host worse within %s s (%s). Undone: %s. State now: %s"
                    % (_num(self.detected_after), worse, "; ".join(self.undone) or "nothing", self.state_now))
        return ("ROLLBACK FAILED: the change made the host worse within %s s (%s), and undoing it failed: %s. "
                "Undone before that: %s. State now: %s"
                % (_num(self.detected_after), worse, self.undo_error, "; ".join(self.undone) or "nothing",
                   self.state_now))


def _num(value: Optional[float]) -> str:
    return "?" if value is None else "%.1f" % value


def outcome_record(desired: Any, changed: bool, check_mode: bool, failed: bool, before: Any = None,
                   after: Any = None) -> Record:
    """The record of a fix module without the rollback setting (its change cannot be undone, or is its
    own verify-and-back-off): what was asked, the state before and after as the module saw it, the result."""
    if failed:
        last = FAILED
    elif not changed:
        last = UNCHANGED
    else:
        last = WOULD_CHANGE if check_mode else APPLIED
    return Record(enabled=False, desired=desired, last_result=last, before=before, after=after)


def record(settings: Settings, desired: Any) -> Record:
    return Record(enabled=settings.enabled, desired=desired, window=settings.window if settings.enabled else None)


def before(settings: Settings, health: Health, rec: Record) -> None:
    """The snapshot before the change (with the setting on), and what will be watched; HealthError when the
    health cannot be read: a change we could not judge is not made under rollback."""
    if not settings.enabled:
        return
    try:
        rec.before = read(health)
    except HealthError as exc:
        raise HealthError("rollback: the health before the change cannot be read, so the change could not be "
                          "judged (%s)" % exc) from None
    rec.watched = health.watched(rec.before)


def guard(settings: Settings, health: Health, rec: Record, undo: Callable[[], List[str]],
          clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> Record:
    """After the change was applied (``rec.before`` taken by :func:`before`): watch, and undo when worse.

    ``undo()`` returns what it undid (sentences), after verifying it; it
    raises :class:`UndoFailed` when it could not.  Returns ``rec`` with
    ``last_result`` ``applied``, ``rolled_back`` or ``rollback_failed``.
    """
    rec.last_result = APPLIED
    if not settings.enabled:
        return rec
    seen = watch(health, rec.before, settings.window, settings.settle, settings.interval, clock, sleep)
    rec.after, rec.watch_seconds = seen.after, round(seen.seconds, 3)
    if seen.healthy:
        rec.healthy_after = round(seen.healthy_after or 0.0, 3)
        return rec
    return undo_and_report(settings, health, rec, undo, seen.worse, seen.seconds, clock, sleep)


def undo_and_report(settings: Settings, health: Health, rec: Record, undo: Callable[[], List[str]],
                    worse: List[str], detected_after: float, clock: Callable[[], float] = time.monotonic,
                    sleep: Callable[[float], None] = time.sleep) -> Record:
    """The change made ``worse`` (seen ``detected_after`` seconds after it): undo, and watch the health back."""
    rec.worse = list(worse)
    rec.detected_after = round(detected_after, 3)
    rec.watch_seconds = rec.watch_seconds or rec.detected_after
    try:
        rec.undone = undo()
    except UndoFailed as exc:
        rec.undone = exc.undone
        rec.undo_error = str(exc)
        rec.last_result = ROLLBACK_FAILED
    else:
        rec.last_result = ROLLED_BACK
    # the state now: the health again (watched until it is back, at most one more window)
    back = watch(health, rec.before, settings.window, 0.0, settings.interval, clock, sleep)
    rec.after = back.after
    rec.watch_seconds = round(rec.watch_seconds + back.seconds, 3)
    now = health.describe(back.after) if back.after is not None else "the health cannot be read"
    rec.state_now = now + ("; back as before the change" if back.healthy else
                           "; still worse than before the change: %s" % "; ".join(back.worse))
    return rec
