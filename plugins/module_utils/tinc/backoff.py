# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Back off from a storm: keep the evidence, take the port out again, leave tincd running, fail.

Incident 001: a loop through the tinc port turns every broadcast into a
storm on both sites.  Out of the bridge, tincd keeps its peers and nothing
loops; an operator finds the second layer-2 path with the capture and
tinc's dumps.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

from ansible_collections.netmedic.network.plugins.module_utils.tinc import diagnostics, port
from ansible_collections.netmedic.network.plugins.module_utils.tinc.errors import RestartFailed
from ansible_collections.netmedic.network.plugins.module_utils.tinc.run import Run
from ansible_collections.netmedic.network.plugins.module_utils.tinc.storm import StormReport


def back_off(run: Run, rep: StormReport) -> None:
    """Raises RestartFailed with the storm's reasons, after the capture, the detach and the dumps."""
    st, o = run.state, run.o
    if o.capture_seconds:
        diagnostics.capture(run)
    port.detach(run, "storm")
    run.outage_began()
    diagnostics.collect_dumps(run)
    raise RestartFailed("storm on %s after the %s: %s; %s was taken out of %s and tincd left running outside "
                        "the bridge" % (st.interface, o.mode, "; ".join(rep.reasons), st.interface, run.bridge))
