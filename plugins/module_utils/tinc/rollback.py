# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""tinc_safe_restart with rollback (issue 16): snapshot, restart, watch, undo what can be undone.

Without ``rollback`` the module does what it always did (incident 001's
runbook, restart.py): the port goes back into the bridge only after tincd
runs and its peers are connected, and out again on a storm.  Its record says
what was asked, the state before and after, and ``last_result``
(``rolled_back`` when it backed off from a storm).

With ``rollback: true`` (:func:`ensure`):

1. the tinc health (health.py: tincd running, the port's bridge, the peers
   connected) is read before anything is touched;
2. the runbook runs as without it (detach, restart, wait, re-attach, storm
   watch);
3. the health is watched for at most ``rollback_window`` seconds, and ends
   once every peer that was connected is connected again, tincd runs and the
   port is in its bridge, and that held ``rollback_settle`` seconds;
4. when worse (after the window, or when the runbook itself failed with the
   health worse), what can be undone is undone (:func:`undo`): the port's
   bridge membership as it was before.  On a storm the port stays out of the
   bridge (the safe state; the runbook took it out).

What cannot be undone is said, not pretended: a restart cannot be undone (the
old tincd and its connections are gone), and tinc_safe_restart changes no
configuration file, so there is no earlier configuration to start tincd with
again: the configuration it re-read is the one on disk, whoever wrote it.
When nothing could be put back, ``last_result`` is ``rollback_failed`` with
``undo_error`` saying why.  Either way the task fails and the maintenance
playbooks stop.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Dict, List, Optional, Tuple

from ansible_collections.netmedic.network.plugins.module_utils.core import rollback
from ansible_collections.netmedic.network.plugins.module_utils.core.health import HealthError, read
from ansible_collections.netmedic.network.plugins.module_utils.core.params import range_errors
from ansible_collections.netmedic.network.plugins.module_utils.core.runner import CommandError, Runner
from ansible_collections.netmedic.network.plugins.module_utils.tinc import port, restart
from ansible_collections.netmedic.network.plugins.module_utils.tinc.errors import TincStateError
from ansible_collections.netmedic.network.plugins.module_utils.tinc.health import TincHealth
from ansible_collections.netmedic.network.plugins.module_utils.tinc.options import RestartOptions
from ansible_collections.netmedic.network.plugins.module_utils.tinc.report import Report
from ansible_collections.netmedic.network.plugins.module_utils.tinc.run import Run
from ansible_collections.netmedic.network.plugins.module_utils.tinc.state import refresh_link

NOT_UNDONE = ("not undone: the restart itself (the old tincd and its connections are gone; tinc_safe_restart "
              "changes no configuration file, so there is no earlier configuration to start tincd with)")


def health(state: Dict[str, Any], peers: Optional[list] = None) -> Optional[Dict[str, Any]]:
    """The tinc health in a report's state dict: tincd running, the port's bridge, the peers connected."""
    if not state:
        return None
    out = {"running": state.get("running"), "interface": state.get("interface"), "bridge": state.get("bridge")}
    if peers is not None:
        out["peers_connected"] = list(peers)
    return out


def desired(opts: RestartOptions) -> Dict[str, Any]:
    return {"netname": opts.netname, "mode": opts.mode}


def record(report: Report, check_mode: bool) -> rollback.Record:
    """The record without the ``rollback`` setting: the outcome, and a storm back-off as ``rolled_back``."""
    rec = rollback.outcome_record({"netname": report.netname, "mode": report.mode}, report.changed, check_mode,
                                  not report.ok, health(report.before),
                                  health(report.after, (report.peers or {}).get("connected")))
    if not report.ok and _storm(report):
        rec.last_result = rollback.ROLLED_BACK
        rec.worse = list(report.storm.get("reasons") or [])
        rec.undone = ["took %s out of its bridge again; tincd left running outside it" % report.storm.get("port")]
        rec.state_now = report.state_left
    return rec


def _storm(report: Report) -> bool:
    return bool(report.storm and report.storm.get("storm"))


def undo(run: Run, before: Dict[str, Any]) -> List[str]:
    """Put the port's bridge membership back as it was before the restart, verified; say what cannot be undone.

    UndoFailed when nothing could be put back (the membership was already as
    before, or the interface is gone with its tincd).
    """
    st, want = run.state, before.get("bridge")
    try:
        refresh_link(st, run.runner, root=run.o.root)
        if want and st.bridge != want:
            if not st.interface_exists:
                raise rollback.UndoFailed("%s cannot be put back into %s: the interface does not exist (tincd "
                                          "creates it; %s)" % (st.interface, want, NOT_UNDONE))
            if st.bridge:
                raise rollback.UndoFailed("%s is in bridge %s, not %s as before; not moving it between bridges"
                                          % (st.interface, st.bridge, want))
            run.bridge = want
            port.attach(run, "rollback: as before the restart")
            done = "put %s back into %s, as before the restart" % (st.interface, want)
        elif not want and before.get("interface_exists") and st.bridge:
            done = "took %s out of %s: it was in no bridge before the restart" % (st.interface, st.bridge)
            port.detach(run, "rollback: it was in no bridge before the restart")
        else:
            raise rollback.UndoFailed("nothing that got worse can be undone: %s; %s is %s, as before"
                                      % (NOT_UNDONE, st.interface,
                                         ("in bridge %s" % st.bridge) if st.bridge else "in no bridge"))
        refresh_link(st, run.runner, root=run.o.root)
    except (CommandError, TincStateError) as exc:
        raise rollback.UndoFailed("the bridge membership of %s could not be put back: %s" % (st.interface, exc)) \
            from None
    if st.bridge != want:
        raise rollback.UndoFailed("%s is %s after the undo, not %s as before" % (
            st.interface, ("in bridge %s" % st.bridge) if st.bridge else "in no bridge", want or "in no bridge"))
    return [done + " (read back)", NOT_UNDONE]


def ensure(opts: RestartOptions, settings: rollback.Settings, check_mode: bool = False,
           runner: Optional[Runner] = None, clock: Callable[[], float] = time.monotonic,
           sleep: Callable[[float], None] = time.sleep) -> Tuple[Report, rollback.Record]:
    """:func:`restart.safe_restart` with the ``rollback`` setting; (report, record).

    TincStateError (naming the option) for bad options, as safe_restart.
    """
    problems = range_errors({"rollback_window": settings.window, "rollback_settle": settings.settle},
                            rollback.RANGES)
    if problems:
        raise TincStateError("; ".join(problems))
    if not settings.enabled:
        report = restart.safe_restart(opts, check_mode, runner, clock, sleep)
        return report, record(report, check_mode)
    run = Run(opts, runner, clock, sleep)
    rec = rollback.record(settings, desired(opts))
    if not restart.plan(run):
        rec.last_result = rollback.FAILED
        return run.report, rec
    health = TincHealth(run)
    try:
        rollback.before(settings, health, rec)
    except HealthError as exc:
        run.report.ok, run.report.msg = False, "%s. Nothing was changed." % exc
        run.report.state_left = "nothing was changed"
        rec.last_result = rollback.FAILED
        return run.report, rec
    if check_mode:
        rec.last_result = rollback.WOULD_CHANGE
        return restart.checked(run), rec
    started = clock()
    try:
        restart.apply(run)
    finally:
        restart.verify(run)
    report = run.report
    if report.ok:
        rollback.guard(settings, health, rec, lambda: undo(run, rec.before), clock=clock, sleep=sleep)
    elif _storm(report):
        _storm_backed_off(run, health, rec, clock() - started)
    else:
        _failed(settings, run, health, rec, clock() - started, clock, sleep)
    if rec.stop_batch:
        report.state_left = rec.state_now or report.state_left
    return report, rec


def _storm_backed_off(run: Run, health: TincHealth, rec: rollback.Record, seconds: float) -> None:
    """The runbook took the port out of its bridge on a storm: the safe state, read back."""
    report, st = run.report, run.state
    rec.worse = list(report.storm.get("reasons") or [])
    rec.detected_after = round(seconds, 3)
    rec.watch_seconds = rec.detected_after
    try:
        rec.after = read(health)
    except HealthError as exc:
        rec.after = None
        rec.state_now = "the health cannot be read: %s" % exc
    if rec.after is not None and rec.after.get("bridge") is None:
        rec.last_result = rollback.ROLLED_BACK
        rec.undone = ["took %s out of %s, the safe state during a storm (read back); tincd left running outside "
                      "the bridge" % (st.interface, run.bridge), NOT_UNDONE]
        rec.state_now = health.describe(rec.after) + "; out of its bridge until the second layer-2 path is found"
    else:
        rec.last_result = rollback.ROLLBACK_FAILED
        rec.undo_error = "%s could not be taken out of %s on the storm" % (st.interface, run.bridge)
        rec.state_now = rec.state_now or health.describe(rec.after)


def _failed(settings: rollback.Settings, run: Run, health: TincHealth, rec: rollback.Record, seconds: float,
            clock: Callable[[], float], sleep: Callable[[float], None]) -> None:
    """The runbook failed (tincd did not come back, peers not connected in wait_timeout...): worse, or only failed."""
    try:
        rec.after = read(health)
        worse = health.compare(rec.before, rec.after)
    except HealthError as exc:
        worse = ["the health could not be read: %s" % exc]
    if not worse:
        rec.last_result = rollback.FAILED
        return
    rollback.undo_and_report(settings, health, rec, lambda: undo(run, rec.before), worse, seconds, clock, sleep)
