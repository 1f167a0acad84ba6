# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""FRR's ``/etc/frr/daemons`` file and the FRR processes of one pathspace.

The daemons file is a shell fragment that ``frrcommon.sh`` sources as root.
We never execute it here: we read the simple ``NAME=value`` assignments the
shipped file is made of, refuse to edit values we cannot read safely (shell
expansions), and rewrite only the one assignment we change, keeping every
other byte of the file (CRLF line ends included).  An edited copy is checked
by our own parser and by ``bash -n``, which parses without executing
(:func:`bash_syntax_check`); the option strings themselves are read as argv
by :mod:`frr_options`.

A *pathspace* (``frrinit.sh start NAME``, ``vtysh -N NAME``) keeps the config
in ``/etc/frr/NAME/`` and the pid files and sockets in ``/var/run/frr/NAME/``;
several routers (one per network namespace) can share a host that way.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import dataclasses
import os
import re
import stat
from typing import Dict, List, Optional, Tuple

from ansible_collections.netmedic.network.plugins.module_utils.core import procfs
# The option strings are argv: read and edited in frr_options (re-exported here for the callers).
from ansible_collections.netmedic.network.plugins.module_utils.frr.daemon_argv import (  # noqa: F401
    WATCHFRR_TIMEOUT_OPT, ZEBRA_BUFSIZE_OPT, DaemonsFileError, OptionsError, option_value, set_option, words)

ETC_DIR = "/etc/frr"
RUN_DIR = "/var/run/frr"

# frrcommon.sh (FRR 8.4): the daemons it knows; zebra and staticd always start.
KNOWN_DAEMONS = ("zebra", "bgpd", "ripd", "ripngd", "ospfd", "ospf6d", "isisd", "babeld", "pimd", "pim6d",
                 "ldpd", "nhrpd", "eigrpd", "sharpd", "pbrd", "staticd", "bfdd", "fabricd", "vrrpd", "pathd")
ALWAYS_ON = ("zebra", "staticd")

# watchfrr -T, --restart-timeout (seconds) and zebra -s, --nl-bufsize (bytes): built-in defaults.
WATCHFRR_RESTART_TIMEOUT_DEFAULT = 20
ZEBRA_NL_BUFSIZE_DEFAULT = 4 * 1024 * 1024

_PATHSPACE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_ASSIGN_RE = re.compile(r"^(?P<indent>[ \t]*)(?P<name>[A-Za-z_][A-Za-z0-9_]*)=(?P<rest>.*)$")
_COMMENTED_RE = r"^[ \t]*#[ \t]*%s="


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
    quote, value, tail = _value_and_tail(rest.rstrip("\r\n"))
    if quote == "'":
        dynamic = False
    elif quote == '"':
        dynamic = any(c in value for c in "$`\\")
    else:
        dynamic = any(c in value for c in "$`\\\"'")
    if tail.strip(" \t") and not _comment(tail):
        # NAME="a" b, NAME=x; cmd, NAME="a"b ...: not a plain assignment
        dynamic = True
    return value, dynamic


# An unquoted value ends at a blank (space or tab for bash) or a shell operator; '#' inside a word is
# part of it, as in bash.
_UNQUOTED_RE = re.compile(r"^([^ \t\n;&|<>()]*)(.*)$", re.S)


def _comment(tail: str) -> bool:
    """What follows a value is a comment: blanks, then '#' (bash's blanks are only space and tab)."""
    return tail[:1] in (" ", "\t") and tail.lstrip(" \t").startswith("#")


def _value_and_tail(rest: str) -> Tuple[str, str, str]:
    """(quote character or '', value, what follows it) of the right-hand side of ``NAME=rest``."""
    if rest[:1] in ('"', "'"):
        end = rest.find(rest[0], 1)
        if end < 0:
            raise DaemonsFileError("unterminated %s quote" % ("double" if rest[0] == '"' else "single"))
        return rest[0], rest[1:end], rest[end + 1:]
    m = _UNQUOTED_RE.match(rest)
    return "", m.group(1), m.group(2)


def split_lines(text: str) -> List[str]:
    """The lines of ``text`` as the shell sees them: ended by ``\n`` only (kept, with a ``\r`` before it).

    ``str.splitlines`` also splits at ``\r``, form feeds, ``\x1c``-``\x1e``,
    ``\x85`` and ``\u2028``, which are ordinary characters to bash: line
    numbers and values would not be the ones bash reads.
    """
    lines = text.split("\n")
    out = [line + "\n" for line in lines[:-1]]
    if lines[-1]:
        out.append(lines[-1])
    return out


def _eol(lines: List[str]) -> str:
    """The file's line end for a new line: CRLF when most lines end so (we keep the file's style)."""
    ended = [line for line in lines if line.endswith("\n")]
    crlf = sum(1 for line in ended if line.endswith("\r\n"))
    return "\r\n" if crlf * 2 > len(ended) else "\n"


def parse_assignments(text: str) -> Dict[str, Assignment]:
    """The plain ``NAME=value`` assignments of a daemons file; the last one of a name wins.

    Raises :class:`DaemonsFileError` on a line a shell would not parse as
    we read it (an unterminated quote).
    """
    found: Dict[str, Assignment] = {}
    for i, line in enumerate(split_lines(text)):
        m = _ASSIGN_RE.match(line.rstrip("\r\n"))
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


def set_assignment(text: str, name: str, value: str,
                   assignments: Optional[Dict[str, Assignment]] = None) -> str:
    """``text`` with the last plain assignment of ``name`` set to ``"value"``.

    When there is no such assignment, the new line goes right after a
    commented example (``#name=""``) if the file has one, else at the end.
    """
    if any(c in value for c in '"$`\\\r\n'):
        raise DaemonsFileError("refusing to write %s=%r: quotes, $, ` and \\ are not allowed" % (name, value))
    lines = split_lines(text)
    if assignments is None:
        assignments = parse_assignments(text)
    new_line = '%s="%s"' % (name, value)
    current = assignments.get(name)
    if current is not None:
        old = lines[current.line]
        indent = _ASSIGN_RE.match(old.rstrip("\r\n")).group("indent")
        tail = _split_tail(old)[1]
        eol = old[len(old.rstrip("\r\n")):]   # kept as it was, none on a last line without one
        lines[current.line] = indent + new_line + tail + eol
        return "".join(lines)
    eol = _eol(lines)
    commented = re.compile(_COMMENTED_RE % re.escape(name))
    at = len(lines)
    for i in range(len(lines) - 1, -1, -1):
        if commented.match(lines[i]):
            at = i + 1
            break
    if at and not lines[at - 1].endswith("\n"):
        lines[at - 1] += eol
    lines.insert(at, new_line + eol)
    return "".join(lines)


def _split_tail(line: str) -> Tuple[str, str]:
    """(assignment, trailing comment with its leading space) of one line."""
    body = line.rstrip("\r\n")
    m = _ASSIGN_RE.match(body)
    after = _value_and_tail(m.group("rest"))[2]
    tail = after if _comment(after) else ""
    return body[:len(body) - len(after)], tail


def daemon_options(assignments: Dict[str, Assignment], daemon: str) -> str:
    a = assignments.get(daemon + "_options")
    return a.value if a else ""


def checked_options(assignments: Dict[str, Assignment], daemon: str) -> str:
    """``<daemon>_options``, or DaemonsFileError when its value needs a shell to evaluate.

    frrcommon.sh runs the value through ``eval``: it must also read as plain
    words there (:func:`frr_options.words`).
    """
    a = assignments.get(daemon + "_options")
    if a is None:
        return ""
    if a.dynamic:
        raise DaemonsFileError("%s_options on line %d uses shell expansion (%r); edit it by hand"
                               % (daemon, a.line + 1, a.value))
    try:
        words(a.value)
    except OptionsError as exc:
        raise DaemonsFileError("%s_options on line %d: %s; edit it by hand" % (daemon, a.line + 1, exc)) from None
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
        _refuse_shell_code(text, assignments, daemon + "_options")
        current = checked_options(assignments, daemon)
        if option_value(current, opt) == str(int(value)):
            continue
        var = daemon + "_options"
        existed = var in assignments
        new = set_option(current, opt, str(int(value)))
        text = set_assignment(text, var, new, assignments)
        assignments = parse_assignments(text)
        changes[var] = {"before": current if existed else None, "after": new}
    return text, changes


def _refuse_shell_code(text: str, assignments: Dict[str, Assignment], var: str) -> None:
    """DaemonsFileError when shell code (not a plain assignment) could set ``var``: we would not know its value.

    We never run the file to find out (issue 11: sourcing it ran whatever it
    holds, as root, even in check mode): a line that is not blank, a comment
    or ``NAME=value`` and names ``var`` (``export``, ``if``, ``read``,
    ``eval``...), a file that sources another, or an indented assignment of
    ``var`` (inside an ``if`` or a function) makes us refuse.
    """
    a = assignments.get(var)
    if a is not None and split_lines(text)[a.line][:1] in (" ", "\t"):
        raise DaemonsFileError("%s on line %d is indented (inside an if or a function?): we cannot tell whether "
                               "bash runs it; edit it by hand" % (var, a.line + 1))
    for i, line in enumerate(split_lines(text)):
        body = line.strip()
        if not body or body.startswith("#") or _plain_assignment(line):
            continue
        first = body.split(None, 1)[0]
        if re.search(r"\b%s\b" % re.escape(var), body) or first in (".", "source", "eval"):
            raise DaemonsFileError("line %d (%r) is shell code that may set %s: we do not run the file to find "
                                   "out; edit it by hand" % (i + 1, body[:80], var))


def _plain_assignment(line: str) -> bool:
    """``NAME=value`` with nothing after it but a comment: it sets NAME and nothing else."""
    m = _ASSIGN_RE.match(line.rstrip("\r\n"))
    if not m:
        return False
    try:
        tail = _value_and_tail(m.group("rest"))[2]
    except DaemonsFileError:
        return False
    return not tail.strip(" \t") or _comment(tail)


def _state(assignments: Dict[str, Assignment], name: str) -> Optional[Tuple[str, bool]]:
    a = assignments.get(name)
    return None if a is None else (a.value, a.dynamic)


def verify_edit(before: str, after: str, expected: Dict[str, str]) -> None:
    """Our own parser's check of an edited copy: the variables of ``expected`` have exactly those plain values,
    and every other assignment is as it was.  DaemonsFileError otherwise (nothing is written then)."""
    old, new = parse_assignments(before), parse_assignments(after)
    for var, value in expected.items():
        got = new.get(var)
        if got is None or got.dynamic or got.value != value:
            raise DaemonsFileError("the edited daemons file gives %s=%r, expected %r"
                                   % (var, None if got is None else got.value, value))
    if any(_state(old, name) != _state(new, name) for name in set(old) | set(new) if name not in expected):
        raise DaemonsFileError("the edit changed other variables of the daemons file")


# `bash -n` reads the whole file and reports syntax errors without executing a single command
# (bash(1): "Read commands but do not execute them"; even BASH_ENV is not read then, and we empty
# it anyway).  The file comes on stdin, so no copy of it is written anywhere.
BASH_SYNTAX_ARGV = ["bash", "--norc", "--noprofile", "-n"]


def bash_syntax_check(runner, text: str, timeout: float = 10.0) -> None:
    """DaemonsFileError with bash's own message when bash cannot parse ``text`` (as frrcommon.sh will have to).

    Raises runner.CommandError when bash cannot run.
    """
    res = runner(BASH_SYNTAX_ARGV, input=text, env={"BASH_ENV": "", "ENV": ""}, timeout=timeout)
    if not res.ok:
        said = (res.stderr or res.stdout).strip() or "exit status %d" % res.rc
        raise DaemonsFileError("bash -n (syntax check, nothing executed) rejects it: %s" % said)


class UnreadableFile(ValueError):
    """A configuration file cannot be read as text; ``str()`` says why, for operators."""


def read_frr_file(path: str) -> str:
    """The text of one of FRR's files (daemons, frr.conf), every byte kept (CRLF included).

    A symlink is followed (and an edit goes to its target).  Only UTF-8 is
    accepted: FRR's files are ASCII, and a file in another encoding could not
    be written back byte for byte.  Raises :class:`UnreadableFile`: no such
    file (or a dangling symlink), a directory, not a regular file, not UTF-8
    (with the offset of the first bad byte), or the reason the OS gives; the
    message starts with the path.
    """
    try:
        st = os.stat(path)
        if stat.S_ISDIR(st.st_mode):
            raise UnreadableFile("%s is a directory, not a file" % path)
        if not stat.S_ISREG(st.st_mode):
            raise UnreadableFile("%s is not a regular file" % path)
        with open(path, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        dangling = " (a dangling symlink)" if os.path.islink(path) else ""
        raise UnreadableFile("%s does not exist%s" % (path, dangling)) from None
    except OSError as exc:
        raise UnreadableFile("%s cannot be read: %s" % (path, exc.strerror or exc)) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnreadableFile("%s is not UTF-8 text (byte 0x%02x at offset %d)"
                             % (path, data[exc.start], exc.start)) from None


def read_daemons_file(path: str) -> str:
    """:func:`read_frr_file`, with DaemonsFileError."""
    try:
        return read_frr_file(path)
    except UnreadableFile as exc:
        raise DaemonsFileError(str(exc)) from None


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
