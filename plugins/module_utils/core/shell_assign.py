# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read ``NAME=value`` lines of a shell-variable file as bash does, and quote values back.

Files such as RHEL's ``ifcfg-*`` are sourced by bash (initscripts) and parsed
by NetworkManager's ifcfg-rh plugin (``shvar.c``), whose writer produces empty
assignments (``HWADDR=``), double quotes with backslash escapes and ANSI-C
``$'...'`` quoting.  :func:`assignments` reads every assignment line the way
bash would: single quotes, double quotes (``\\`` escapes only ``$ ` " \\`` and a
newline), ``$'...'`` (``\\n``, ``\\t``, ``\\xHH``, ``\\uHHHH``, octal...), words
concatenated from several quoted parts (``a"b"'c'``), a trailing ``# comment``
or ``;``, and quotes that continue over several lines.  A value bash can only
know by running something (``$VAR``, ``$(...)``, backquotes, ``~``, arrays, a
command after the assignment) is returned with ``value=None`` and the reason:
the caller decides whether it needs that line.  Nothing here raises on any
input.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import dataclasses
import re
from typing import List, Optional, Tuple

_ASSIGN_RE = re.compile(r"[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_]*)=")
_NAME_START = re.compile(r"[A-Za-z0-9_{(@*#?$!-]")
_METACHARS = " \t\n|&;()<>"
_ANSI_SIMPLE = {"a": "\a", "b": "\b", "e": "\x1b", "E": "\x1b", "f": "\f", "n": "\n", "r": "\r", "t": "\t",
                "v": "\v", "\\": "\\", "'": "'", '"': '"', "?": "?"}


@dataclasses.dataclass
class Assignment:
    """One ``NAME=value`` (``start``/``end``: character offsets of the value word in the text)."""

    name: str
    line: int                 # 0-based index of the line the assignment starts on
    last_line: int            # the line it ends on (a quote may continue over several lines)
    start: int
    end: int
    value: Optional[str]      # as bash would see it; None when bash needs to run something to know
    problem: str = ""         # why value is None
    style: str = ""           # quoting of the word: "", "'", '"', "$'", or "mixed"


class _Dynamic(Exception):
    pass


def _ansi_c(text: str, i: int) -> Tuple[str, int]:
    """Decode ``$'...'`` from just after the opening quote; returns (value, index after the closing quote)."""
    out = []
    cut = False   # bash stops the string at a NUL byte
    while i < len(text):
        c = text[i]
        if c == "'":
            return "".join(out), i + 1
        if c != "\\" or i + 1 >= len(text):
            if not cut:
                out.append(c)
            i += 1
            continue
        n = text[i + 1]
        i += 2
        if n in _ANSI_SIMPLE:
            ch = _ANSI_SIMPLE[n]
        elif n in "01234567":
            m = re.match(r"[0-7]{0,2}", text[i:])
            code = int(n + m.group(0), 8)
            i += len(m.group(0))
            if code > 0x7f:
                raise _Dynamic("an octal escape above \\177 (a raw byte, not text)")
            ch = chr(code)
        elif n == "x":
            m = re.match(r"[0-9a-fA-F]{1,2}", text[i:])
            if not m:
                ch = "\\x"
            else:
                i += len(m.group(0))
                if int(m.group(0), 16) > 0x7f:
                    raise _Dynamic("a \\x escape above \\x7f (a raw byte, not text)")
                ch = chr(int(m.group(0), 16))
        elif n in "uU":
            m = re.match(r"[0-9a-fA-F]{1,%d}" % (4 if n == "u" else 8), text[i:])
            if not m:
                ch = "\\" + n
            else:
                i += len(m.group(0))
                code = int(m.group(0), 16)
                if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                    raise _Dynamic("a \\%s escape that is not a character" % n)
                ch = chr(code)
        elif n == "c" and i < len(text):
            ch = chr(ord(text[i]) & 0x1f) if ord(text[i]) < 0x80 else "\\c" + text[i]
            i += 1
        else:
            ch = "\\" + n
        if ch == "\x00":
            cut = True
        elif not cut:
            out.append(ch)
    raise _Dynamic("an unterminated $'...' quote")


def _double(text: str, i: int) -> Tuple[str, int]:
    """Decode ``"..."`` from just after the opening quote."""
    out = []
    while i < len(text):
        c = text[i]
        if c == '"':
            return "".join(out), i + 1
        if c == "\\" and i + 1 < len(text) and text[i + 1] in '$`"\\\n':
            if text[i + 1] != "\n":
                out.append(text[i + 1])
            i += 2
            continue
        if c == "`" or (c == "$" and i + 1 < len(text) and _NAME_START.match(text[i + 1])):
            raise _Dynamic("a $ expansion or a backquote inside double quotes (only a shell knows its value)")
        out.append(c)
        i += 1
    raise _Dynamic('an unterminated double quote')


def _word(text: str, i: int) -> Tuple[str, int, str]:
    """The value word starting at ``i``: (value, end index, quoting style)."""
    out = []
    styles = set()
    start = i
    while i < len(text):
        c = text[i]
        if c in _METACHARS or text.startswith("\r\n", i):
            if c == "(" and i == start:
                raise _Dynamic("an array assignment")
            break
        if c == "\\":
            if i + 1 >= len(text):
                out.append("\\")
                i += 1
            elif text[i + 1] == "\n" or text.startswith("\r\n", i + 1):
                i += 2 if text[i + 1] == "\n" else 3     # line continuation
            else:
                out.append(text[i + 1])
                styles.add("\\")
                i += 2
        elif c == "'":
            end = text.find("'", i + 1)
            if end < 0:
                raise _Dynamic("an unterminated single quote")
            out.append(text[i + 1:end])
            styles.add("'")
            i = end + 1
        elif c == '"':
            value, i = _double(text, i + 1)
            out.append(value)
            styles.add('"')
        elif c == "$" and text[i + 1:i + 2] == "'":
            value, i = _ansi_c(text, i + 2)
            out.append(value)
            styles.add("$'")
        elif c == "$" and text[i + 1:i + 2] == '"':
            value, i = _double(text, i + 2)   # $"..." is a translatable string: the same text in C locales
            out.append(value)
            styles.add("mixed")
        elif c == "$" and i + 1 < len(text) and _NAME_START.match(text[i + 1]):
            raise _Dynamic("a $ expansion (only a shell knows its value)")
        elif c == "`":
            raise _Dynamic("a backquote command substitution (only a shell knows its value)")
        elif c == "~" and (i == start or text[i - 1] == ":"):
            raise _Dynamic("a ~ (tilde expansion: only a shell knows its value)")
        else:
            out.append(c)
            styles.add("")
            i += 1
    if len(styles) == 1 and "\\" not in styles:
        style = styles.pop()
    elif not styles:
        style = ""
    else:
        style = "mixed"
    return "".join(out), i, style


_TAIL_RE = re.compile(r"[ \t]*(?:;[ \t]*)?(?:#[^\n]*)?(?:\r?\n|\Z)")


def assignments(text: str) -> List[Assignment]:
    """Every line of ``text`` that is a ``NAME=value`` assignment, in file order."""
    out: List[Assignment] = []
    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    resume = 0   # a quote that continued over lines swallows them
    for n, pos in enumerate(starts):
        if pos < resume:
            continue
        m = _ASSIGN_RE.match(text, pos)
        if not m:
            continue
        vstart = m.end()
        try:
            value, vend, style = _word(text, vstart)
            tail = _TAIL_RE.match(text, vend)
            if not tail:
                raise _Dynamic("more words after the value (bash would run them as a command)")
            problem = ""
        except _Dynamic as exc:
            value, style, problem = None, "", str(exc)
            vend = text.find("\n", vstart)
            vend = len(text) if vend < 0 else vend
        last = _line_index(starts, max(vend - 1, vstart))
        out.append(Assignment(m.group(1), n, last, vstart, vend, value, problem, style))
        if last > n:
            resume = starts[last] + 1
    return out


def _line_index(starts: List[int], offset: int) -> int:
    lo, hi = 0, len(starts) - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if starts[mid] <= offset:
            lo = mid
        else:
            hi = mid - 1
    return lo


_ANSI_SHORT = {"\a": "\\a", "\b": "\\b", "\x1b": "\\E", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t",
               "\v": "\\v"}
_PLAIN_RE = re.compile(r"[A-Za-z0-9_@%+=:,./-]+\Z")


def quote(value: str, style: str = '"') -> str:
    """``value`` as a shell word bash reads back exactly, in ``style`` when that can express it."""
    printable = value.isprintable()
    if style == "" and _PLAIN_RE.match(value):
        return value
    if style == "'" and printable and "'" not in value:
        return "'%s'" % value
    if style == "$'" or not printable:
        out = []
        for c in value:
            if c in "\\'":
                out.append("\\" + c)
            elif c.isprintable():
                out.append(c)
            elif c in _ANSI_SHORT:
                out.append(_ANSI_SHORT[c])
            elif ord(c) < 0x80:
                out.append("\\x%02x" % ord(c))
            elif ord(c) <= 0xFFFF:
                out.append("\\u%04x" % ord(c))
            else:
                out.append("\\U%08x" % ord(c))
        return "$'%s'" % "".join(out)
    return '"%s"' % re.sub(r'([\\"$`])', r"\\\1", value)
