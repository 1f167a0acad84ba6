# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""FRR's ``/etc/frr/daemons`` file: read it, edit one assignment, verify the edit.

The daemons file is a shell fragment that ``frrcommon.sh`` sources as root.
We never execute it here: :mod:`core.shell_assign` reads its ``NAME=value``
assignments as bash would, we refuse to edit values we cannot know without a
shell (expansions, commands, assignments inside shell code), and we rewrite
only the value of the one assignment we change, keeping every other byte of
the file (CRLF line ends included).  An edited copy is checked by our own
parser (:func:`verify_edit`) and by ``bash -n``, which parses without
executing (:func:`bash_syntax_check`); the option strings themselves are read
as argv by :mod:`frr.daemon_argv`.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Dict, List, Optional, Set, Tuple

from ansible_collections.netmedic.network.plugins.module_utils.core import shell_assign
from ansible_collections.netmedic.network.plugins.module_utils.frr.daemon_argv import (
    WATCHFRR_TIMEOUT_OPT, ZEBRA_BUFSIZE_OPT, DaemonsFileError, OptionsError, option_value, set_option, words)

# frrcommon.sh (FRR 8.4): the daemons it knows; zebra and staticd always start.
KNOWN_DAEMONS = ("zebra", "bgpd", "ripd", "ripngd", "ospfd", "ospf6d", "isisd", "babeld", "pimd", "pim6d",
                 "ldpd", "nhrpd", "eigrpd", "sharpd", "pbrd", "staticd", "bfdd", "fabricd", "vrrpd", "pathd")
ALWAYS_ON = ("zebra", "staticd")

# The quoting we edit in place: none, '...' or "..." (one word, one line).  Backslash escapes,
# $'...', mixed quoting, values over several lines and `export NAME=` are left to the operator.
_PLAIN_STYLES = ("", "'", '"')
_COMMENTED_RE = r"^[ \t]*#[ \t]*%s="
_EXPORT_RE = re.compile(r"[ \t]*export[ \t]")


@dataclasses.dataclass(frozen=True)
class Assignment:
    name: str
    value: str          # the value as bash sees it; when dynamic, the text as written
    line: int           # 0-based line index in the file
    dynamic: bool       # a shell would be needed to know it, or it is written in a form we do not edit
    start: int = 0      # offsets of the value in the text (what an edit replaces)
    end: int = 0


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


def _read(text: str) -> List[Tuple[shell_assign.Assignment, bool]]:
    """Every assignment line bash would read, with whether it is an ``export`` (which we treat as shell code).

    Raises :class:`DaemonsFileError` on an unterminated quote: bash would
    not parse the file.
    """
    lines = split_lines(text)
    out = []
    for a in shell_assign.assignments(text):
        exported = bool(_EXPORT_RE.match(lines[a.line]))
        if a.value is None and "unterminated" in a.problem and not exported:
            raise DaemonsFileError("line %d (%s): %s" % (a.line + 1, a.name, re.sub(r"^an ", "", a.problem)))
        out.append((a, exported))
    return out


def parse_assignments(text: str) -> Dict[str, Assignment]:
    """The ``NAME=value`` assignments of a daemons file; the last one of a name wins.

    Raises :class:`DaemonsFileError` on a line a shell would not parse (an
    unterminated quote).
    """
    found: Dict[str, Assignment] = {}
    for a, exported in _read(text):
        if exported:
            continue
        plain = a.value is not None and a.style in _PLAIN_STYLES and a.last_line == a.line
        value = a.value if plain else text[a.start:a.end].rstrip("\r")
        found[a.name] = Assignment(a.name, value, a.line, not plain, a.start, a.end)
    return found


def enabled_daemons(assignments: Dict[str, Assignment], mgmtd: bool = False) -> List[str]:
    """Daemons (``name`` or ``name-instance``) frrinit.sh starts, in its order, zebra and staticd always, and
    mgmtd after zebra when ``mgmtd`` (FRR 9 and later start it whatever the file says: frrcommon.sh)."""
    out: List[str] = []
    for daemon in KNOWN_DAEMONS:
        if daemon == "bgpd" and mgmtd:
            out.append("mgmtd")
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


def checked_options(assignments: Dict[str, Assignment], daemon: str) -> str:
    """``<daemon>_options``, or DaemonsFileError when its value needs a shell to evaluate.

    frrcommon.sh runs the value through ``eval``: it must also read as plain
    words there (:func:`daemon_argv.words`).
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


# ---------------------------------------------------------------- editing

def set_assignment(text: str, name: str, value: str,
                   assignments: Optional[Dict[str, Assignment]] = None) -> str:
    """``text`` with the value of the last assignment of ``name`` set to ``"value"``.

    Only the value is replaced (a trailing comment, the indentation and the
    line end stay).  When there is no such assignment, the new line goes
    right after a commented example (``#name=""``) if the file has one, else
    at the end.
    """
    if any(c in value for c in '"$`\\\r\n'):
        raise DaemonsFileError("refusing to write %s=%r: quotes, $, ` and \\ are not allowed" % (name, value))
    if assignments is None:
        assignments = parse_assignments(text)
    current = assignments.get(name)
    if current is not None:
        if current.dynamic:
            raise DaemonsFileError("refusing to edit %s on line %d: only a shell knows its value; edit it by hand"
                                   % (name, current.line + 1))
        return text[:current.start] + '"%s"' % value + text[current.end:]
    lines = split_lines(text)
    eol = _eol(lines)
    commented = re.compile(_COMMENTED_RE % re.escape(name))
    at = len(lines)
    for i in range(len(lines) - 1, -1, -1):
        if commented.match(lines[i]):
            at = i + 1
            break
    if at and not lines[at - 1].endswith("\n"):
        lines[at - 1] += eol
    lines.insert(at, '%s="%s"' % (name, value) + eol)
    return "".join(lines)


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
    lines = split_lines(text)
    a = assignments.get(var)
    if a is not None and lines[a.line][:1] in (" ", "\t"):
        raise DaemonsFileError("%s on line %d is indented (inside an if or a function?): we cannot tell whether "
                               "bash runs it; edit it by hand" % (var, a.line + 1))
    assigning: Set[int] = set()   # lines that only assign (a value quoted over several lines included)
    mention = re.compile(r"\b%s\b" % re.escape(var))
    assigns_too = re.compile(r"\$\{%s:?=" % re.escape(var))     # ${var:=value} sets var as it expands
    for found, exported in _read(text):
        if exported or found.problem.startswith("more words"):   # a command follows the value
            continue
        if found.value is None and assigns_too.search(text[found.start:found.end]):
            raise DaemonsFileError("line %d (%s) expands ${%s:=...}, which may set it: we do not run the file to "
                                   "find out; edit it by hand" % (found.line + 1, found.name, var))
        assigning.update(range(found.line, found.last_line + 1))
    for i, line in enumerate(lines):
        body = line.strip()
        if not body or body.startswith("#") or i in assigning:
            continue
        first = body.split(None, 1)[0]
        if mention.search(body) or first in (".", "source", "eval"):
            raise DaemonsFileError("line %d (%r) is shell code that may set %s: we do not run the file to find "
                                   "out; edit it by hand" % (i + 1, body[:80], var))


# ---------------------------------------------------------------- verifying

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
