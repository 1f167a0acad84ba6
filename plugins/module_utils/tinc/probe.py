# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Probe addresses that must answer one ping once the port is back (bounded by wait_timeout).

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

from ansible_collections.netmedic.network.plugins.module_utils.core.runner import CommandError
from ansible_collections.netmedic.network.plugins.module_utils.tinc.errors import RestartFailed
from ansible_collections.netmedic.network.plugins.module_utils.tinc.run import Run


def probe(run: Run, deadline: float) -> None:
    pending = list(run.o.probe_addresses)
    while pending:
        for addr in list(pending):
            try:
                # "--": a probe address from the play is never read as an option (issue 11)
                res = run.runner(["ping", "-n", "-q", "-c", "1", "-W", "1", "--", addr], timeout=5)
            except CommandError:
                continue
            if res.rc == 0:
                pending.remove(addr)
        if not pending:
            break
        if run.clock() > deadline:
            raise RestartFailed("tinc is up but %s did not answer ping within %.0f s"
                                % (", ".join(pending), run.o.wait_timeout))
        run.sleep(0.05)
    run.step("probe", "%s answered" % ", ".join(run.o.probe_addresses))
