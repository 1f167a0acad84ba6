# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Restart or reload tincd: ``systemctl restart``, SIGTERM then start, or SIGHUP.

Signals go only to the process identified as this network's tincd, through
core/procfs.py (issue 11).

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import signal
from typing import List

from ansible_collections.netmedic.network.plugins.module_utils.core import procfs
from ansible_collections.netmedic.network.plugins.module_utils.core.procfs import argv_option
from ansible_collections.netmedic.network.plugins.module_utils.core.runner import CommandError
from ansible_collections.netmedic.network.plugins.module_utils.tinc import port
from ansible_collections.netmedic.network.plugins.module_utils.tinc.errors import RestartFailed
from ansible_collections.netmedic.network.plugins.module_utils.tinc.run import POLL, Run
from ansible_collections.netmedic.network.plugins.module_utils.tinc.tinc_log import TincLog, journal_tail, why_tail


def start_command(run: Run) -> List[str]:
    """The tincd command that starts the network again (plain management)."""
    o, st = run.o, run.state
    if o.tincd_command:
        return list(o.tincd_command)
    if st and st.cmdline:
        return list(st.cmdline)
    cmd = ["tincd", "-n", o.netname]
    if o.config_dir:
        cmd += ["-c", o.config_dir]
    if o.pidfile:
        cmd.append("--pidfile=%s" % o.pidfile)
    return cmd


def restart(run: Run) -> None:
    """A new tincd: ``systemctl restart`` of its unit, or stop the plain daemon and start it again."""
    st, o = run.state, run.o
    if st.management == "systemd":
        run.outage_began()
        res = run.runner(["systemctl", "restart", st.unit], timeout=o.stop_timeout + o.wait_timeout)
        run.report.changed = True
        if res.rc != 0:
            raise RestartFailed("systemctl restart %s failed: %s%s"
                                % (st.unit, res.describe(), journal_tail(run.runner, st.unit)))
        run.step("restart", "systemctl restart %s" % st.unit)
        return
    command = start_command(run)
    if st.running:
        stop(run)
    run.outage_began()
    run.start_log = TincLog(run.runner, argv_option(command, "logfile"), ident="tinc.%s" % o.netname)
    res = run.runner(command, timeout=o.wait_timeout)
    run.report.changed = True
    if res.rc != 0:
        raise RestartFailed("tincd failed to start (%s)%s" % (res.describe(), why_tail(run.start_log)))
    run.step("start", " ".join(command))


def stop(run: Run) -> None:
    """SIGTERM to the identified plain tincd; wait (bounded by stop_timeout) until it is gone.

    If it does not exit, its port goes back into the bridge and the run fails
    with the old daemon left running, as it was.
    """
    st, o = run.state, run.o
    proc = st.process
    pid = proc.pid
    err = procfs.send_signal(proc, signal.SIGTERM, o.root)
    if err and procfs.still_running(proc, o.root):
        raise RestartFailed(err)
    # (err with the process gone: it exited on its own since the inspection; start it again.)
    deadline = run.deadline(o.stop_timeout)
    while procfs.still_running(proc, o.root):
        if run.clock() > deadline:
            # The old daemon still runs: give its port back, as it was.
            if run.bridge and st.interface_exists:
                try:
                    port.attach(run, "the old tincd did not stop; restoring the previous state")
                except CommandError:
                    pass
            raise RestartFailed("tincd pid %d did not exit within %.0f s of SIGTERM; it was left running"
                                % (pid, o.stop_timeout))
        run.sleep(POLL)
    run.report.changed = True
    run.step("stop", "tincd pid %d exited" % pid)


def reload(run: Run) -> procfs.ProcessInfo:
    """SIGHUP to the identified tincd (same process, same tap: the port stays in the bridge); that process."""
    old = run.state.process
    err = procfs.send_signal(old, signal.SIGHUP, run.o.root)
    if err:
        raise RestartFailed(err)
    run.report.changed = True
    run.step("reload", "sent SIGHUP to tincd pid %s" % old.pid)
    return old
