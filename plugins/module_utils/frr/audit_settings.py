# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Audit FRR's process settings (incident 000: daemons back with half their config).

Incident 000: zebra overran its netlink receive buffer, watchfrr ran
``restart all``, and its restart timeout (``-T``, 20 s by default) killed the
``vtysh -b`` that was pushing a large frr.conf: the daemons came back with
part of their configuration.  This audit reads ``/etc/frr[/PATHSPACE]/daemons``
(FRR instances: ``pathspaces``, a list, or ``pathspace``; default the host's),
frr.conf, the pid files and ``/proc``; it runs no command and changes nothing.

Checks (options under ``options.frr_settings``):

* NM-FRR-010: watchfrr's restart timeout is shorter than the estimated time to
  load frr.conf.  The estimate is ``config lines / lines_per_second``;
  ``lines_per_second`` defaults to 100.  Measured with FRR 8.4 on 2 cores
  (prefix-list lines): 250 lines/s on an idle machine (20,000 lines in about
  80 s under watchfrr with ``-T 300``, about 70 s with ``vtysh -f``), 174
  lines/s on a busy one (3,478 lines in the 20 s of ``-T 20``), 53-59 lines/s
  at load average 7 (``vtysh -b`` of 2,000 and 5,000 lines,
  tests/bench/audits_routing.py).  A restart happens when the router is in
  trouble, so the default sits low in that range.  Critical when the
  estimate exceeds the timeout, warning when it exceeds ``timeout /
  timeout_margin`` (margin 2).
* NM-FRR-011: zebra's netlink receive buffer (``-s``) is smaller than
  ``min_netlink_buffer`` (default 16 MiB; the binary's default is 4 MiB,
  Debian's daemons file ships 90 MB).
* NM-FRR-012: the buffer zebra asks for is capped by ``net.core.rmem_max``
  because zebra runs without CAP_NET_ADMIN (it then cannot force the size).
* NM-FRR-013: zebra's netlink sockets have dropped messages (overruns, the
  first step of incident 000), from ``/proc/PID/net/netlink``.
* NM-FRR-014: a daemon enabled in the daemons file is not running.
* NM-FRR-015: a daemon was restarted recently (younger than
  ``recent_restart_seconds``, default 3600, and started after watchfrr: it was
  restarted, not started with FRR).
* NM-FRR-016: the whole FRR stack started recently (info).
* NM-FRR-017: the running watchfrr/zebra options differ from the daemons file
  (a change waits for an FRR restart).
* NM-FRR-018: the running config differs from frr.conf (``check_drift``,
  default false because the ``frr_drift`` audit, NM-FRR-001..004, reports
  drift in detail; the reconcile engine's parser and normaliser, read-only).
  Critical when a daemon also restarted recently: the signature of incident
  000, daemons back with part of their config.  Warning otherwise.
* NM-FRR-019: the daemons file or frr.conf is missing or cannot be read.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import os
import shlex
from typing import Any, Dict, List, Optional

from ansible_collections.netmedic.network.plugins.module_utils.core.audit import (
    Audit, AuditContext, Option, integer, number)
from ansible_collections.netmedic.network.plugins.module_utils.core.findings import CRITICAL, INFO, WARNING, Finding, Fix
from ansible_collections.netmedic.network.plugins.module_utils.core.params import SECONDS_OR_ZERO
from ansible_collections.netmedic.network.plugins.module_utils.core.procfs import uptime_seconds
from ansible_collections.netmedic.network.plugins.module_utils.core.runner import CommandError
from ansible_collections.netmedic.network.plugins.module_utils.frr import instances, render, version as frr_version
from ansible_collections.netmedic.network.plugins.module_utils.frr.config import FrrConfigError
from ansible_collections.netmedic.network.plugins.module_utils.frr.daemon_argv import DaemonsFileError
from ansible_collections.netmedic.network.plugins.module_utils.frr.daemons_file import (
    enabled_daemons, parse_assignments)
from ansible_collections.netmedic.network.plugins.module_utils.frr.files import UnreadableFile, read_frr_file
from ansible_collections.netmedic.network.plugins.module_utils.frr.paths import (
    daemons_path as daemons_file_path, frr_conf_path, has_mgmtd, vtysh_argv)
from ansible_collections.netmedic.network.plugins.module_utils.frr.compare import RENDER_HELP, compare, instance_daemons
from ansible_collections.netmedic.network.plugins.module_utils.frr.plan import counts_by_area, describe
from ansible_collections.netmedic.network.plugins.module_utils.frr.processes import (
    capabilities, daemon_process, netlink_drops)
from ansible_collections.netmedic.network.plugins.module_utils.frr.settings import (
    FRRINIT, WATCHFRR_RESTART_TIMEOUT, ZEBRA_NETLINK_BUFFER, in_file, in_process)
from ansible_collections.netmedic.network.plugins.module_utils.frr.vtysh import ReconcileError, Target, running_config

NAME = "frr_settings"
INCIDENT = "000"
FIX_MODULE = "netmedic.network.frr_daemons_options"
# NM-FRR-018 (drift) is fixed by reconciling the running config.
FIX_MODULE_RECONCILE = "netmedic.network.frr_reconcile"

CHECKS = {
    "NM-FRR-010": "watchfrr restart timeout (-T) shorter than the estimated frr.conf load time",
    "NM-FRR-011": "zebra netlink receive buffer (-s) below the minimum",
    "NM-FRR-012": "zebra netlink buffer capped by net.core.rmem_max (no CAP_NET_ADMIN)",
    "NM-FRR-013": "zebra netlink socket dropped messages (overrun)",
    "NM-FRR-014": "FRR daemon enabled in the daemons file but not running",
    "NM-FRR-015": "FRR daemon restarted recently",
    "NM-FRR-016": "FRR started recently",
    "NM-FRR-017": "running watchfrr/zebra options differ from the daemons file",
    "NM-FRR-018": "running config differs from frr.conf (critical after a recent restart)",
    "NM-FRR-019": "FRR daemons file missing or unreadable",
}

CAP_NET_ADMIN = 12


_subject = instances.instance_subject


def applies(ctx: AuditContext) -> bool:
    """FRR is meant to run in one of the instances (see :func:`_applies_one`)."""
    return instances.applies_to_any_instance(AUDIT, ctx, _applies_one)


def _applies_one(ctx: AuditContext, pathspace: Optional[str]) -> bool:
    return instances.meant_to_run(ctx.root, pathspace)


def count_config_lines(text: str) -> int:
    """Lines vtysh executes: not blank, not a ``!`` or ``#`` comment."""
    n = 0
    for line in text.splitlines():
        s = line.strip()
        if s and not s.startswith(("!", "#")):
            n += 1
    return n


def estimate_load_seconds(lines: int, lines_per_second: float) -> float:
    return lines / float(lines_per_second)


def run(ctx: AuditContext) -> List[Finding]:
    try:
        spaces = instances.instances(AUDIT, ctx)
    except ValueError as exc:
        return [Finding(id="NM-FRR-019", severity=WARNING, incident=INCIDENT, subject="options.frr_settings",
                        summary="cannot audit FRR settings: %s" % exc, evidence={"error": str(exc)},
                        fix=Fix(manual="Give options.frr_settings.pathspaces as a list of pathspace names."))]
    findings: List[Finding] = []
    for pathspace in spaces:
        if len(spaces) > 1 and not _applies_one(ctx, pathspace):
            continue
        findings += _run_one(ctx, pathspace)
    return findings


def _run_one(ctx: AuditContext, pathspace: Optional[str]) -> List[Finding]:
    daemons_path = daemons_file_path(ctx.root, pathspace)
    fix_target = {"pathspace": pathspace} if pathspace else {}
    try:
        # (lenient: only read, and an accented comment must not hide the settings)
        assignments = parse_assignments(read_frr_file(daemons_path, lenient=True))
    except (UnreadableFile, DaemonsFileError) as exc:
        reason = exc.reason if isinstance(exc, UnreadableFile) else str(exc)
        return [Finding(
            id="NM-FRR-019", severity=WARNING, incident=INCIDENT, subject=_subject(pathspace, daemons_path),
            summary="cannot read FRR's daemons file %s: %s" % (daemons_path, reason),
            evidence={"path": daemons_path, "error": reason},
            fix=Fix(manual="Restore %s from the frr package (/usr/share/doc/frr or a backup)." % daemons_path))]

    findings: List[Finding] = []
    uptime = uptime_seconds(ctx.root)
    enabled = enabled_daemons(assignments, mgmtd=has_mgmtd(ctx.root))
    procs = {name: daemon_process(ctx.root, pathspace, name, uptime) for name in ["watchfrr"] + enabled}

    findings += _restart_timeout(ctx, pathspace, daemons_path, assignments, procs, fix_target)
    findings += _netlink_buffer(ctx, pathspace, daemons_path, assignments, procs, fix_target)
    findings += _processes(ctx, pathspace, daemons_path, enabled, procs)
    if AUDIT.option(ctx, "check_drift") and procs.get("zebra") is not None and procs["zebra"].running:
        restarted = [f.evidence.get("daemon") for f in findings if f.id == "NM-FRR-015"]
        findings += _drift(ctx, pathspace, restarted, fix_target)
    if findings:
        frr_version.annotate(findings, frr_version.read(ctx.runner, pathspace))
    return findings


def _drift(ctx, pathspace, restarted, fix_target) -> List[Finding]:
    conf_path = frr_conf_path(ctx.root, pathspace)
    subject = _subject(pathspace, "frr.conf")
    try:
        intended = read_frr_file(conf_path)
    except UnreadableFile:
        return []  # reported by the restart-timeout check
    target = Target(pathspace=pathspace, root=ctx.root, runner=ctx.runner)
    try:
        running = running_config(target)
        d = compare(intended, running, conf_path, mode=AUDIT.option(ctx, "render"),
                    daemons=instance_daemons(ctx.root, pathspace), runner=ctx.runner, root=ctx.root).plan.diff
    except (ReconcileError, FrrConfigError, CommandError) as exc:
        return [Finding(
            id="NM-FRR-018", severity=WARNING, incident=INCIDENT, subject=subject,
            summary="cannot compare the running FRR config with %s: %s" % (conf_path, str(exc).splitlines()[0]),
            evidence={"frr_conf": conf_path, "error": str(exc)},
            fix=Fix(manual="Run %s by hand." % shlex.join(vtysh_argv(pathspace, "show running-config"))))]
    if d.empty:
        return []
    counts = d.summary()
    severity = CRITICAL if restarted else WARNING
    summary = ("running FRR config differs from %s (%d line(s) missing, %d extra)%s"
               % (conf_path, counts["add"], counts["delete"],
                  ": %s restarted recently and came back with partial config" % ", ".join(restarted)
                  if restarted else ""))
    return [Finding(
        id="NM-FRR-018", severity=severity, incident=INCIDENT, subject=subject, summary=summary,
        evidence={"frr_conf": conf_path, "missing_from_running": counts["add"], "extra_in_running": counts["delete"],
                  "by_area": counts_by_area(d), "first_differences": describe(d, 10),
                  "restarted_recently": restarted},
        fix=Fix(module=FIX_MODULE_RECONCILE, params=dict(fix_target),
                manual="Bring the running config back to %s (%s, check mode first), or save the running config if "
                       "it is the one you want." % (conf_path, FIX_MODULE_RECONCILE)))]


# ---------------------------------------------------------------- -T

def _restart_timeout(ctx, pathspace, daemons_path, assignments, procs, fix_target) -> List[Finding]:
    findings: List[Finding] = []
    in_daemons_file = in_file(assignments, WATCHFRR_RESTART_TIMEOUT)
    file_value = in_daemons_file.given
    running = in_process(procs["watchfrr"], WATCHFRR_RESTART_TIMEOUT)
    running_value = running.assumed if running is not None else None
    configured = in_daemons_file.assumed
    # The running process is what bites tonight; the file is what the next start uses.
    effective = min(v for v in (configured, running_value) if v is not None)

    conf_path = frr_conf_path(ctx.root, pathspace)
    try:
        lines = count_config_lines(read_frr_file(conf_path, lenient=True))
    except UnreadableFile as exc:
        lines = None
        if not exc.missing:
            findings.append(Finding(
                id="NM-FRR-019", severity=WARNING, incident=INCIDENT, subject=_subject(pathspace, conf_path),
                summary="cannot read %s: %s" % (conf_path, exc.reason), evidence={"path": conf_path,
                                                                                  "error": exc.reason},
                fix=Fix(manual="Check the permissions of %s (frr:frr, mode 640)." % conf_path)))
    if lines is None:
        return findings

    lps = float(AUDIT.option(ctx, "lines_per_second"))
    margin = float(AUDIT.option(ctx, "timeout_margin"))
    estimate = estimate_load_seconds(lines, lps)
    if estimate * margin < effective:
        return findings
    severity = CRITICAL if estimate >= effective else WARNING
    # at least `margin` times the estimate, rounded up to 10 s
    recommended = max(int(AUDIT.option(ctx, "recommended_min_timeout")),
                      int(-(-round(estimate * margin, 1) // 10) * 10))
    evidence: Dict[str, Any] = {
        "frr_conf": conf_path,
        "config_lines": lines,
        "lines_per_second": lps,
        "estimated_load_seconds": round(estimate, 1),
        "model": ("estimated load time = %d config lines / %g lines per second = %.0f s. Measured with FRR 8.4 on "
                  "2 cores: 250 lines/s idle (20,000 lines in about 80 s), 174 lines/s busy, 53-59 lines/s at load "
                  "average 7; a restart comes when the router is in trouble, so the default (100) sits low. Tune "
                  "it with options.frr_settings.lines_per_second." % (lines, lps, estimate)),
        "restart_timeout_seconds": effective,
        "restart_timeout_in_daemons_file": file_value,
        "restart_timeout_of_running_watchfrr": running_value,
        "timeout_margin": margin,
        "daemons_file": daemons_path,
    }
    if severity == CRITICAL:
        summary = ("watchfrr kills a restart after %d s but frr.conf (%d lines) needs about %.0f s to load: "
                   "after a 'restart all' the daemons come back with partial config"
                   % (effective, lines, estimate))
    else:
        summary = ("watchfrr's restart timeout (%d s) leaves less than %gx headroom over the estimated %.0f s "
                   "load time of frr.conf (%d lines)" % (effective, margin, estimate, lines))
    params = dict(fix_target, watchfrr_restart_timeout=recommended)
    return findings + [Finding(
        id="NM-FRR-010", severity=severity, incident=INCIDENT, subject=_subject(pathspace, "watchfrr"),
        summary=summary, evidence=evidence,
        fix=Fix(module=FIX_MODULE, params=params,
                manual="Set watchfrr_options=\"-T %d\" in %s; it takes effect at the next FRR restart "
                       "(restart FRR in a maintenance window)." % (recommended, daemons_path)))]


# ---------------------------------------------------------------- -s

def _sysctl_int(root: str, name: str) -> Optional[int]:
    path = os.path.join(root or "/", "proc/sys", name.replace(".", "/"))
    try:
        with open(path, "r") as fh:
            return int(fh.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _netlink_buffer(ctx, pathspace, daemons_path, assignments, procs, fix_target) -> List[Finding]:
    findings: List[Finding] = []
    a = assignments.get("zebra_options")
    if a is not None and a.dynamic:
        return findings
    in_daemons_file = in_file(assignments, ZEBRA_NETLINK_BUFFER)
    file_value = in_daemons_file.given
    zebra = procs.get("zebra")
    running = in_process(zebra, ZEBRA_NETLINK_BUFFER) if zebra is not None else None
    running_value = running.assumed if running is not None else None
    configured = in_daemons_file.assumed
    minimum = int(AUDIT.option(ctx, "min_netlink_buffer"))
    rmem_max = _sysctl_int(ctx.root, "net.core.rmem_max")
    subject = _subject(pathspace, "zebra")

    small = [v for v in (configured, running_value) if v is not None and v < minimum]
    manual_s = "Set -s in zebra_options in %s (Debian ships 90000000); restart FRR to apply." % daemons_path
    params_s = dict(fix_target, zebra_netlink_buffer=max(minimum, 90000000))
    if small:
        findings.append(Finding(
            id="NM-FRR-011", severity=WARNING, incident=INCIDENT, subject=subject,
            summary="zebra's netlink receive buffer is %d bytes (%.1f MiB), under the %.0f MiB minimum: a burst of "
                    "kernel route/link events overruns it" % (min(small), min(small) / 1048576.0, minimum / 1048576.0),
            evidence={"nl_bufsize_in_daemons_file": file_value, "nl_bufsize_of_running_zebra": running_value,
                      "binary_default": ZEBRA_NETLINK_BUFFER.default, "minimum": minimum,
                      "daemons_file": daemons_path, "net.core.rmem_max": rmem_max},
            fix=Fix(module=FIX_MODULE, params=params_s, manual=manual_s)))

    if zebra is not None and zebra.running and zebra.pid is not None:
        caps = capabilities(ctx.root, zebra.pid)
        asked = running_value or configured
        if caps is not None and not caps & (1 << CAP_NET_ADMIN) and rmem_max is not None and rmem_max < asked:
            findings.append(Finding(
                id="NM-FRR-012", severity=WARNING, incident=INCIDENT, subject=subject,
                summary="zebra asks for a %d-byte netlink buffer but runs without CAP_NET_ADMIN, so the kernel "
                        "caps it at net.core.rmem_max=%d" % (asked, rmem_max),
                evidence={"nl_bufsize": asked, "net.core.rmem_max": rmem_max, "zebra_pid": zebra.pid,
                          "cap_prm": "%016x" % caps},
                fix=Fix(manual="Raise net.core.rmem_max to at least %d (sysctl -w, and in /etc/sysctl.d) or let "
                               "zebra keep CAP_NET_ADMIN." % asked)))
        drops = netlink_drops(ctx.root, zebra.pid)
        if drops:
            total = sum(drops.values())
            if total > 0:
                findings.append(Finding(
                    id="NM-FRR-013", severity=WARNING, incident=INCIDENT, subject=subject,
                    summary="zebra's netlink sockets dropped %d messages (receive buffer overrun): zebra's view "
                            "of the kernel may be stale" % total,
                    evidence={"drops_by_socket_inode": drops, "zebra_pid": zebra.pid, "nl_bufsize": asked},
                    fix=Fix(module=FIX_MODULE, params=dict(fix_target, zebra_netlink_buffer=max(asked * 2, 90000000)),
                            manual="Raise zebra's -s and restart FRR in a maintenance window; check the logs for "
                                   "'recvmsg overrun'.")))
    # running options that differ from the file: the change waits for a restart
    pending = {}
    watchfrr = procs["watchfrr"]
    if watchfrr.running:
        wf_file = in_file(assignments, WATCHFRR_RESTART_TIMEOUT).assumed
        wf_run = in_process(watchfrr, WATCHFRR_RESTART_TIMEOUT).assumed
        if wf_file != wf_run and not (assignments.get("watchfrr_options") and
                                      assignments["watchfrr_options"].dynamic):
            pending["watchfrr -T"] = {"daemons_file": wf_file, "running": wf_run}
    if running_value is not None and running_value != configured:
        pending["zebra -s"] = {"daemons_file": configured, "running": running_value}
    if pending:
        findings.append(Finding(
            id="NM-FRR-017", severity=INFO, incident=INCIDENT, subject=_subject(pathspace, "frr"),
            summary="running FRR uses other settings than %s (%s): the file applies at the next FRR restart"
                    % (daemons_path, ", ".join(sorted(pending))),
            evidence={"differences": pending, "daemons_file": daemons_path},
            fix=Fix(manual="Restart FRR in a maintenance window to apply %s." % daemons_path)))
    return findings


# ---------------------------------------------------------------- processes

def _processes(ctx, pathspace, daemons_path, enabled, procs) -> List[Finding]:
    findings: List[Finding] = []
    recent = float(AUDIT.option(ctx, "recent_restart_seconds"))
    watchfrr = procs["watchfrr"]
    restart_cmd = "%s restart%s" % (FRRINIT, " " + pathspace if pathspace else "")
    down = [n for n in ["watchfrr"] + enabled if not procs[n].running]
    for name in down:
        p = procs[name]
        findings.append(Finding(
            id="NM-FRR-014", severity=CRITICAL, incident=INCIDENT, subject=_subject(pathspace, name),
            summary="%s is enabled in %s but not running" % (name, daemons_path) if name != "watchfrr"
            else "watchfrr is not running: nothing restarts a crashed FRR daemon",
            evidence={"daemon": name, "why": p.why, "pid": p.pid, "enabled": enabled},
            fix=Fix(manual="Look at the FRR logs for why %s stopped, then start FRR (%s or systemctl restart frr)."
                           % (name, restart_cmd))))
    running = [n for n in enabled if procs[n].running and procs[n].age_seconds is not None]
    if not running:
        return findings
    wf_age = watchfrr.age_seconds if watchfrr.running else None
    restarted = []
    for name in running:
        age = procs[name].age_seconds
        after_watchfrr = wf_age is not None and wf_age - age > 10
        if age < recent and (after_watchfrr or wf_age is None):
            restarted.append(name)
            findings.append(Finding(
                id="NM-FRR-015", severity=WARNING, incident=INCIDENT, subject=_subject(pathspace, name),
                summary="%s was restarted %.0f s ago%s: check it came back with its whole config"
                        % (name, age, " (watchfrr has run for %.0f s)" % wf_age if wf_age is not None else ""),
                evidence={"daemon": name, "pid": procs[name].pid, "age_seconds": round(age, 1),
                          "watchfrr_age_seconds": None if wf_age is None else round(wf_age, 1),
                          "recent_restart_seconds": recent},
                fix=Fix(manual="Read the FRR logs around the restart; compare 'show running-config' with frr.conf "
                               "(the FRR config-drift audit does this).")))
    if wf_age is not None and wf_age < recent and not restarted:
        findings.append(Finding(
            id="NM-FRR-016", severity=INFO, incident=INCIDENT, subject=_subject(pathspace, "frr"),
            summary="FRR started %.0f s ago: sessions and routes may still be converging" % wf_age,
            evidence={"watchfrr_age_seconds": round(wf_age, 1),
                      "daemon_ages": {n: round(procs[n].age_seconds, 1) for n in running}},
            fix=Fix(manual="Wait for BGP/OSPF to converge before starting maintenance.")))
    return findings


AUDIT = Audit(
    name=NAME,
    area="frr",
    skip_reason="FRR is not meant to run here (no daemon enabled in a daemons file)",
    description="FRR process settings: watchfrr restart timeout vs frr.conf size, zebra netlink buffer, "
                "daemons down or restarted (incident 000)",
    run=run, applies=applies, checks=CHECKS,
    # Every option this audit reads (issue 11: unknown keys and non-finite numbers fail the preflight).
    options={
        "pathspaces": Option(description=instances.PATHSPACES_HELP),
        "pathspace": Option(description=instances.PATHSPACE_HELP),
        "lines_per_second": number((0.001, 10 ** 9), default=100.0,
                                   description="frr.conf lines FRR loads per second during a restart (NM-FRR-010's "
                                               "model; measured 53 to 250)"),
        "timeout_margin": number((1, 100), default=2.0,
                                 description="NM-FRR-010 warns when the restart timeout is under this many times "
                                             "the estimated load time"),
        "min_netlink_buffer": integer((0, 2 ** 31 - 1), default=16 * 1024 * 1024,  # SO_RCVBUF is an int
                                      description="smallest zebra netlink receive buffer (-s, bytes) not reported "
                                                  "(NM-FRR-011)"),
        "recent_restart_seconds": number(SECONDS_OR_ZERO, default=3600,
                                         description="a daemon younger than this (started after watchfrr) was "
                                                     "restarted (NM-FRR-015, NM-FRR-016)"),
        "recommended_min_timeout": integer((1, 86400), default=120,
                                           description="the smallest -T (seconds) a NM-FRR-010 fix recommends"),
        # Off by default: the frr_drift audit (NM-FRR-001..004) reports drift; this adds the restart
        # correlation for those who want it in one finding.
        "check_drift": Option(default=False,
                              description="also compare the running config with frr.conf (NM-FRR-018, critical "
                                          "after a recent restart)"),
        "render": Option("str", choices=render.MODES, default="frr", description="with check_drift, " + RENDER_HELP),
    })
