# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""FRR's ``/etc/frr/daemons`` file and the FRR processes of one pathspace.

The daemons file is a shell fragment that ``frrcommon.sh`` sources as root.
We never execute it here: we read the simple ``NAME=value`` assignments the
shipped file is made of, refuse to edit values we cannot read safely (shell
expansions), and rewrite only the one assignment we change, keeping every
other byte of the file.

A *pathspace* (``frrinit.sh start NAME``, ``vtysh -N NAME``) keeps the config
in ``/etc/frr/NAME/`` and the pid files and sockets in ``/var/run/frr/NAME/``;
several routers (one per network namespace) can share a host that way.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shlex
from typing import Dict, List, Optional, Tuple

from ansible_collections.netmedic.network.plugins.module_utils import procfs

ETC_DIR = "/etc/frr"
RUN_DIR = "/var/run/frr"

# frrcommon.sh (FRR 8.4): the daemons it knows; zebra and staticd always start.
KNOWN_DAEMONS = ("zebra", "bgpd", "ripd", "ripngd", "ospfd", "ospf6d", "isisd", "babeld", "pimd", "pim6d",
                 "ldpd", "nhrpd", "eigrpd", "sharpd", "pbrd", "staticd", "bfdd", "fabricd", "vrrpd", "pathd")
ALWAYS_ON = ("zebra", "staticd")

# watchfrr -T, --restart-timeout (seconds) and zebra -s, --nl-bufsize (bytes): built-in defaults.
WATCHFRR_RESTART_TIMEOUT_DEFAULT = 20
ZEBRA_NL_BUFSIZE_DEFAULT = 4 * 1024 * 1024

WATCHFRR_TIMEOUT_OPT = ("-T", "--restart-timeout")
ZEBRA_BUFSIZE_OPT = ("-s", "--nl-bufsize")

_PATHSPACE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_ASSIGN_RE = re.compile(r"^(?P<indent>[ \t]*)(?P<name>[A-Za-z_][A-Za-z0-9_]*)=(?P<rest>.*)$")
_COMMENTED_RE = r"^[ \t]*#[ \t]*%s="


class DaemonsFileError(ValueError):
    """The daemons file cannot be read or edited safely; ``str()`` is for operators."""


def check_pathspace(pathspace: Optional[str]) -> Optional[str]:
    """A valid pathspace name (or None); anything else raises ValueError."""
    if pathspace in (None, ""):
        return None
    if not isinstance(pathspace, str) or not _PATHSPACE_RE.match(pathspace) or ".." in pathspace:
        raise ValueError("FRR pathspace %r is not a plain name (letters, digits, '.', '_', '-')" % (pathspace,))
    return pathspace


def etc_dir(root: str = "/", pathspace: Optional[str] = None) -> str:
    parts = [root or "/", ETC_DIR.lstrip("/")]
    if check_pathspace(pathspace):
        parts.append(pathspace)
    return os.path.join(*parts)


def run_dir(root: str = "/", pathspace: Optional[str] = None) -> str:
    parts = [root or "/", RUN_DIR.lstrip("/")]
    if check_pathspace(pathspace):
        parts.append(pathspace)
    return os.path.join(*parts)


def vtysh_argv(pathspace: Optional[str], *commands: str) -> List[str]:
    argv = ["vtysh"]
    if check_pathspace(pathspace):
        argv += ["-N", pathspace]
    for c in commands:
        argv += ["-c", c]
    return argv


# ---------------------------------------------------------------- parsing

@dataclasses.dataclass(frozen=True)
class Assignment:
    name: str
    value: str          # the value as the shell would see it (quotes removed)
    line: int           # 0-based line index in the file
    dynamic: bool       # contains $, ` or \ : we cannot know its value without running a shell


def _unquote(rest: str) -> Tuple[str, bool]:
    """Value of the right-hand side of ``NAME=rest`` and whether it is dynamic."""
    rest = rest.rstrip("\r\n")
    dynamic = False
    if rest[:1] == '"':
        end = rest.find('"', 1)
        if end < 0:
            raise DaemonsFileError("unterminated double quote")
        value = rest[1:end]
        dynamic = any(c in value for c in "$`\\")
        tail = rest[end + 1:]
    elif rest[:1] == "'":
        end = rest.find("'", 1)
        if end < 0:
            raise DaemonsFileError("unterminated single quote")
        value = rest[1:end]
        tail = rest[end + 1:]
    else:
        m = re.match(r"^([^\s;#]*)(.*)$", rest)
        value, tail = m.group(1), m.group(2)
        dynamic = any(c in value for c in "$`\\\"'")
    tail = tail.strip()
    if tail and not tail.startswith("#"):
        # NAME="a" b, NAME=x; cmd ...: not a plain assignment
        dynamic = True
    return value, dynamic


def parse_assignments(text: str) -> Dict[str, Assignment]:
    """The plain ``NAME=value`` assignments of a daemons file; the last one of a name wins.

    Raises :class:`DaemonsFileError` on a line a shell would not parse as
    we read it (an unterminated quote).
    """
    found: Dict[str, Assignment] = {}
    for i, line in enumerate(text.splitlines()):
        m = _ASSIGN_RE.match(line)
        if not m:
            continue
        try:
            value, dynamic = _unquote(m.group("rest"))
        except DaemonsFileError as exc:
            raise DaemonsFileError("line %d (%s): %s" % (i + 1, m.group("name"), exc)) from None
        found[m.group("name")] = Assignment(m.group("name"), value, i, dynamic)
    return found


def enabled_daemons(assignments: Dict[str, Assignment]) -> List[str]:
    """Daemons (``name`` or ``name-instance``) frrinit.sh starts, in its order, zebra and staticd always."""
    out: List[str] = []
    for daemon in KNOWN_DAEMONS:
        a = assignments.get(daemon)
        value = "yes" if daemon in ALWAYS_ON else (a.value if a else "")
        if value in ("", "no", "0"):
            continue
        inst = assignments.get(daemon + "_instances")
        if inst and inst.value.strip():
            out.extend("%s-%s" % (daemon, i) for i in re.split(r"[\s,]+", inst.value.strip()) if i)
        else:
            out.append(daemon)
    return out


def option_value(options: str, opt: Tuple[str, str]) -> Optional[str]:
    """Value of a short/long option (``-T 30``, ``-T30``, ``--restart-timeout=30``) in an options string.

    The last occurrence wins (getopt).  None when the option is absent.
    """
    short, long_ = opt
    try:
        tokens = shlex.split(options or "")
    except ValueError as exc:
        raise DaemonsFileError("cannot split options %r: %s" % (options, exc)) from None
    value = None
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok in (short, long_):
            value = tokens[i + 1] if i + 1 < len(tokens) else ""
            i += 2
            continue
        if tok.startswith(long_ + "="):
            value = tok[len(long_) + 1:]
        elif tok.startswith(short) and not tok.startswith("--") and len(tok) > len(short):
            value = tok[len(short):]
        i += 1
    return value


def set_option(options: str, opt: Tuple[str, str], value: str) -> str:
    """``options`` with every occurrence of ``opt`` set to ``value`` (appended when absent).

    Spacing and the other options are kept as they are.
    """
    short, long_ = opt
    value = str(value)
    pattern = re.compile(r"(?<!\S)(%s[ \t]+|%s|%s(?:=|[ \t]+))([^\s]+)"
                         % (re.escape(short), re.escape(short), re.escape(long_)))
    new, count = pattern.subn(lambda m: m.group(1) + value, options or "")
    if count:
        return new
    base = (options or "").rstrip()
    return (base + " " if base else "") + "%s %s" % (short, value)


def set_assignment(text: str, name: str, value: str) -> str:
    """``text`` with the last plain assignment of ``name`` set to ``"value"``.

    When there is no such assignment, the new line goes right after a
    commented example (``#name=""``) if the file has one, else at the end.
    """
    if any(c in value for c in '"$`\\\n'):
        raise DaemonsFileError("refusing to write %s=%r: quotes, $, ` and \\ are not allowed" % (name, value))
    lines = text.splitlines(True)
    assignments = parse_assignments(text)
    new_line = '%s="%s"' % (name, value)
    current = assignments.get(name)
    if current is not None:
        old = lines[current.line]
        indent = _ASSIGN_RE.match(old.rstrip("\r\n")).group("indent")
        tail = _split_tail(old)[1]
        eol = old[len(old.rstrip("\r\n")):] or "\n"
        lines[current.line] = indent + new_line + tail + eol
        return "".join(lines)
    commented = re.compile(_COMMENTED_RE % re.escape(name))
    for i in range(len(lines) - 1, -1, -1):
        if commented.match(lines[i]):
            eol = lines[i][len(lines[i].rstrip("\r\n")):] or "\n"
            if not lines[i].endswith(("\n", "\r")):
                lines[i] += "\n"
            lines.insert(i + 1, new_line + eol)
            return "".join(lines)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    lines.append(new_line + "\n")
    return "".join(lines)


def _split_tail(line: str) -> Tuple[str, str]:
    """(assignment, trailing comment with its leading space) of one line."""
    body = line.rstrip("\r\n")
    m = _ASSIGN_RE.match(body)
    rest = m.group("rest")
    if rest[:1] in ('"', "'"):
        end = rest.find(rest[0], 1)
        after = rest[end + 1:]
    else:
        after = re.match(r"^[^\s;#]*(.*)$", rest).group(1)
    tail = after if after.strip().startswith("#") else ""
    return body[:len(body) - len(after)], tail


def daemon_options(assignments: Dict[str, Assignment], daemon: str) -> str:
    a = assignments.get(daemon + "_options")
    return a.value if a else ""


def checked_options(assignments: Dict[str, Assignment], daemon: str) -> str:
    """``<daemon>_options``, or DaemonsFileError when its value needs a shell to evaluate."""
    a = assignments.get(daemon + "_options")
    if a is None:
        return ""
    if a.dynamic:
        raise DaemonsFileError("%s_options on line %d uses shell expansion (%r); edit it by hand"
                               % (daemon, a.line + 1, a.value))
    return a.value


# ---------------------------------------------------------------- processes

@dataclasses.dataclass(frozen=True)
class Process:
    name: str                  # daemon name as in the pid file (bgpd, ospfd-1, watchfrr)
    pid: Optional[int]
    running: bool
    argv: List[str]
    age_seconds: Optional[float]  # since the process started
    why: str = ""              # why it is not running (no pid file, stale pid ...)


def _read(path: str) -> Optional[str]:
    try:
        with open(path, "r", encoding="utf-8", errors="replace") as fh:
            return fh.read()
    except OSError:
        return None


# /proc/uptime: kept under this name for the FRR audits and frr_reconcile.
uptime_seconds = procfs.uptime_seconds


def process_age(root: str, pid: int, uptime: Optional[float] = None, hz: Optional[int] = None) -> Optional[float]:
    """Seconds since ``pid`` started, from ``/proc/PID/stat`` field 22 and ``/proc/uptime``."""
    stat = procfs.read_stat(pid, root)
    if stat is None:
        return None
    return procfs.age_seconds(stat.start_time, uptime_seconds(root) if uptime is None else uptime, hz)


def process_argv(root: str, pid: int) -> List[str]:
    return list(procfs.read_cmdline(pid, root))


def frr_daemon(pathspace: Optional[str], name: str) -> procfs.Expected:
    """What the pid in ``NAME.pid`` must be: FRR's ``bgpd`` (etc.) binary, of this pathspace and instance.

    frrcommon.sh starts ``/usr/lib/frr/DAEMON -N PATHSPACE -d ... -n INSTANCE``: a
    daemon of another pathspace (a reused pid on a host with several routers)
    is not ours, nor is a default-instance daemon in a pathspace's pid file.
    """
    base, instance = (name.split("-", 1) + [""])[:2]

    def argv_ok(argv) -> bool:
        if (procfs.argv_option(argv, "pathspace", "N") or None) != (pathspace or None):
            return False
        return not instance or procfs.argv_option(argv, "instance", "n") == instance

    what = "FRR's %s%s%s" % (base, (" instance %s" % instance) if instance else "",
                             (" of pathspace %s" % pathspace) if pathspace else "")
    return procfs.Expected(base, what, argv_ok)


def daemon_process(root: str, pathspace: Optional[str], name: str, uptime: Optional[float] = None) -> Process:
    """The process of daemon ``name`` in a pathspace, from its pid file and ``/proc``.

    Running only when the pid is proved to be that daemon (:func:`frr_daemon`):
    the audits judge its age, options and sockets, so a stale pid file must
    not lend them another process.
    """
    pidfile = os.path.join(run_dir(root, pathspace), name + ".pid")
    text = _read(pidfile)
    if text is None:
        return Process(name, None, False, [], None, "no pid file %s" % pidfile)
    try:
        pid = int(text.strip())
    except ValueError:
        return Process(name, None, False, [], None, "pid file %s holds %r" % (pidfile, text.strip()[:40]))
    found = procfs.identify(pid, frr_daemon(pathspace, name), root)
    if isinstance(found, procfs.NotOurs):
        if not found.running:
            return Process(name, pid, False, [], None, "pid %d from %s is not running" % (pid, pidfile))
        other = found.process
        return Process(name, pid, False, list(other.argv), None, "pid %d from %s is %s, not %s (stale pid file)"
                       % (pid, pidfile, other.describe(), frr_daemon(pathspace, name).what))
    if uptime is None:
        uptime = uptime_seconds(root)
    return Process(name, pid, True, list(found.argv), procfs.age_seconds(found.start_time, uptime))


# ---------------------------------------------------------------- editing

def plan_options(text: str, watchfrr_restart_timeout: Optional[int] = None,
                 zebra_netlink_buffer: Optional[int] = None) -> Tuple[str, Dict[str, Dict[str, Optional[str]]]]:
    """New content of a daemons file with ``-T`` / ``-s`` set, and what changed.

    Returns ``(new_text, changes)`` where ``changes`` maps ``watchfrr_options`` /
    ``zebra_options`` to ``{"before": old options, "after": new options}``
    (only the ones that change).  Raises :class:`DaemonsFileError` when a value
    to edit uses shell expansion.
    """
    assignments = parse_assignments(text)
    changes: Dict[str, Dict[str, Optional[str]]] = {}
    for daemon, opt, value in (("watchfrr", WATCHFRR_TIMEOUT_OPT, watchfrr_restart_timeout),
                               ("zebra", ZEBRA_BUFSIZE_OPT, zebra_netlink_buffer)):
        if value is None:
            continue
        current = checked_options(assignments, daemon)
        if option_value(current, opt) == str(int(value)):
            continue
        var = daemon + "_options"
        existed = var in assignments
        new = set_option(current, opt, str(int(value)))
        text = set_assignment(text, var, new)
        assignments = parse_assignments(text)
        changes[var] = {"before": current if existed else None, "after": new}
    return text, changes


VALIDATE_SCRIPT = ('set -e; . "$1" >/dev/null 2>&1; '
                   'printf "%s\\n%s\\n" "${watchfrr_options-}" "${zebra_options-}"')


def shell_values(runner, path: str) -> Tuple[str, str]:
    """(watchfrr_options, zebra_options) as bash sees them after sourcing ``path`` (as frrcommon.sh does)."""
    res = runner(["bash", "--norc", "--noprofile", "-c", VALIDATE_SCRIPT, "netmedic-validate", path], timeout=10)
    if not res.ok:
        raise DaemonsFileError("bash could not source the new daemons file: %s" % res.describe())
    lines = res.stdout.split("\n")
    return (lines[0] if lines else ""), (lines[1] if len(lines) > 1 else "")


def pathspaces_option(pathspaces, pathspace=None) -> List[Optional[str]]:
    """The FRR instances an audit looks at, from its ``pathspaces`` (list) or ``pathspace`` (one) option.

    ``[None]`` (the default instance) when neither is given; ValueError on a bad name.
    """
    value = pathspaces if pathspaces else pathspace
    if not value:
        return [None]
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise ValueError("pathspaces must be a list of FRR pathspace names, not %r" % (value,))
    return [check_pathspace(p) if p else None for p in value]


def audit_instances(ctx, audit_name: str) -> List[Optional[str]]:
    """The FRR instances an audit looks at: its ``pathspaces`` or ``pathspace`` option (see above)."""
    return pathspaces_option(ctx.opt(audit_name, "pathspaces", None), ctx.opt(audit_name, "pathspace", None))


def applies_to_any_instance(ctx, audit_name: str, applies_one) -> bool:
    """True when ``applies_one(ctx, pathspace)`` holds for one of the audit's instances.

    A bad pathspace option counts as applicable, so that the audit's ``run()``
    reports it instead of the audit being silently skipped.
    """
    try:
        spaces = audit_instances(ctx, audit_name)
    except ValueError:
        return True
    return any(applies_one(ctx, p) for p in spaces)


def meant_to_run(root: str, pathspace: Optional[str]) -> bool:
    """FRR is meant to run in this instance, not merely installed.

    True when there is a daemons file and either a pathspace was named, FRR has
    pid files, or systemd runs the host and the frr unit is enabled. Cheap: no
    command runs.
    """
    if not os.path.exists(os.path.join(etc_dir(root, pathspace), "daemons")):
        return False
    if pathspace:
        return True
    run = run_dir(root, None)
    if any(os.path.exists(os.path.join(run, n)) for n in ("watchfrr.pid", "zebra.pid")):
        return True
    root = root or "/"
    if not os.path.isdir(os.path.join(root, "run/systemd/system")):
        return False
    wants = os.path.join(root, "etc/systemd/system")
    try:
        targets = [d for d in os.listdir(wants) if d.endswith(".wants")]
    except OSError:
        return False
    return any(os.path.exists(os.path.join(wants, d, "frr.service")) for d in targets)


def instance_subject(pathspace: Optional[str], what: str) -> str:
    """``what``, naming the pathspace when it is not the default FRR instance."""
    return "%s (pathspace %s)" % (what, pathspace) if pathspace else what
