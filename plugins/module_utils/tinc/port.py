# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tinc port and its bridge: take it out, put it back (``ip link set ... nomaster / master``).

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

from ansible_collections.netmedic.network.plugins.module_utils.tinc.errors import RestartFailed
from ansible_collections.netmedic.network.plugins.module_utils.tinc.run import Run
from ansible_collections.netmedic.network.plugins.module_utils.tinc.state import refresh_link


def detach(run: Run, why: str) -> None:
    st = run.state
    run.ip("link", "set", "dev", st.interface, "nomaster")
    st.bridge = None
    run.step("detach", "took %s out of %s (%s)" % (st.interface, run.bridge, why))


def detach_for_restart(run: Run) -> None:
    """Take the port out of its bridge before tincd stops (nothing to do when it is in none)."""
    st = run.state
    if st.bridge and st.interface_exists:
        run.detached_at = run.clock()
        detach(run, "before the restart")


def attach(run: Run, why: str) -> None:
    st = run.state
    run.ip("link", "set", "dev", st.interface, "master", run.bridge)
    run.ip("link", "set", "dev", st.interface, "up")
    st.bridge = run.bridge
    run.report.changed = True
    run.step("attach", "put %s back into %s (%s)" % (st.interface, run.bridge, why))


def reattach(run: Run) -> None:
    """Put the port back into the bridge it belongs in, unless ``tinc-up`` already did."""
    st, o = run.state, run.o
    refresh_link(st, run.runner, root=o.root)
    if not run.bridge:
        return
    if st.bridge == run.bridge:
        run.step("attach", "%s already in %s (tinc-up put it back)" % (st.interface, run.bridge))
    elif st.bridge:
        raise RestartFailed("%s came back in bridge %s instead of %s (tinc-up?)"
                            % (st.interface, st.bridge, run.bridge))
    else:
        attach(run, "after the %s" % o.mode)
