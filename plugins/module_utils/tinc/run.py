# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One run of the restart runbook: the options, the host as found, the report being written.

Every step (port.py, daemon.py, daemon_up.py, peers.py, probe.py,
watch.py, backoff.py) reads and writes one :class:`Run`.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import time
from typing import Any, Callable, List, Optional

from ansible_collections.netmedic.network.plugins.module_utils.core.runner import Runner
from ansible_collections.netmedic.network.plugins.module_utils.core.sysfs import Sysfs
from ansible_collections.netmedic.network.plugins.module_utils.tinc.errors import TincStateError
from ansible_collections.netmedic.network.plugins.module_utils.tinc.kernel_log import KernelLog
from ansible_collections.netmedic.network.plugins.module_utils.tinc.options import RestartOptions
from ansible_collections.netmedic.network.plugins.module_utils.tinc.report import Report
from ansible_collections.netmedic.network.plugins.module_utils.tinc.state import TincState, refresh_daemon, refresh_link
from ansible_collections.netmedic.network.plugins.module_utils.tinc.tinc_log import TincLog

POLL = 0.005          # seconds between checks while the VPN is down


def deadline(now: float, seconds: float) -> float:
    """``now + seconds``, refusing a non-finite or negative ``seconds``.

    RestartOptions.validate() already refused them; this guards the loops
    themselves (a NaN deadline makes ``clock() > deadline`` false forever).
    """
    if not isinstance(seconds, (int, float)) or not 0 <= seconds < float("inf"):
        raise TincStateError("a wait of %r seconds is not a finite, non-negative number" % (seconds,))
    return now + seconds


class Run:
    """The state of one run; ``RestartOptions`` are validated on creation (TincStateError naming the option)."""

    def __init__(self, opts: RestartOptions, runner: Optional[Runner] = None,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        opts.validate()
        self.o = opts
        self.runner = runner or Runner()
        self.clock = clock
        self.sleep = sleep
        self.sysfs = Sysfs(opts.root)
        self.t0 = clock()
        self.report = Report(netname=opts.netname, mode=opts.mode)
        self.state: Optional[TincState] = None
        self.bridge: Optional[str] = None        # the bridge the port belongs in
        self.detached_at: Optional[float] = None  # when the outage began
        self.kernel_log: Optional[KernelLog] = None
        self.start_log: Optional[TincLog] = None  # a plain tincd's log from its start on

    def step(self, name: str, detail: str = "", ok: bool = True, **extra: Any) -> None:
        entry = {"step": name, "t": round(self.clock() - self.t0, 3), "ok": ok, "detail": detail}
        entry.update(extra)
        self.report.steps.append(entry)

    def deadline(self, seconds: float) -> float:
        return deadline(self.clock(), seconds)

    def outage_began(self) -> None:
        """The port left its bridge or tincd stopped now (unless that happened earlier)."""
        self.detached_at = self.detached_at or self.clock()

    def ip(self, *args: str) -> None:
        self.runner(["ip"] + list(args), timeout=10, check=True)

    def refresh(self) -> TincState:
        if self.state is None:
            raise RuntimeError("refresh() before the state was recorded")
        refresh_daemon(self.state, self.runner, self.o.root)
        refresh_link(self.state, self.runner, root=self.o.root)
        return self.state

    def required_peers(self) -> List[str]:
        if self.o.peers is not None:
            return list(self.o.peers)
        return list(self.state.connect_to) if self.state else []
