# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What tincd (or systemd about it) logged: its ``--logfile``, else the journal.

tinc 1.0 has no control socket: its dumps and its reasons to exit are in
its log.  :class:`TincLog` reads the lines written since a mark.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import os
import re
import time
from typing import List, Optional

from ansible_collections.netmedic.network.plugins.module_utils.core.runner import CommandError, Runner


def strip_log_prefix(line: str) -> str:
    # "2026-11-21 05:18:36 tinc.nmt[18350]: <message>" (logfile) or "<message>" (journal -o cat)
    m = re.match(r"^.*?tinc(?:\.[^\[\s]*)?\[\d+\]: ?(.*)$", line)
    return m.group(1) if m else line


class TincLog:
    """New lines of a tinc daemon's log: its ``--logfile``, else the journal for its pid."""

    def __init__(self, runner: Runner, logfile: Optional[str] = None, ident: Optional[str] = None):
        self.runner = runner
        self.logfile = logfile
        self.ident = ident            # syslog identifier (tinc 1.0: ``tinc.NETNAME``) when the pid is unknown
        self.offset = 0
        self.since = time.time()
        self.error: Optional[str] = None
        if logfile:
            try:
                self.offset = os.path.getsize(logfile)
            except OSError:
                self.offset = 0

    def mark(self) -> None:
        """Only lines written after now count."""
        self.since = time.time()
        if self.logfile:
            try:
                self.offset = os.path.getsize(self.logfile)
            except OSError:
                self.offset = 0

    def new_lines(self, pid: Optional[int] = None) -> List[str]:
        if self.logfile:
            try:
                with open(self.logfile, "r", encoding="utf-8", errors="replace") as fh:
                    fh.seek(self.offset)
                    return fh.read().splitlines()
            except OSError as exc:
                self.error = "%s: %s" % (self.logfile, exc.strerror)
                return []
        if pid:
            match = "_PID=%d" % pid
        elif self.ident:
            match = "SYSLOG_IDENTIFIER=%s" % self.ident
        else:
            return []
        try:
            result = self.runner(["journalctl", "--no-pager", "-o", "cat", match,
                                  "--since", "@%d" % int(self.since - 1)], timeout=10)
        except CommandError as exc:
            self.error = "journal unavailable: %s" % exc
            return []
        if result.rc != 0:
            self.error = "journal unavailable: %s" % result.describe()
            return []
        return result.stdout.splitlines()


def log_tail(lines: List[str], count: int = 3) -> str:
    """The last ``count`` log messages, without timestamps, joined for an error message."""
    msgs = [strip_log_prefix(ln).strip() for ln in lines if ln.strip()]
    return " | ".join(msgs[-count:])


def why_tail(start_log: Optional[TincLog]) -> str:
    """``; tinc logged: ...`` with the last lines tincd logged since it was started (or '')."""
    if start_log is None:
        return ""
    tail = log_tail(start_log.new_lines())
    if tail:
        return "; tinc logged: %s" % tail
    return "; tinc's log was not readable (%s)" % (start_log.error or "no --logfile and nothing in the "
                                                   "journal: look in syslog")


def journal_tail(runner: Runner, unit: str) -> str:
    """`` (journal: ...)`` with the last lines systemd's journal has for ``unit`` (or '')."""
    try:
        res = runner(["journalctl", "--no-pager", "-n", "5", "-o", "cat", "-u", unit], timeout=10)
    except CommandError:
        return ""
    lines = [ln for ln in res.stdout.splitlines() if ln.strip()]
    return (" (journal: %s)" % " | ".join(lines[-5:])) if lines else ""
