# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Wait until tincd runs again and its interface exists (a tight poll, bounded by wait_timeout).

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

from typing import Optional

from ansible_collections.netmedic.network.plugins.module_utils.core import procfs
from ansible_collections.netmedic.network.plugins.module_utils.core.procfs import argv_option
from ansible_collections.netmedic.network.plugins.module_utils.tinc.errors import RestartFailed
from ansible_collections.netmedic.network.plugins.module_utils.tinc.identity import find_tincd, identified_process
from ansible_collections.netmedic.network.plugins.module_utils.tinc.pidfile import read_pidfile
from ansible_collections.netmedic.network.plugins.module_utils.tinc.run import POLL, Run
from ansible_collections.netmedic.network.plugins.module_utils.tinc.systemd import systemd_main_pid, systemd_props
from ansible_collections.netmedic.network.plugins.module_utils.tinc.tinc_log import journal_tail, why_tail


def wait_daemon(run: Run, deadline: float, expect: Optional[procfs.ProcessInfo] = None) -> None:
    """Poll until tincd runs and its interface exists; RestartFailed with tinc's or systemd's words otherwise.

    Only a process identified as this network's tincd counts (the pidfile
    or MainPID may still name the old, now reused, pid).  ``expect``: after
    a SIGHUP, the daemon must still be that same process.
    """
    st, o = run.state, run.o
    next_scan = 0.0
    while True:
        if st.management == "systemd":
            props = systemd_props(run.runner, st.unit)
            if props.get("ActiveState") == "failed" or props.get("SubState") == "auto-restart":
                st.set_process(None)
                raise RestartFailed("%s exited right after it started (systemd: %s/%s)%s" % (
                    st.unit, props.get("ActiveState"), props.get("SubState"), journal_tail(run.runner, st.unit)))
            pid = systemd_main_pid(run.runner, st.unit, props)
        else:
            pid = read_pidfile(st.pidfile)
        proc = identified_process(pid, o.netname, st.config_dir, o.root)
        if proc is None and st.management == "plain" and run.clock() >= next_scan:
            # The start command has returned: its daemon child exists unless it already died.
            procs = find_tincd(o.netname, st.config_dir, o.root)
            if procs:
                proc = procs[0]  # forked, pidfile maybe not written yet
            else:
                st.set_process(None)
                raise RestartFailed("tincd started but exited at once%s" % why_tail(run.start_log))
            next_scan = run.clock() + 0.05
        if expect and proc and (proc.pid, proc.start_time) != (expect.pid, expect.start_time):
            raise RestartFailed("tincd changed pid on SIGHUP (%s -> %s): it restarted instead of reloading"
                                % (expect.pid, proc.pid))
        if proc and run.sysfs.exists("sys", "class", "net", st.interface):
            st.set_process(proc)
            st.cmdline = list(proc.argv) or st.cmdline
            st.logfile = argv_option(st.cmdline, "logfile") or st.logfile
            break
        if run.clock() > deadline:
            st.set_process(proc)
            raise RestartFailed("tincd %s within %.0f s%s" % (
                "runs but its interface %s did not appear" % st.interface if proc else "did not come up",
                o.wait_timeout, why_tail(run.start_log) if st.management == "plain"
                else journal_tail(run.runner, st.unit)))
        run.sleep(POLL)
    run.step("daemon", "tincd pid %s runs, %s exists" % (st.pid, st.interface))
