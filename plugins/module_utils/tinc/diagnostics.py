# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Diagnostics of a storm, written under ``diagnostics_dir`` on the host: a capture and tinc's dumps.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import os
import time

from ansible_collections.netmedic.network.plugins.module_utils.core.runner import CommandError
from ansible_collections.netmedic.network.plugins.module_utils.tinc.dumps import found_dump, full_dump
from ansible_collections.netmedic.network.plugins.module_utils.tinc.run import Run
from ansible_collections.netmedic.network.plugins.module_utils.tinc.tinc_log import TincLog


def diag_path(run: Run, what: str) -> str:
    os.makedirs(run.o.diagnostics_dir, mode=0o750, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    return os.path.join(run.o.diagnostics_dir, "tinc-%s-%s-%s" % (run.o.netname, stamp, what))


def capture(run: Run) -> None:
    """A bounded tcpdump of the port (capture_seconds, at most capture_packets)."""
    st, o = run.state, run.o
    path = diag_path(run, "%s.pcap" % st.interface)
    try:
        run.runner(["tcpdump", "-n", "-U", "-i", st.interface, "-c", str(o.capture_packets), "-w", path],
                   timeout=o.capture_seconds)
    except CommandError as exc:
        if not os.path.exists(path):
            run.report.warnings.append("capture failed: %s" % exc)
            return
    run.report.diagnostics.append(path)
    run.step("capture", "%s (%.1f s, at most %d packets)" % (path, o.capture_seconds, o.capture_packets))


def collect_dumps(run: Run) -> None:
    """tinc's SIGUSR1/SIGUSR2 dumps and the kernel's loop messages, in one file."""
    st, o = run.state, run.o
    if not o.diagnostics_dir or not st.process:
        return
    log = TincLog(run.runner, st.logfile)
    lines = full_dump(log, st.process, sleep=run.sleep, root=o.root)
    path = diag_path(run, "dump.txt")
    kernel = []
    if run.report.storm:
        kernel = run.report.storm.get("kernel_messages") or []
    with open(path, "w", encoding="utf-8") as fh:
        found = found_dump(lines)
        fh.write("# tincd pid %s SIGUSR1/SIGUSR2 dump from %s: %s\n" % (
            st.pid, ("log file %s" % st.logfile) if st.logfile else "the journal",
            "ok" if found else "NOT FOUND (%s)" % (log.error or "tincd logs elsewhere, e.g. syslog")))
        fh.write("\n".join(lines) + "\n")
        fh.write("# kernel loop messages\n" + "\n".join(kernel) + "\n")
    run.report.diagnostics.append(path)
    run.step("dumps", path)
