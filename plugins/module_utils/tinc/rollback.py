# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""tinc_safe_restart's rollback record (issue 16): its verify-and-back-off, told the way every fix module tells it.

A restart cannot be undone: the old tincd and its connections are gone, and
the configuration it re-read is not the module's change.  What the module can
undo, it already does without being asked (incident 001's runbook): the port
goes back into the bridge only after tincd runs and its peers are connected,
and the storm watch takes it out again on a storm.  So tinc_safe_restart has
no ``rollback`` option; its ``rollback`` result says what was asked, the tinc
health before and after (daemon running, port in the bridge, peers connected)
and ``last_result``: ``rolled_back`` when it backed off from a storm (the port
is out of the bridge again: the maintenance playbooks stop the batch then),
``failed`` for any other failure, else ``applied`` / ``would_change``.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from ansible_collections.netmedic.network.plugins.module_utils.core import rollback
from ansible_collections.netmedic.network.plugins.module_utils.tinc.report import Report


def health(state: Dict[str, Any], peers: Optional[list] = None) -> Optional[Dict[str, Any]]:
    """The tinc health in a report's state dict: tincd running, the port's bridge, the peers connected."""
    if not state:
        return None
    out = {"running": state.get("running"), "interface": state.get("interface"), "bridge": state.get("bridge")}
    if peers is not None:
        out["peers_connected"] = list(peers)
    return out


def record(report: Report, check_mode: bool) -> rollback.Record:
    rec = rollback.outcome_record({"netname": report.netname, "mode": report.mode}, report.changed, check_mode,
                                  not report.ok, health(report.before),
                                  health(report.after, (report.peers or {}).get("connected")))
    if not report.ok and report.storm and report.storm.get("storm"):
        rec.last_result = rollback.ROLLED_BACK
        rec.worse = list(report.storm.get("reasons") or [])
        rec.undone = ["took %s out of its bridge again; tincd left running outside it" % report.storm.get("port")]
        rec.state_now = report.state_left
    return rec
