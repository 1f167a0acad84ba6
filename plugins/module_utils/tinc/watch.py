# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The storm watch steps of the runbook: a short sample before, the watch after the port is back.

The sampling itself is sampling.py; the decision storm.py.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

from ansible_collections.netmedic.network.plugins.module_utils.tinc.run import Run
from ansible_collections.netmedic.network.plugins.module_utils.tinc.sampling import watch_storm
from ansible_collections.netmedic.network.plugins.module_utils.tinc.storm import StormReport


def sample_before(run: Run) -> None:
    """Record the port's storm signs before anything is touched (``storm_before``); never stops the run."""
    st, o = run.state, run.o
    if not (o.precheck and st.bridge and st.interface_exists):
        return
    rep = watch_storm(st.interface, o.precheck, o.thresholds, run.sysfs, kernel_log=run.kernel_log,
                      stop_on_storm=False, clock=run.clock, sleep=run.sleep)
    run.report.storm_before = rep.to_dict()
    run.step("precheck", ("STORM before restart: " + "; ".join(rep.reasons)) if rep.storm else rep.summary())


def watch(run: Run) -> StormReport:
    """Watch the port, back in its bridge, for ``storm_watch`` seconds (stops at the first storm sign)."""
    st, o = run.state, run.o
    rep = watch_storm(st.interface, o.storm_watch, o.thresholds, run.sysfs, kernel_log=run.kernel_log,
                      clock=run.clock, sleep=run.sleep)
    run.report.storm = rep.to_dict()
    if rep.storm:
        run.step("storm-watch", "STORM: " + "; ".join(rep.reasons), ok=False)
    else:
        run.step("storm-watch", "quiet: " + rep.summary())
    return rep
