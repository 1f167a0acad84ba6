# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Flush IPv6 route cache entries: plan, apply, verify (the ``ip6_route_cache_flush`` module).

* :func:`plan` reads the cache and the FIB and chooses the entries: the sticky
  ones (incident 003), those inside the requested destinations, or the whole
  cache (``scope="all"``).  Read-only: check mode stops here.
* :func:`apply` runs the flushes in ``ip -6 -force -batch -`` calls of at most
  :data:`BATCH_LINES` lines, until done or the overall deadline.
* :func:`verify` reads the cache back and says which chosen entries are gone,
  which remain, and whether that is a failure.

:func:`flush_cache` does the three; its :class:`Outcome` is what the module returns.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
import time
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from ansible_collections.netmedic.network.plugins.module_utils.core.runner import CommandError, CommandTimeout
from ansible_collections.netmedic.network.plugins.module_utils.ip6.cache import (
    STICKY_TYPES, Entry, Route, RouteOutputError, entries, read_state, route_network, route_table, route_type)
from ansible_collections.netmedic.network.plugins.module_utils.ip6.sticky import sticky_entries

SCOPES = ("sticky", "all")
# One `ip` for many flushes, commands on stdin; -force: a failing line does not stop the
# others (what is left is read back and reported).
BATCH_ARGV = ["ip", "-6", "-force", "-batch", "-"]
# Lines per `ip -batch` call, so that the overall deadline is checked between calls.
BATCH_LINES = 200
FLUSH_ALL_ARGV = ["ip", "-6", "route", "flush", "cache", "table", "all"]
# rt_tables names and numbers: nothing that could end a batch line or start another
TABLE_RE = re.compile(r"[A-Za-z0-9_.-]{1,64}")

Command = Tuple[List[str], Optional[str]]  # argv, stdin


class FlushError(Exception):
    """Nothing was flushed because the cache could not be read; ``str()`` is for operators."""


# ---------------------------------------------------------------- plan

def parse_destinations(values: Sequence[str]) -> List[ipaddress.IPv6Network]:
    """IPv6 addresses or prefixes; ValueError with the offending value otherwise."""
    out = []
    for v in values or []:
        try:
            net = ipaddress.ip_network(str(v).strip(), strict=False)
        except ValueError:
            raise ValueError("%r is not an IPv6 address or prefix" % (v,)) from None
        if net.version != 6:
            raise ValueError("%r is not an IPv6 address or prefix" % (v,))
        out.append(net)
    return out


def select_sticky(sticky: Sequence[Entry], destinations: Sequence[ipaddress.IPv6Network]
                  ) -> Tuple[List[Entry], List[str]]:
    """(sticky entries inside ``destinations`` (all when empty), destinations that matched no sticky entry)."""
    if not destinations:
        return list(sticky), []
    chosen, used = [], set()
    for s in sticky:
        net = s.network
        hits = [d for d in destinations if net is not None and net.subnet_of(d)]
        if hits:
            chosen.append(s)
            used.update(str(d) for d in hits)
    unused = [str(d) for d in destinations if str(d) not in used]
    return chosen, unused


@dataclasses.dataclass
class Plan:
    """What :func:`plan` read and chose."""

    scope: str
    cache: List[Route]          # the cache before, as `ip -j` printed it
    sticky: List[Entry]         # its sticky entries, chosen or not
    chosen: List[Entry]         # the entries to flush
    not_sticky: List[str]       # requested destinations that matched no sticky entry
    fib: List[Route] = dataclasses.field(default_factory=list)  # the FIB read with the cache

    def kept(self) -> List[Route]:
        """The cache as it should be after the flush (the entries not chosen)."""
        chosen_at = set(c.index for c in self.chosen)
        return [e for i, e in enumerate(self.cache) if i not in chosen_at]


def plan(runner, scope: str, destinations: Sequence[ipaddress.IPv6Network], timeout: float) -> Plan:
    """Read the cache and the FIB and choose the entries to flush; FlushError when they cannot be read."""
    if scope not in SCOPES:
        raise ValueError("scope must be one of %s, not %r" % (", ".join(SCOPES), scope))
    try:
        cache, fib = read_state(runner, timeout=timeout)
    except (RouteOutputError, CommandError) as exc:
        raise FlushError("cannot read the IPv6 route cache: %s" % exc) from None
    sticky = sticky_entries(cache, fib)
    if scope == "all":
        chosen, unused = entries(cache), []
    else:
        chosen, unused = select_sticky(sticky, destinations)
    return Plan(scope, cache, sticky, chosen, unused, fib)


# ---------------------------------------------------------------- apply

def flush_lines(chosen: Sequence[Entry], cache: Sequence[Route]) -> List[str]:
    """``ip -batch`` lines that flush exactly the ``chosen`` sticky entries (from :func:`sticky_entries`).

    Each ``ip route flush cache`` line dumps the whole cache and deletes what
    matches, so one line per entry costs O(n) each: measured on kernel 6.18 with
    real (PMTU) cache entries, 1,000 exact lines took 9.4 s with 6,644 entries in
    the cache and 499 took 0.15 s with 499; 20,000 would take minutes.  Entries
    that share a table, a type and a covering route are flushed with one line
    (``root COVER type TYPE``: 6,644 entries in 0.007 s), but only when they are
    all the cache holds of that type under that prefix, so nothing we did not
    identify is flushed; the others get an exact line each (``DST/128``).
    """
    groups: Dict[Tuple[str, str, Optional[ipaddress.IPv6Network]], List[Entry]] = {}
    for c in chosen:
        if not TABLE_RE.fullmatch(c.table):
            raise RouteOutputError("'ip -j' named a routing table %r; not flushing entries of it" % c.table[:80])
        cover = route_network(c.cover) if c.cover is not None else None
        groups.setdefault((c.table, c.type, cover), []).append(c)
    under = _count_under(cache, [key for key, members in groups.items() if len(members) > 1 and key[2] is not None])
    lines = []
    for key in sorted(groups, key=str):
        table, kind, cover = key
        members = groups[key]
        if len(members) > 1 and under.get(key) == len(members):
            lines.append("route flush cache table %s type %s root %s" % (table, kind, cover))
        else:
            lines += ["route flush cache table %s type %s %s" % (table, kind, m.network) for m in members]
    return lines


def _count_under(cache: Sequence[Route], keys) -> Dict[Tuple, int]:
    """How many cache entries each ``(table, type, prefix)`` key selects (what ``root PREFIX`` flushes).

    O(entries x distinct prefix lengths), not O(entries x groups).
    """
    wanted = set(keys)
    lengths: Dict[Tuple[str, str], set] = {}
    for table, kind, net in wanted:
        lengths.setdefault((table, kind), set()).add(net.prefixlen)
    counts: Dict[Tuple, int] = {}
    for e in cache:
        pair = (route_table(e), route_type(e))
        if pair not in lengths:
            continue
        net = route_network(e)
        if net is None:
            continue
        for length in lengths[pair]:
            if net.prefixlen >= length:
                key = pair + (net.supernet(new_prefix=length),)
                if key in wanted:
                    counts[key] = counts.get(key, 0) + 1
    return counts


def batches(lines: Sequence[str]) -> List[Command]:
    """``ip -batch`` commands of at most BATCH_LINES lines each."""
    return [(BATCH_ARGV, "".join(line + "\n" for line in lines[i:i + BATCH_LINES]))
            for i in range(0, len(lines), BATCH_LINES)]


def commands(the_plan: Plan) -> List[Command]:
    """The commands that flush the chosen entries; RouteOutputError when they cannot be named safely."""
    if the_plan.scope == "all":
        return [(FLUSH_ALL_ARGV, None)]
    return batches(flush_lines(the_plan.chosen, the_plan.cache))


@dataclasses.dataclass
class Applied:
    ran: int                    # commands run
    stopped: bool               # stopped at the deadline
    errors: List[str]           # one message per command that failed or timed out


def apply(runner, todo: Sequence[Command], deadline: float, command_timeout: float,
          clock: Callable[[], float] = time.monotonic) -> Applied:
    """Run the commands until done or ``deadline`` (a ``clock()`` value).

    A command that fails or times out does not stop the others: the cache is
    read back afterwards and what is left is reported.
    """
    ran, errors = 0, []
    for argv, stdin in todo:
        left = deadline - clock()
        if left <= 0:
            return Applied(ran, True, errors)
        ran += 1
        try:
            res = runner(argv, input=stdin, timeout=min(command_timeout, left))
        except CommandError as exc:
            if isinstance(exc, CommandTimeout) and deadline - clock() <= 0:
                return Applied(ran, True, errors)
            errors.append(str(exc))
            continue
        if not res.ok:
            errors.append(res.describe())
    return Applied(ran, False, errors)


# ---------------------------------------------------------------- verify

@dataclasses.dataclass
class Outcome:
    """What happened: the module's result, and a failure message when it must fail."""

    plan: Plan
    changed: bool
    flushed: List[Entry]        # flushed (to be flushed, in check mode)
    remaining: List[Entry]      # chosen but still in the cache
    counted: bool = True        # False: the cache could not be read back, what was flushed is unknown
    cache_after: Optional[int] = None   # entries in the cache after (None: as before)
    diff: Optional[Tuple[List[Route], List[Route]]] = None  # the cache before and after
    error: Optional[str] = None
    back: List[Entry] = dataclasses.field(default_factory=list)  # sticky entries still there right after the flush

    @property
    def entries_after(self) -> int:
        return len(self.plan.cache) if self.cache_after is None else self.cache_after


def verify(runner, the_plan: Plan, applied: Applied, total_timeout: float) -> Outcome:
    """Read the cache back: which chosen entries are gone, which remain, and whether that is a failure."""
    chosen = the_plan.chosen
    try:
        after, _fib = read_state(runner)
    except (RouteOutputError, CommandError) as exc:
        return Outcome(the_plan, applied.ran > 0, [], [], counted=False, error=(
            "the flush ran (%d command(s)%s) but the IPv6 route cache could not be read back, so what was "
            "flushed is unknown: %s" % (applied.ran, ", stopped at total_timeout" if applied.stopped else "", exc)))
    # what is still there, by table, type and destination
    present = set((route_table(e), route_type(e), str(route_network(e))) for e in after)
    still = [c for c in chosen if c.key in present]
    gone = [c for c in chosen if c.key not in present]
    out = Outcome(the_plan, len(still) < len(chosen) or (the_plan.scope == "all" and applied.ran > 0
                                                         and not applied.errors),
                  gone, still, cache_after=len(after), diff=(the_plan.cache, after))
    counts = "flushed %d of %d entries, %d remain" % (len(gone), len(chosen), len(still))
    # (scope=all: traffic re-creates PMTU entries at once; only reject entries coming back are a problem)
    back = out.back = [c for c in still if c.type in STICKY_TYPES]
    if applied.stopped:
        out.error = "stopped at total_timeout (%g s): %s; run again to flush the rest" % (total_timeout, counts)
    elif still and applied.errors:
        out.error = "flushing the IPv6 route cache failed (%s): %s" % (counts, applied.errors[0])
    elif back:
        out.error = ("sticky IPv6 cache entries came back right after the flush (a daemon is still replacing "
                     "routes by delete-then-add?): %s: %s" % (counts, ", ".join(str(c.dst) for c in back[:20])))
    return out


# ---------------------------------------------------------------- all three

def flush_cache(runner, scope: str, destinations: Sequence[ipaddress.IPv6Network], command_timeout: float,
                total_timeout: float, check_mode: bool = False,
                clock: Callable[[], float] = time.monotonic) -> Outcome:
    """Plan, then (unless ``check_mode`` or nothing is chosen) apply and verify.

    FlushError when the cache cannot be read at first (nothing was done); every
    later failure is ``Outcome.error``, with what was flushed and what remains.
    """
    deadline = clock() + total_timeout
    the_plan = plan(runner, scope, destinations, timeout=min(command_timeout, total_timeout))
    return flush_planned(runner, the_plan, deadline, command_timeout, total_timeout, check_mode, clock)


def flush_planned(runner, the_plan: Plan, deadline: float, command_timeout: float, total_timeout: float,
                  check_mode: bool = False, clock: Callable[[], float] = time.monotonic) -> Outcome:
    """:func:`flush_cache` after its plan (rollback reads the health in between)."""
    chosen = the_plan.chosen
    if not chosen or check_mode:
        return Outcome(the_plan, bool(chosen), list(chosen), [],
                       diff=(the_plan.cache, the_plan.kept()) if chosen else None)
    try:
        todo = commands(the_plan)
    except RouteOutputError as exc:
        return Outcome(the_plan, False, [], [], error="nothing was flushed: %s" % exc)
    return verify(runner, the_plan, apply(runner, todo, deadline, command_timeout, clock), total_timeout)
