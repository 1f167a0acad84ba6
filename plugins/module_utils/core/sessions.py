# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The postflight's "which sessions came back": sessions of the preflight's snapshots against those of now.

An audit that records sessions puts ``{"sessions": {NAME: {"up": bool,
"state": str, "established_epoch": number or null,
"connections_established": int or null}}}`` in its snapshot (the bgp audit:
``snapshots.bgp``, bgp/snapshot.py).  The report keeps the preflight's
(``hosts.<h>.snapshots``); the postflight compares, per host:

* ``back``: up now, and down then or established again since (its
  ``connections_established`` grew or its ``established_epoch`` moved): the
  maintenance bounced it and it came back;
* ``down``: down now, up then (lost since the preflight);
* ``still_down``: down then and now;
* ``steady``: how many stayed up without a reset; ``compared``: false when either
  side has no sessions recorded (an older report, or the audit did not run).

Sessions only one side knows (added or removed in the configuration) are left
out.  Pure functions on the reports' data; standard library only.
"""

from __future__ import annotations

from typing import Any, Dict, Mapping


def _sessions(snapshots: Any) -> Dict[str, Mapping[str, Any]]:
    """Every recorded session of a host's snapshots (by the audit's name for it)."""
    out: Dict[str, Mapping[str, Any]] = {}
    if not isinstance(snapshots, Mapping):
        return out
    for snap in snapshots.values():
        sessions = snap.get("sessions") if isinstance(snap, Mapping) else None
        if isinstance(sessions, Mapping):
            out.update((str(k), v) for k, v in sessions.items() if isinstance(v, Mapping))
    return out


def baseline_snapshots(baseline: Any, host: str) -> Any:
    """The snapshots the preflight report kept for ``host`` (None when it has none)."""
    if not isinstance(baseline, Mapping) or not isinstance(baseline.get("hosts"), Mapping):
        return None
    data = baseline["hosts"].get(host)
    return data.get("snapshots") if isinstance(data, Mapping) else None


def _number(value: Any):
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _bounced(before: Mapping[str, Any], now: Mapping[str, Any]) -> bool:
    for key in ("connections_established", "established_epoch"):
        a, b = _number(before.get(key)), _number(now.get(key))
        if a is not None and b is not None and b > a:
            return True
    return False


def compare(before_snapshots: Any, now_snapshots: Any) -> Dict[str, Any]:
    """``{"back": [...], "down": [...], "still_down": [...], "steady": N, "compared": bool}``."""
    before, now = _sessions(before_snapshots), _sessions(now_snapshots)
    out: Dict[str, Any] = {"back": [], "down": [], "still_down": [], "steady": 0, "compared": bool(before and now)}
    for name in sorted(set(before) & set(now)):
        was, is_up = before[name].get("up") is True, now[name].get("up") is True
        if is_up and (not was or _bounced(before[name], now[name])):
            out["back"].append(name)
        elif is_up:
            out["steady"] += 1
        elif was:
            out["down"].append(name)
        else:
            out["still_down"].append(name)
    return out


def line(entry: Mapping[str, Any], limit: int = 5) -> str:
    """``sessions back: peer 10.0.0.1; down: none`` (empty when nothing was compared)."""
    if not entry.get("compared"):
        return ""

    def names(key):
        items = entry.get(key) or []
        more = " and %d more" % (len(items) - limit) if len(items) > limit else ""
        return (", ".join(items[:limit]) + more) if items else "none"
    text = "sessions back: %s; down since the preflight: %s" % (names("back"), names("down"))
    if entry.get("still_down"):
        text += "; still down: %s" % names("still_down")
    return text
