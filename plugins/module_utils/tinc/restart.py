# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Restart (or reload) a bridged tinc network without ever leaving the host worse.

The runbook of incident 001 (an ARP storm through a tinc port in br-int),
one line per step in :func:`_runbook`, each step's mechanics in its own file:

1. record the state and sample the port for a storm (inspection.py, watch.py);
2. detach: take the tinc port out of its bridge (port.py);
3. restart or reload: stop tincd and start it the moment the old process is
   gone, or ``systemctl restart``; or only SIGHUP (same process, same tap,
   the port stays in the bridge: no packet lost) (daemon.py);
4. wait, bounded, until the daemon runs and its interface exists
   (daemon_up.py) and its peers are connected in tinc's own view (peers.py),
   and optional reachability probes answer (probe.py);
5. re-attach the port unless ``tinc-up`` already did (port.py);
6. watch the port for a storm (watch.py); on a storm back off: take it out
   again, leave tinc running outside the bridge, keep the evidence and fail
   (backoff.py, diagnostics.py);
7. report: what was left (``state_left``), a sentence saying whether the
   port is attached or detached, whether tincd runs, and why (report.py).

:func:`plan`, :func:`apply` and :func:`verify` are those phases; the module
calls :func:`safe_restart`, which runs them and returns the :class:`Report`.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import time
from typing import Callable, Optional

from ansible_collections.netmedic.network.plugins.module_utils.core.runner import CommandError, Runner
from ansible_collections.netmedic.network.plugins.module_utils.tinc import daemon, port
from ansible_collections.netmedic.network.plugins.module_utils.tinc.backoff import back_off
from ansible_collections.netmedic.network.plugins.module_utils.tinc.daemon_up import wait_daemon
from ansible_collections.netmedic.network.plugins.module_utils.tinc.errors import RestartFailed, TincStateError
from ansible_collections.netmedic.network.plugins.module_utils.tinc.inspection import inspect, plan_sentences
from ansible_collections.netmedic.network.plugins.module_utils.tinc.kernel_log import KernelLog
from ansible_collections.netmedic.network.plugins.module_utils.tinc.options import RestartOptions
from ansible_collections.netmedic.network.plugins.module_utils.tinc.peers import wait_peers
from ansible_collections.netmedic.network.plugins.module_utils.tinc.probe import probe
from ansible_collections.netmedic.network.plugins.module_utils.tinc.report import Report
from ansible_collections.netmedic.network.plugins.module_utils.tinc.run import Run
from ansible_collections.netmedic.network.plugins.module_utils.tinc.watch import sample_before, watch


def safe_restart(opts: RestartOptions, check_mode: bool = False, runner: Optional[Runner] = None,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> Report:
    """The whole run; TincStateError (naming the option) for bad options, else the report, ok or not."""
    run = Run(opts, runner, clock, sleep)
    if not plan(run):
        return run.report
    if check_mode:
        return checked(run)
    try:
        apply(run)
    finally:
        verify(run)
    return run.report


def checked(run: Run) -> Report:
    """Check mode: the plan is the report; nothing was changed."""
    r = run.report
    r.changed = True
    r.msg = "check mode: would %s %s" % (run.o.mode, run.o.netname)
    r.state_left = "nothing was changed (check mode)"
    r.after = dict(r.before)
    return r


def plan(run: Run) -> bool:
    """Inspect the host and write the plan; False (and the report says why) when we refuse to act."""
    r = run.report
    try:
        inspect(run)
    except (TincStateError, CommandError) as exc:
        r.ok = False
        r.msg = str(exc)
        r.state_left = "nothing was changed"
        return False
    r.plan = plan_sentences(run)
    run.step("inspect", run.state.describe())
    return True


def apply(run: Run) -> Report:
    """Run the runbook; any failure ends in the report (``ok`` false, ``msg`` why), never in a traceback."""
    r = run.report
    run.kernel_log = KernelLog(run.o.kmsg_path, since_now=True)
    try:
        _runbook(run)
        r.msg = "%s %s: %s" % ("reloaded" if run.o.mode == "reload" else "restarted", run.o.netname,
                               run.state.describe())
    except (RestartFailed, CommandError, TincStateError, OSError) as exc:
        r.ok = False
        r.msg = str(exc)
    except Exception as exc:  # a bug must still end with the state report, never a bare traceback
        r.ok = False
        r.msg = "unexpected error (please report it as a netmedic bug): %s: %s" % (type(exc).__name__, exc)
    return r


def _runbook(run: Run) -> None:
    o = run.o
    sample_before(run)                      # 1. the port's storm signs before anything is touched
    if o.mode == "reload":
        expect = daemon.reload(run)         # 3. SIGHUP only: same process, the port stays in
    else:
        expect = None
        port.detach_for_restart(run)        # 2. take the port out of its bridge
        daemon.restart(run)                 # 3. a new tincd
    deadline = run.deadline(o.wait_timeout)
    wait_daemon(run, deadline, expect)      # 4. tincd runs, its interface exists
    wait_peers(run, deadline)               # 4. and its peers are connected
    port.reattach(run)                      # 5. the port goes back (unless tinc-up did it)
    if run.detached_at is not None:
        run.report.outage_seconds = round(run.clock() - run.detached_at, 3)
    if o.probe_addresses:
        probe(run, run.deadline(o.wait_timeout))
    if run.bridge and o.storm_watch:
        storm = watch(run)                  # 6. watch the port
        if storm.storm:
            back_off(run, storm)            # 6. on a storm back off: out again, and fail


def verify(run: Run) -> Report:
    """Read the host again: ``after`` and ``state_left`` say what the run left, whatever happened."""
    r = run.report
    try:
        st = run.refresh()
        r.after = st.to_dict()
        left = st.describe()
        if run.bridge and st.bridge != run.bridge:
            left += " (it belongs in bridge %s)" % run.bridge
    except (CommandError, TincStateError, OSError) as exc:
        left = "state unknown: %s" % exc
    r.state_left = left
    if not r.ok:
        r.msg = "%s. State left: %s" % (r.msg.rstrip("."), left)
    if run.kernel_log:
        run.kernel_log.close()
    return r
