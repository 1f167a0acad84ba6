# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How much CPU bgpd gets: used, waited for, throttled, between the audit's two samples.

Incident 002: the reflectors were CPU-bound, so keepalives were read too late
and hold timers expired.  bgpd's share of a CPU alone does not show a bgpd
that is *starved* (a cgroup quota, a busy host): it then uses little and waits
a lot.  So one sample holds, for every thread of bgpd:

* ``cpu``: user + system seconds (``/proc/PID/stat`` fields 14-15, the whole process);
* ``wait``: seconds runnable but not running (``/proc/PID/task/TID/schedstat``, 2nd field,
  summed over threads);
* ``throttled``: the cgroup's ``cpu.stat`` (``nr_periods``, ``nr_throttled``) when bgpd
  runs under a CPU limit (cgroup v2, or v1's ``cpu`` controller).

Measured in the reflector lab (tests/lab/rrlab.py, 340 sessions, churn): a free
bgpd used 4 % of a CPU and waited 0.3 s a second; under a 3 % quota it waited
1.6 s a second (its threads together) and 49 of 51 periods were throttled.

Read only; the pid comes from bgpd's pid file and is proved to be that
pathspace's bgpd first (frr/processes.py).  Standard library only.
"""

from __future__ import annotations

import os
import time
from typing import Any, Dict, Optional

from ansible_collections.netmedic.network.plugins.module_utils.core import procfs
from ansible_collections.netmedic.network.plugins.module_utils.frr.processes import daemon_process

# The clock of the samples (a module attribute so tests can set it).
_monotonic = time.monotonic


def _read(path: str, limit: int = 1 << 16) -> Optional[str]:
    try:
        with open(path, "r", encoding="ascii", errors="replace") as fh:
            return fh.read(limit)
    except (OSError, ValueError):
        return None


def cpu_seconds(stat_text: Optional[str]) -> Optional[float]:
    """utime + stime of ``/proc/PID/stat`` in seconds, None when it is not one."""
    if not stat_text or ")" not in stat_text:
        return None
    fields = stat_text.rsplit(")", 1)[1].split()
    try:
        return (int(fields[11]) + int(fields[12])) / float(procfs.clock_ticks())
    except (IndexError, ValueError):
        return None


def wait_seconds(root: str, pid: int) -> Optional[float]:
    """Seconds every thread of ``pid`` spent runnable but waiting for a CPU (schedstat), None when unknown."""
    base = os.path.join(root or "/", "proc", str(pid), "task")
    try:
        tids = os.listdir(base)
    except OSError:
        return None
    total, seen = 0, False
    for tid in tids:
        text = _read(os.path.join(base, tid, "schedstat"))
        try:
            total += int(text.split()[1])
            seen = True
        except (AttributeError, IndexError, ValueError):
            continue
    return total / 1e9 if seen else None


def cgroup_cpu_stat(root: str, pid: int) -> Optional[Dict[str, int]]:
    """``nr_periods``/``nr_throttled`` of the cgroup limiting ``pid``'s CPU, None without a limit we can read."""
    text = _read(os.path.join(root or "/", "proc", str(pid), "cgroup"))
    if not text:
        return None
    base = os.path.join(root or "/", "sys", "fs", "cgroup")
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3 or ".." in parts[2].split("/"):
            continue
        if parts[0] == "0" and parts[1] == "":
            path = os.path.join(base, parts[2].lstrip("/"), "cpu.stat")          # cgroup v2
            alt = os.path.join(base, "unified", parts[2].lstrip("/"), "cpu.stat")  # hybrid layout
        elif "cpu" in parts[1].split(","):
            path = os.path.join(base, "cpu", parts[2].lstrip("/"), "cpu.stat")   # cgroup v1
            alt = os.path.join(base, parts[1], parts[2].lstrip("/"), "cpu.stat")
        else:
            continue
        for candidate in (path, alt):
            stat = _parse_cpu_stat(_read(candidate))
            if stat is not None:
                return stat
    return None


def _parse_cpu_stat(text: Optional[str]) -> Optional[Dict[str, int]]:
    if not text:
        return None
    values = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] in ("nr_periods", "nr_throttled") and parts[1].isdigit():
            values[parts[0]] = int(parts[1])
    return values if len(values) == 2 else None


def sample(root: str, pathspace: Optional[str]) -> Optional[Dict[str, Any]]:
    """One sample of bgpd's CPU (None when bgpd is not running or cannot be proved to be bgpd)."""
    proc = daemon_process(root, pathspace, "bgpd")
    if not proc.running or proc.pid is None:
        return None
    cpu = cpu_seconds(_read(os.path.join(root or "/", "proc", str(proc.pid), "stat")))
    if cpu is None:
        return None
    return {"pid": proc.pid, "at": _monotonic(), "cpu": cpu, "wait": wait_seconds(root, proc.pid),
            "cgroup": cgroup_cpu_stat(root, proc.pid)}


def share(first: Optional[Dict[str, Any]], second: Optional[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    """bgpd's CPU between two samples of the same process, as percentages of the elapsed time; None when unknown.

    ``cpu_percent``: of one CPU (over 100 when threads run in parallel); ``wait_percent``:
    time runnable but not running, threads summed; ``throttled_percent``: the cgroup's
    periods in which the CPU limit stopped it.
    """
    if not first or not second or first["pid"] != second["pid"]:
        return None
    elapsed = second["at"] - first["at"]
    if elapsed <= 0:
        return None
    out: Dict[str, Any] = {"pid": second["pid"], "seconds": round(elapsed, 2),
                           "cpu_percent": round(100.0 * max(0.0, second["cpu"] - first["cpu"]) / elapsed, 1)}
    if first.get("wait") is not None and second.get("wait") is not None:
        out["wait_percent"] = round(100.0 * max(0.0, second["wait"] - first["wait"]) / elapsed, 1)
    a, b = first.get("cgroup"), second.get("cgroup")
    if a and b and b["nr_periods"] > a["nr_periods"]:
        out["throttled_percent"] = round(100.0 * max(0, b["nr_throttled"] - a["nr_throttled"])
                                         / (b["nr_periods"] - a["nr_periods"]), 1)
    return out


def starved(cpu: Optional[Dict[str, Any]], max_cpu_percent: float) -> Optional[str]:
    """Why bgpd is CPU-bound or starved (one phrase), or None.

    CPU-bound: ``cpu_percent`` at or over ``max_cpu_percent``.  Starved: its cgroup
    throttled it in half the periods or more, or its threads waited for a CPU at least
    half the time and twice as long as they ran.
    """
    if not cpu:
        return None
    if max_cpu_percent > 0 and cpu["cpu_percent"] >= max_cpu_percent:
        return "bgpd used %.0f%% of a CPU" % cpu["cpu_percent"]
    if cpu.get("throttled_percent", 0) >= 50:
        return "its CPU limit (cgroup) stopped bgpd in %.0f%% of the periods" % cpu["throttled_percent"]
    wait = cpu.get("wait_percent", 0)
    if wait >= 50 and wait >= 2 * cpu["cpu_percent"]:
        return "bgpd waited for a CPU %.0f%% of the time and ran %.0f%%" % (wait, cpu["cpu_percent"])
    return None
