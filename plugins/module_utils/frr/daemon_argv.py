# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read and edit an FRR daemon's option string (``watchfrr_options``, ``zebra_options``) as its argv.

``frrcommon.sh`` (FRR 8.4) starts a daemon with ``eval "$cmd"`` where ``cmd``
ends with ``$<daemon>_options``: the value of the variable is split into
words by the shell, then the daemon reads those words with ``getopt_long``.
So ``-T 300``, ``-T300``, ``-dT300``, ``--restart-timeout=300``,
``--restart-timeout 300`` and ``--restart-t 300`` (a unique prefix) all set
watchfrr's restart timeout, and the word after an option that takes an
argument is that argument (``-r -T`` gives ``-r`` the argument ``-T``).

:func:`option_value` reads an option as the daemon does; :func:`set_option`
changes it and keeps every other byte of the string (spacing, quoting, the
other options).  The words are split by :func:`words` rather than
``shlex.split`` because an edit needs each word's position in the string;
for the strings we accept both give the same words (the fuzz suite checks it).

Issue 11: ``-T`` with no value became ``-T -T 300`` and then ``-T 300 300``
(the old editor matched a regular expression, not argv).

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import shlex
from typing import Dict, FrozenSet, List, NamedTuple, Optional, Sequence, Tuple

WATCHFRR_TIMEOUT_OPT = ("-T", "--restart-timeout")
ZEBRA_BUFSIZE_OPT = ("-s", "--nl-bufsize")


class DaemonsFileError(ValueError):
    """The daemons file cannot be read or edited safely; ``str()`` is for operators."""


class OptionsError(DaemonsFileError):
    """An option string we cannot read as the shell and the daemon would."""


class Getopt(NamedTuple):
    """A daemon's options as getopt_long sees them: which take an argument, and every long name."""
    short_with_arg: str
    long_with_arg: FrozenSet[str]
    long_no_arg: FrozenSet[str]


# libfrr's options, common to every FRR 8.4 daemon (frr_preinit: "hvdM:F:N:o:", `zebra --help`).
_LIBFRR_SHORT_ARG = "MFNo"
_LIBFRR_LONG_ARG = ("module", "profile", "pathspace", "vrfdefaultname", "vty_socket", "moduledir", "scriptdir",
                    "log", "log-level", "limit-fds")
_LIBFRR_LONG = ("help", "version", "daemon", "tcli")

# watchfrr 8.4.4: getopt string "b:di:k:l:N:p:r:S:s:t:T:aAezR:" (strings /usr/lib/frr/watchfrr) and
# `watchfrr --help`; --netns takes an optional argument (only as --netns=NAME).
WATCHFRR_GETOPT = Getopt(
    short_with_arg=_LIBFRR_SHORT_ARG + "biklNprSstTR",
    long_with_arg=frozenset(_LIBFRR_LONG_ARG + (
        "statedir", "loglevel", "min-restart-interval", "max-restart-interval", "operational-timeout",
        "interval", "timeout", "restart-timeout", "restart", "start-command", "kill-command", "pid-file",
        "blank-string")),
    long_no_arg=frozenset(_LIBFRR_LONG + ("netns", "dry")))

# zebra 8.4.4: libfrr's "f:i:Ctu:g:A:P:" for daemons with a config and a vty, zebra's own
# "baz:e:rK:s:n" (strings /usr/lib/frr/zebra) and `zebra --help`.
ZEBRA_GETOPT = Getopt(
    short_with_arg=_LIBFRR_SHORT_ARG + "fiugAPzeKs",
    long_with_arg=frozenset(_LIBFRR_LONG_ARG + (
        "config_file", "pid_file", "user", "group", "vty_addr", "vty_port", "socket", "ecmp",
        "graceful_restart", "nl-bufsize")),
    long_no_arg=frozenset(_LIBFRR_LONG + ("dryrun", "terminal", "batch", "allow_delete", "retain",
                                          "asic-offload", "vrfwnetns", "v6-rr-semantics")))

# What frr_daemons_options may write, and why (measured with FRR 8.4.4, kernel 6.18):
# watchfrr refuses -T 0 ("Invalid restart timeout argument"); under 5 s no real frr.conf loads (about
# 55 lines/s under load, see audit_frr_settings); above an hour a wedged restart keeps a daemon down
# far longer than any config needs (20,000 lines: 380 s at 53 lines/s).
WATCHFRR_RESTART_TIMEOUT_RANGE = (5, 3600)
# zebra -s is read with atoi: zebra warns "Rcvbufsize is smaller than recommended value: 4194304"
# under 4 MiB, and accepts anything else.  It asks for SO_RCVBUFFORCE, which the kernel caps at
# INT_MAX/2 = 1073741823 (then doubles: getsockopt shows 2147483646); a value over INT_MAX arrives as
# a negative int and the kernel gives the minimum (2304 bytes) -- the overrun of incident 000, worse.
ZEBRA_NL_BUFSIZE_RANGE = (4194304, 1073741823)

_GETOPT: Dict[Tuple[str, str], Getopt] = {WATCHFRR_TIMEOUT_OPT: WATCHFRR_GETOPT, ZEBRA_BUFSIZE_OPT: ZEBRA_GETOPT}

# Unquoted, these make eval do more than split words (run commands, redirect, glob):
# the argv would not be what we read.
_SHELL_SYNTAX = frozenset(";&|<>()*?[")


class Word(NamedTuple):
    start: int      # span of the word in the option string, quotes included
    end: int
    value: str      # the word as the daemon receives it


def words(options: str) -> List[Word]:
    """The words the shell splits ``options`` into, with their spans.

    Raises :class:`OptionsError` on an unterminated quote and on what makes
    ``eval`` do more than split words (``$``, backquotes, ``;``, ``|``, ``&``,
    redirections, globs, a ``#`` comment, a leading ``~``): the daemon's argv
    cannot be known without running a shell.
    """
    out: List[Word] = []
    i, n = 0, len(options)
    while i < n:
        if options[i] in " \t\n":
            i += 1
            continue
        start, buf = i, []
        while i < n and options[i] not in " \t\n":
            c = options[i]
            if c == "'":
                end = options.find("'", i + 1)
                if end < 0:
                    raise OptionsError("unterminated single quote in %r" % options)
                buf.append(options[i + 1:end])
                i = end + 1
            elif c == '"':
                i = _double_quoted(options, i + 1, buf)
            elif c == "\\":
                if i + 1 >= n or options[i + 1] == "\n":
                    raise OptionsError("%r ends a line with a backslash" % options)
                buf.append(options[i + 1])
                i += 2
            elif c in "$`" or c in _SHELL_SYNTAX or (c in "#~" and i == start):
                raise OptionsError("%r uses shell syntax (%s) that frrcommon.sh's eval would interpret"
                                   % (options, c))
            else:
                buf.append(c)
                i += 1
        out.append(Word(start, i, "".join(buf)))
    return out


def _double_quoted(options: str, i: int, buf: List[str]) -> int:
    """Append the content of a double-quoted part starting after its quote; return the index after it."""
    n = len(options)
    while i < n:
        c = options[i]
        if c == '"':
            return i + 1
        if c in "$`":
            raise OptionsError("%r uses shell expansion (%s) that frrcommon.sh's eval would run" % (options, c))
        if c == "\\" and i + 1 < n and options[i + 1] in '\\"\n':
            if options[i + 1] == "\n":
                raise OptionsError("%r ends a line with a backslash" % options)
            buf.append(options[i + 1])
            i += 2
            continue
        buf.append(c)
        i += 1
    raise OptionsError("unterminated double quote in %r" % options)


class Occurrence(NamedTuple):
    word: int                # index of the word holding the option
    value_word: Optional[int]  # index of the separate value word (None: attached, or missing)
    prefix: Optional[str]    # the option word up to its attached value (``-T``, ``-dT``, ``--restart-timeout=``)
    value: Optional[str]     # None when the value is missing (the option ends the argv)


def _long_name(name: str, getopt: Getopt) -> Optional[str]:
    """The long option ``--name`` means: exact, or a unique prefix (getopt_long); None when unknown/ambiguous."""
    known = getopt.long_with_arg | getopt.long_no_arg
    if name in known:
        return name
    matches = [k for k in known if k.startswith(name)] if name else []
    return matches[0] if len(matches) == 1 else None


def occurrences(argv: Sequence[str], opt: Tuple[str, str]) -> List[Occurrence]:
    """Where ``opt`` appears in ``argv``, read as getopt_long reads it (with the daemon's table)."""
    return _scan(argv, opt)[0]


def _scan(argv: Sequence[str], opt: Tuple[str, str]) -> Tuple[List[Occurrence], Optional[str]]:
    """(occurrences of ``opt``, the other option that ends ``argv`` waiting for its argument, if any)."""
    short, long_ = opt[0][1:], opt[1][2:]
    getopt = _GETOPT.get(tuple(opt), Getopt(short, frozenset([long_]), frozenset()))
    found: List[Occurrence] = []
    waiting = None
    i = 0
    while i < len(argv):
        word = argv[i]
        nxt = i + 1 if i + 1 < len(argv) else None
        if word == "--":
            break
        if word.startswith("--"):
            name, eq, _value = word[2:].partition("=")
            resolved = _long_name(name, getopt)
            if resolved == long_:
                if eq:
                    found.append(Occurrence(i, None, word[:len(name) + 3], word[len(name) + 3:]))
                else:
                    found.append(Occurrence(i, nxt, word, argv[nxt] if nxt is not None else None))
                    i += 1
            elif resolved in getopt.long_with_arg and not eq:
                waiting = word if i + 1 >= len(argv) else None
                i += 1
        elif word.startswith("-") and len(word) > 1:
            for j in range(1, len(word)):
                c, rest = word[j], word[j + 1:]
                if c == short:
                    if rest:
                        found.append(Occurrence(i, None, word[:j + 1], rest))
                    else:
                        found.append(Occurrence(i, nxt, word, argv[nxt] if nxt is not None else None))
                        i += 1
                    break
                if c in getopt.short_with_arg:
                    if not rest:
                        waiting = word if i + 1 >= len(argv) else None
                        i += 1
                    break
        i += 1
    return found, waiting


def argv_option_value(argv: Sequence[str], opt: Tuple[str, str]) -> Optional[str]:
    """The value the daemon gets for ``opt`` from ``argv`` (the last one wins); None when absent, '' when
    the option has no value."""
    found = occurrences(argv, opt)
    if not found:
        return None
    value = found[-1].value
    return "" if value is None else value


def option_value(options: str, opt: Tuple[str, str]) -> Optional[str]:
    """``argv_option_value`` of an option string (``-T 30``, ``-T30``, ``--restart-timeout=30``...)."""
    return argv_option_value([w.value for w in words(options or "")], opt)


def number(value: Optional[str]) -> Optional[int]:
    """The whole number a daemon reads from an option's value (ASCII digits, blanks around them allowed:
    watchfrr's sscanf and zebra's atoi skip them), or None."""
    if value is None:
        return None
    value = value.strip()
    return int(value) if value.isascii() and value.isdigit() else None


def _is_value(word: Optional[str]) -> bool:
    """A word that can be the option's value: not another option such as ``-d`` (an operator who wrote
    ``-T -d`` forgot the value; getopt would give ``-d`` to ``-T`` and watchfrr would refuse to start)."""
    return word is not None and not (word.startswith("-") and word[1:2] and not word[1:].isdigit())


def set_option(options: str, opt: Tuple[str, str], value: str) -> str:
    """``options`` with every occurrence of ``opt`` set to ``value``, appended as ``-X value`` when absent.

    Only the words that change are rewritten (with shell quoting); every other
    byte is kept.  A flag without a value gets one: ``-T`` becomes ``-T 300``,
    ``-T -d`` becomes ``-T 300 -d`` (and ``-T -T``, where getopt gives the
    second ``-T`` to the first, ``-T 300 -T 300``).  OptionsError when the
    options end with another option waiting for its argument (``-M``): ours
    would become that argument.
    """
    value = str(value)
    new = options or ""
    for _round in range(len(new) + 2):   # each round completes at least one flag
        new = _set_once(new, opt, value)
        if option_value(new, opt) == value and not [o for o in occurrences(
                [w.value for w in words(new)], opt) if o.value != value]:
            return new
    raise OptionsError("cannot set %s in %r" % (opt[0], options))  # pragma: no cover - converges above


def _set_once(options: str, opt: Tuple[str, str], value: str) -> str:
    quoted = shlex.quote(value)
    ws = words(options)
    found, waiting = _scan([w.value for w in ws], opt)
    edits: List[Tuple[int, int, str]] = []  # (start, end, new text), left to right
    for occ in found:
        word = ws[occ.word]
        if occ.value_word is None and occ.value is not None:          # -T20, --restart-timeout=20
            edits.append((word.start, word.end, shlex.quote(occ.prefix + value)))
        elif occ.value_word is not None and _is_value(occ.value):     # -T 20
            vw = ws[occ.value_word]
            edits.append((vw.start, vw.end, quoted))
        else:                                                         # -T at the end, or -T -d
            edits.append((word.end, word.end, " " + quoted))
    if not edits:
        stop = next((w for w in ws if w.value == "--"), None)
        if stop is not None:   # options after '--' are arguments: add ours before it
            edits.append((stop.start, stop.start, "%s %s " % (opt[0], quoted)))
        elif waiting is not None:
            raise OptionsError("%r ends with %s, which takes an argument: %s would become it; edit it by hand"
                               % (options, waiting, opt[0]))
        elif ws:               # after the last word (its blanks and the rest of the string kept after ours)
            edits.append((ws[-1].end, ws[-1].end, " %s %s" % (opt[0], quoted)))
        else:                  # only blanks: add after them
            edits.append((len(options), len(options), "%s %s" % (opt[0], quoted)))
    out = options
    for start, end, text in reversed(edits):
        out = out[:start] + text + out[end:]
    return out
