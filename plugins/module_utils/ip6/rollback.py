# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ip6_route_cache_flush with rollback (issue 16): verify, and fail, since a flush cannot be undone.

A flushed route cache entry cannot be put back: the kernel creates cache
entries itself, on demand (a PMTU exception when a Packet Too Big arrives,
and before Linux 4.2 a clone on every lookup), and a sticky entry is the
fault the flush removes.  So ``rollback: true`` is verify-and-fail:

1. before the flush, read the health (health.py: the sticky entries, the
   routes the chosen entries sit under, the probe addresses);
2. flush as without it;
3. watch for at most ``rollback_window`` seconds, ending once no sticky
   entry is back, every watched route is there and every probe answers, and
   that held ``rollback_settle`` seconds; sticky entries still there right
   after the flush are judged at once (the cause persists: waiting does not
   make them go);
4. when worse: nothing is undone, and the task fails with ``last_result:
   rollback_failed``, ``undone: []``, ``undo_error`` saying why nothing can
   be, what got worse and the state now, so the maintenance playbooks stop.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import ipaddress
import time
from typing import Any, Callable, Dict, List, Sequence, Tuple

from ansible_collections.netmedic.network.plugins.module_utils.core import rollback
from ansible_collections.netmedic.network.plugins.module_utils.core.health import HealthError, read, watch
from ansible_collections.netmedic.network.plugins.module_utils.ip6.flush import FlushError, Outcome, flush_planned, plan
from ansible_collections.netmedic.network.plugins.module_utils.ip6.health import Ip6Health

CANNOT_UNDO = ("a route cache entry cannot be restored (the kernel creates cache entries itself, on demand, and a "
               "flushed sticky entry is the fault itself): nothing was undone")


def parse_probes(values: Sequence[Any]) -> List[str]:
    """IPv6 addresses (not prefixes), normalised; ValueError naming the value otherwise."""
    out = []
    for value in values or []:
        try:
            address = ipaddress.ip_address(str(value).strip())
        except ValueError:
            raise ValueError("%r is not an IPv6 address" % (value,)) from None
        if address.version != 6:
            raise ValueError("%r is not an IPv6 address" % (value,))
        out.append(str(address))
    return out


def message(rec: rollback.Record) -> str:
    """The failure message: what is worse after the flush, that nothing was undone and why, the state now."""
    return ("ROLLBACK FAILED: after the flush, within %.1f s: %s; %s. State now: %s"
            % (rec.detected_after or 0.0, "; ".join(rec.worse), CANNOT_UNDO, rec.state_now))


def ensure(runner, scope: str, destinations: Sequence[ipaddress.IPv6Network], probes: Sequence[str],
           settings: rollback.Settings, command_timeout: float, total_timeout: float, check_mode: bool = False,
           clock: Callable[[], float] = time.monotonic,
           sleep: Callable[[float], None] = time.sleep) -> Tuple[Outcome, rollback.Record]:
    """Plan, read the health, flush, watch; (outcome, record).  FlushError when nothing could be done."""
    deadline = clock() + total_timeout
    the_plan = plan(runner, scope, destinations, timeout=min(command_timeout, total_timeout))
    desired: Dict[str, Any] = {"scope": scope, "destinations": [str(d) for d in destinations]}
    if settings.enabled:
        desired["probes"] = list(probes)
    rec = rollback.record(settings, desired)
    health = Ip6Health(runner, the_plan, destinations, probes, min(command_timeout, total_timeout))
    if the_plan.chosen:
        try:
            rollback.before(settings, health, rec)
        except HealthError as exc:
            raise FlushError("%s. Nothing was flushed." % exc) from None
    started = clock()
    out = flush_planned(runner, the_plan, deadline, command_timeout, total_timeout, check_mode, clock)
    if not settings.enabled:
        return out, _plain_record(rec, out, check_mode)
    if not the_plan.chosen:
        rec.last_result = rollback.UNCHANGED
    elif check_mode:
        rec.last_result = rollback.WOULD_CHANGE
    elif out.back:
        _worse(health, rec, read_or_none(health), clock() - started, fallback=out.error)
    elif out.error:
        rec.last_result = rollback.FAILED
    else:
        rec.last_result = rollback.APPLIED
        seen = watch(health, rec.before, settings.window, settings.settle, settings.interval, clock, sleep)
        rec.after, rec.watch_seconds = seen.after, round(seen.seconds, 3)
        if seen.healthy:
            rec.healthy_after = round(seen.healthy_after or 0.0, 3)
        else:
            _worse(health, rec, seen.after, clock() - started, worse=seen.worse)
    return out, rec


def read_or_none(health: Ip6Health):
    try:
        return read(health)
    except HealthError:
        return None


def _worse(health: Ip6Health, rec: rollback.Record, after, seconds: float, worse: List[str] = None,
           fallback: str = None) -> None:
    rec.after = after
    if worse is None:
        worse = health.compare(rec.before, after) if after is not None else ["the IPv6 routes cannot be read"]
    rec.worse = worse or [fallback or "the health after the flush is worse"]
    rec.detected_after = round(seconds, 3)
    rec.watch_seconds = rec.watch_seconds if rec.watch_seconds is not None else rec.detected_after
    rec.undone = []
    rec.undo_error = CANNOT_UNDO
    rec.last_result = rollback.ROLLBACK_FAILED
    rec.state_now = health.describe(after) + "; left as found"


def _plain_record(rec: rollback.Record, out: Outcome, check_mode: bool) -> rollback.Record:
    """Without the setting: what was asked, the cache counts before and after, the outcome."""
    the_plan = out.plan
    return rollback.outcome_record(
        rec.desired, out.changed, check_mode, bool(out.error),
        {"cache_entries": len(the_plan.cache), "sticky": len(the_plan.sticky)},
        {"cache_entries": out.entries_after, "remaining": len(out.remaining)})
