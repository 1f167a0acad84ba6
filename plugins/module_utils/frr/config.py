# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parse FRR configuration text into contexts and lines, and normalise it.

FRR prints its running configuration (``show running-config``) as top-level
lines and *contexts* (``router bgp 65001``, ``address-family ipv4 unicast``,
``interface eth0``, ``route-map RM permit 10``, ``key chain K``...) whose
lines are indented one space per level and closed by ``exit`` (or
``exit-address-family``, ``exit-vrf``...).  Hand-written files (``frr.conf``)
are looser: ``!`` at the start of a line closes the context, indentation may be
missing.  :func:`parse` understands both:

* ``exit``-like keywords close one context; ``end`` and a ``!`` in column 0
  close all of them; other ``!`` and ``#`` lines are comments;
* a known context keyword opens a context (a sub-context such as
  ``address-family`` only inside its parent);
* a line indented less than or as much as an open context's first line, in a
  file that indents that context's lines, closes it;
* in a file without indentation, a line stays in the open context unless it
  can only be a top-level command (``ip prefix-list``, ``access-list``, ...).

The result is a :class:`Config`: an ordered list of :class:`Entry` (context
path, line).  A context is itself an entry whose children have its path plus
its line.  Contexts opened twice (``interface eth0`` in two places) merge,
as in FRR.

:func:`normalise` then removes what never converges (see :data:`NORMALISATIONS`):
comparing a normalised intended config with a normalised running config gives
only real differences.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Dict, FrozenSet, Iterable, List, NamedTuple, Optional, Sequence, Tuple

from ansible_collections.netmedic.network.plugins.module_utils.frr import version as frr_version

# FRR's vty reads lines of at most 4096 bytes (VTY_BUFSIZ); longer ones are a mistake.
MAX_LINE = 4096

Path = Tuple[str, ...]


class FrrConfigError(ValueError):
    """The text is not an FRR configuration we can read.  ``str()`` says where and why."""

    def __init__(self, message: str, lineno: Optional[int] = None, source: str = "config"):
        self.lineno = lineno
        self.source = source
        where = "%s line %d" % (source, lineno) if lineno else source
        super().__init__("%s: %s" % (where, message))


class Entry(NamedTuple):
    path: Path   # the contexts this line is in, outermost first ("" for none)
    line: str    # the line, whitespace collapsed


# ---------------------------------------------------------------- grammar

# Context openers at top level: first word -> [(regex, kind)].
_TOP = {
    "router": [(re.compile(r"^router (bgp|ospf|ospf6|rip|ripng|isis|eigrp|babel|openfabric|pim|pim6)\b"), "router")],
    "interface": [(re.compile(r"^interface \S+( vrf \S+)?$"), "interface")],
    "vrf": [(re.compile(r"^vrf \S+$"), "vrf")],
    "route-map": [(re.compile(r"^route-map \S+ (permit|deny) \d+$"), "route-map")],
    "key": [(re.compile(r"^key chain \S+$"), "key-chain")],
    "line": [(re.compile(r"^line vty$"), "line")],
    "bfd": [(re.compile(r"^bfd$"), "bfd")],
    "segment-routing": [(re.compile(r"^segment-routing$"), "segment-routing")],
    "mpls": [(re.compile(r"^mpls ldp$"), "mpls-ldp")],
    "l2vpn": [(re.compile(r"^l2vpn \S+ type vpls$"), "l2vpn")],
    "nexthop-group": [(re.compile(r"^nexthop-group \S+$"), "nexthop-group")],
    "pbr-map": [(re.compile(r"^pbr-map \S+ seq \d+$"), "pbr-map")],
    "rpki": [(re.compile(r"^rpki$"), "rpki")],
    "pseudowire": [(re.compile(r"^pseudowire \S+$"), "pseudowire")],
}

# Sub-context openers: parent kind -> [(regex, kind)].
_SUB = {
    "router": [(re.compile(r"^address-family \S+( \S+)?( vrf \S+)?$"), "address-family"),
               (re.compile(r"^vnc (defaults|nve-group \S+|l2-group \S+)$"), "vnc"),
               (re.compile(r"^bmp targets \S+$"), "bmp"),
               (re.compile(r"^segment-routing srv6$"), "bgp-srv6")],
    "address-family": [(re.compile(r"^vni \d+$"), "vni")],
    "interface": [(re.compile(r"^link-params$"), "link-params")],
    "key-chain": [(re.compile(r"^key \d+$"), "key")],
    "bfd": [(re.compile(r"^peer \S+.*$"), "bfd-peer"), (re.compile(r"^profile \S+$"), "bfd-profile")],
    "mpls-ldp": [(re.compile(r"^address-family (ipv4|ipv6)$"), "ldp-af")],
    "ldp-af": [(re.compile(r"^interface \S+$"), "ldp-interface")],
    "segment-routing": [(re.compile(r"^traffic-eng$"), "sr-te"), (re.compile(r"^srv6$"), "srv6")],
    "sr-te": [(re.compile(r"^segment-list \S+$"), "sr-segment-list"),
              (re.compile(r"^policy color \d+ endpoint \S+$"), "sr-policy")],
    "srv6": [(re.compile(r"^locators$"), "srv6-locators")],
    "srv6-locators": [(re.compile(r"^locator \S+$"), "srv6-locator")],
}

_SUB_FIRST_WORDS = frozenset(("address-family", "vni", "link-params", "key", "peer", "profile", "traffic-eng",
                              "segment-list", "locators", "locator", "policy", "vnc", "bmp", "segment-routing",
                              "srv6", "interface"))

_EXIT_WORDS = frozenset(("exit", "quit", "exit-address-family", "exit-vrf", "exit-vnc", "exit-link-params",
                         "exit-ldp-if", "exit-af"))

# Lines that can only be top-level commands: in a file without indentation they
# close the open context instead of joining it.
_TOP_ONLY_RE = re.compile(
    r"^(?:no )?(?:ip prefix-list|ipv6 prefix-list|access-list|ipv6 access-list|mac access-list|"
    r"bgp (?:large-|ext)?community-list|bgp as-path|hostname|password|enable password|log |"
    r"service |frr |debug |agentx|ip forwarding|ipv6 forwarding|zebra |fpm |"
    r"ip nht|ipv6 nht|ip import-table|allow-external-route-update|table range|mpls label|mpls lsp)")

_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def context_kind(parent_kind: Optional[str], line: str) -> Optional[str]:
    """The kind of context ``line`` opens under a parent of ``parent_kind`` (None: top level)."""
    if parent_kind is None:
        first = line.split(" ", 1)[0]
        for rx, kind in _TOP.get(first, ()):
            if rx.match(line):
                return kind
        return None
    for rx, kind in _SUB.get(parent_kind, ()):
        if rx.match(line):
            return kind
    return None


def _sub_kinds_openable(line: str) -> List[str]:
    """Parent kinds under which ``line`` would open a sub-context (for error messages)."""
    return [parent for parent, rules in _SUB.items() if any(rx.match(line) for rx, _kind in rules)]


# ---------------------------------------------------------------- model

class Config:
    """An FRR configuration: ordered entries, and the kind of each context."""

    def __init__(self, entries: Optional[Iterable[Entry]] = None, kinds: Optional[Dict[Path, str]] = None):
        self.entries: List[Entry] = []
        self._index: Dict[Entry, int] = {}
        self.kinds: Dict[Path, str] = dict(kinds or {})
        for e in entries or ():
            self.add(e)

    @classmethod
    def from_unique(cls, entries: List[Entry], kinds: Dict[Path, str]) -> "Config":
        """A Config from entries known to be unique (fast path for big configs)."""
        cfg = cls()
        cfg.entries = list(entries)
        cfg._index = {e: i for i, e in enumerate(cfg.entries)}
        cfg.kinds = kinds
        return cfg

    def add(self, entry: Entry) -> bool:
        """Append ``entry`` unless already there (contexts merge, duplicates collapse)."""
        if entry in self._index:
            return False
        self._index[entry] = len(self.entries)
        self.entries.append(entry)
        return True

    def __contains__(self, entry) -> bool:
        return entry in self._index

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self):
        return iter(self.entries)

    def is_context(self, entry: Entry) -> bool:
        return entry.path + (entry.line,) in self.kinds

    def kind(self, path: Path) -> Optional[str]:
        return self.kinds.get(path)

    def lines(self) -> List[str]:
        """Flat ``context > ... > line`` strings (tests, reports)."""
        return [" > ".join(e.path + (e.line,)) for e in self.entries]

    def render(self) -> str:
        """Canonical text, as FRR prints it: contexts indented one space a level, closed by ``exit``."""
        children: Dict[Path, List[Entry]] = {}
        for e in self.entries:
            children.setdefault(e.path, []).append(e)
        out: List[str] = []
        # Top level in FRR's own order (global lines, vrf, interfaces, routers, lists,
        # route-maps...), so that the running and intended renderings diff compactly.
        top = children.get((), [])
        children[()] = sorted(top, key=lambda e: _section_rank(e.line, ((e.line,) in self.kinds)))

        def walk(path: Path, depth: int) -> None:
            for e in children.get(path, ()):
                out.append(" " * depth + e.line)
                sub = e.path + (e.line,)
                if sub in self.kinds:
                    walk(sub, depth + 1)
                    out.append(" " * depth + "exit")
                    if depth == 0:
                        out.append("!")
        walk((), 0)
        return "\n".join(out) + ("\n" if out else "")

    def copy(self) -> "Config":
        return Config(self.entries, self.kinds)


_SECTIONS = ("vrf ", "interface ", "router ", "access-list ", "ipv6 access-list ", "mac access-list ",
             "ip prefix-list ", "ipv6 prefix-list ", "bgp as-path ", "bgp community-list ",
             "bgp large-community-list ", "bgp extcommunity-list ", "route-map ", "key chain ")


def _section_rank(line: str, is_context: bool) -> int:
    for i, head in enumerate(_SECTIONS):
        if line.startswith(head):
            return i + 1
    return len(_SECTIONS) + 1 if is_context else 0


# ---------------------------------------------------------------- parser

class _Frame:
    __slots__ = ("path", "kind", "indent", "child_indent")

    def __init__(self, path: Path, kind: Optional[str], indent: int):
        self.path = path
        self.kind = kind
        self.indent = indent
        self.child_indent: Optional[int] = None


def parse(text: str, source: str = "config") -> Config:
    """Parse FRR configuration text (a file or ``show running-config``) into a :class:`Config`.

    :raises FrrConfigError: the text cannot be an FRR configuration (a control
        character, an over-long line, a sub-context such as ``address-family``
        outside its parent).  The message names the line.
    """
    if not isinstance(text, str):
        raise FrrConfigError("expected text, got %s" % type(text).__name__, source=source)
    cfg = Config()
    index, entries = cfg._index, cfg.entries
    root = _Frame((), None, -1)
    stack = [root]
    header = True  # before "Current configuration:" in show running-config output
    bang = False   # a '!' in column 0 was read: the next line says whether it closed the contexts
    for lineno, raw in enumerate(text.splitlines(), 1):
        if len(raw) > MAX_LINE:
            raise FrrConfigError("line is %d characters long, FRR reads at most %d" % (len(raw), MAX_LINE),
                                 lineno, source)
        body = raw.rstrip()
        if not body:
            continue
        if not body.isprintable() and _CONTROL_RE.search(body):
            bad = _CONTROL_RE.search(body).group(0)
            raise FrrConfigError("control character %r in line (binary data or a mangled file?)" % bad,
                                 lineno, source)
        stripped = body.lstrip(" \t")
        indent = len(body) - len(stripped)
        if header and lineno <= 3 and stripped in ("Building configuration...", "Current configuration:"):
            continue
        header = False
        if stripped[0] in "!#":
            if indent == 0 and stripped == "!":
                bang = True
            continue
        if bang:
            # '!' in column 0 ends the open contexts only when what follows is not indented: FRR reads '!' as a
            # comment and stays in its node, so an indented 'address-family' after it is still in 'router bgp'
            # (tests/corpus/frr/configs/63-waynedovey-metallb-upstream.conf, falsely refused before)
            bang = False
            if indent == 0:
                del stack[1:]
        line = " ".join(stripped.split()) if ("  " in stripped or "\t" in stripped) else stripped
        if line == "end":
            del stack[1:]
            continue
        if line in _EXIT_WORDS:
            if len(stack) > 1:
                stack.pop()
            continue
        if len(stack) == 1:
            # fast path at top level (most lines of a big config: lists)
            sp = line.find(" ")
            first = line if sp < 0 else line[:sp]
            kind = None
            rules = _TOP.get(first)
            if rules:
                for rx, k in rules:
                    if rx.match(line):
                        kind = k
                        break
            if kind is None and first in _SUB_FIRST_WORDS and _sub_kinds_openable(line):
                raise FrrConfigError("%r belongs inside a %s context, not at top level"
                                     % (line, " or ".join(_sub_kinds_openable(line))), lineno, source)
            entry = Entry((), line)
            if entry not in index:
                index[entry] = len(entries)
                entries.append(entry)
            if kind is not None:
                path = (line,)
                if path not in cfg.kinds:
                    cfg.kinds[path] = kind
                stack.append(_Frame(path, kind, indent))
            continue

        # Find the frame this line belongs to, closing the ones it cannot be in.
        while len(stack) > 1:
            top = stack[-1]
            if indent > top.indent:
                break
            if indent == top.indent and (top.child_indent is None or top.child_indent == top.indent):
                # A file without indentation: the line stays in the context unless it
                # opens a sibling/top-level context or is a top-level-only command.
                if context_kind(top.kind, line) is not None:
                    break
                if context_kind(None, line) is None and not _TOP_ONLY_RE.match(line):
                    break
            stack.pop()

        top = stack[-1]
        kind = context_kind(top.kind, line)
        if kind is None and top.kind is not None and indent <= top.indent:
            # A top-level context keyword at the same indentation closes everything.
            top_kind = context_kind(None, line)
            if top_kind is not None:
                del stack[1:]
                top, kind = root, top_kind
        if kind is None and top is root:
            kind = context_kind(None, line)
            if kind is None and line.split(" ", 1)[0] in _SUB_FIRST_WORDS and _sub_kinds_openable(line):
                raise FrrConfigError("%r belongs inside a %s context, not at top level"
                                     % (line, " or ".join(_sub_kinds_openable(line))), lineno, source)
        if top is not root and top.child_indent is None:
            top.child_indent = indent
        cfg.add(Entry(top.path, line))
        if kind is not None:
            path = top.path + (line,)
            if path not in cfg.kinds:
                cfg.kinds[path] = kind
            stack.append(_Frame(path, kind, indent))
    return cfg


# ---------------------------------------------------------------- normalisation

# What :func:`normalise` does to both sides before comparing, and why.  Listed in
# the module documentation and the role README: these are the differences FRR's
# own frr-reload.py reports forever.
NORMALISATIONS = (
    ("comments", "blank lines, '!' and '#' comments, 'end', 'exit'-like context ends and runs of spaces "
                 "are layout, not configuration"),
    ("frr-version", "'frr version X' is printed by the running FRR and cannot be set"),
    ("frr-defaults", "'frr defaults PROFILE' is a start-up option (watchfrr -F); it cannot change at run time"),
    ("hostname", "'hostname' is printed from the system's host name, not from the configuration"),
    ("integrated-vtysh-config", "'service integrated-vtysh-config' comes from vtysh.conf, not frr.conf"),
    ("forwarding", "'[no] ip forwarding' / '[no] ipv6 forwarding' mirror the kernel's sysctls; compared only "
                   "when the intended config states them ('ip forwarding' is printed as nothing)"),
    ("list-seq", "prefix-lists, access-lists, community-lists and as-path lists without 'seq' get the "
                 "sequence numbers FRR gives them (prefix/access-lists: highest + 5; community and as-path "
                 "lists: next multiple of 5), so they are not deleted and re-added"),
    ("ospf-passive", "'passive-interface IF' under 'router ospf' is printed by FRR 8 as 'ip ospf passive' "
                     "under 'interface IF'"),
    ("empty-contexts", "address-family, interface, vrf and 'line vty' contexts without lines are not printed"),
    ("bgp-activate", "'neighbor X activate' in 'address-family ipv4 unicast' is the default (unless "
                     "'no bgp default ipv4-unicast') and is not printed"),
    ("ipv6-case", "IPv6 addresses and prefixes are printed in lower-case, compressed form"),
    ("defaults", "a few lines that set FRR's default value are not printed: 'auto-cost reference-bandwidth "
                 "100000' (router ospf), 'ip ospf hello-interval 10', 'priority 1', "
                 "'retransmit-interval 5', 'transmit-delay 1' (interface), 'bgp default local-preference 100' "
                 "(router bgp), 'advertise-pip' (address-family l2vpn evpn), "
                 "and from FRR 10 on 'ip nht resolve-via-default' (top level); a non-default "
                 "running value is then reset with its 'no' form (per version: frr.version.default_lines)"),
    ("log-debug-words", "'log file|syslog|stdout ... debugging' is printed without the level (debugging is the "
                        "default), 'debug bgp neighbor' as 'debug bgp neighbor-events', 'debug bgp updates' as "
                        "'debug bgp updates in' and 'debug bgp updates out' (log and debug lines are compared "
                        "as written: the throwaway FRR does not render them)"),
    ("well-known-communities", "well-known community values in community-lists and 'set community' are "
                               "printed by name (65535:666 is 'blackhole', 65535:65281 'no-export'...)"),
)

# RFC 1997/7999/8326/... names FRR 8.4 prints instead of the numbers.
WELL_KNOWN_COMMUNITIES = {
    "65535:0": "graceful-shutdown", "65535:1": "accept-own", "65535:2": "route-filter-translated-v4",
    "65535:3": "route-filter-v4", "65535:4": "route-filter-translated-v6", "65535:5": "route-filter-v6",
    "65535:6": "llgr-stale", "65535:7": "no-llgr", "65535:8": "accept-own-nexthop", "65535:666": "blackhole",
    "65535:65281": "no-export", "65535:65282": "no-advertise", "65535:65283": "local-AS", "65535:65284": "no-peer",
}

_LIST_RE = re.compile(
    r"^(?P<head>(?:ip|ipv6) prefix-list \S+|access-list \S+|ipv6 access-list \S+|mac access-list \S+|"
    r"bgp (?:large-|ext)?community-list (?:standard |expanded )?\S+|bgp as-path access-list \S+)"
    r"(?: seq (?P<seq>\d+))? (?P<rest>(?:permit|deny)\b.*)$")
# Lists whose next sequence number is the highest + 5 (others: next multiple of 5).
_PLUS5_LISTS = ("ip prefix-list", "ipv6 prefix-list", "access-list", "ipv6 access-list", "mac access-list")

_IPV6_TOKEN_RE = re.compile(r"^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(/\d{1,3})?$")
_EMPTY_DROPPED_KINDS = frozenset(("address-family", "interface", "vrf", "line", "vni", "link-params"))
_DROP_TOP = ("frr version", "frr defaults", "hostname ", "service integrated-vtysh-config")


class ListEntry(NamedTuple):
    head: str        # "ip prefix-list PL"
    seq: Optional[int]
    rest: str        # "permit 10.0.0.0/8 le 24"


def list_entry(line: str) -> Optional[ListEntry]:
    """A prefix/access/community/as-path list entry, split, or None."""
    if not line[:1] in "iabm":
        return None
    m = _LIST_RE.match(line)
    if not m:
        return None
    return ListEntry(m.group("head"), int(m.group("seq")) if m.group("seq") else None, m.group("rest"))


def _canon_ipv6(line: str) -> str:
    if ":" not in line:
        return line
    words = line.split(" ")
    changed = False
    for i, w in enumerate(words):
        if ":" in w and _IPV6_TOKEN_RE.match(w) and w.count(":") >= 2:
            try:
                if "/" in w:
                    addr, plen = w.split("/", 1)
                    new = "%s/%s" % (ipaddress.IPv6Address(addr).compressed, plen)
                else:
                    new = ipaddress.IPv6Address(w).compressed
            except ValueError:
                continue
            if new != w:
                words[i] = new
                changed = True
    return " ".join(words) if changed else line


# How FRR prints log and debug lines written in other words (measured on 8.4.4, 10.3 and 10.7.1 with
# tests/corpus/frr/configs/63-waynedovey-metallb-upstream.conf: written as is, check mode on the unchanged router
# planned them on every run and they stayed in ``remaining``).  Not rendered by the throwaway FRR (frr.render).
_LOG_DEFAULT_LEVEL_RE = re.compile(r"^(log (?:file \S+|syslog|stdout)) debugging$")
_DEBUG_PRINTED_AS = {
    "debug bgp neighbor": ("debug bgp neighbor-events",),
    "debug bgp updates": ("debug bgp updates in", "debug bgp updates out"),
}


def _printed_log_debug(line: str) -> Tuple[str, ...]:
    """The line(s) FRR prints for a top-level ``log`` / ``debug`` line."""
    m = _LOG_DEFAULT_LEVEL_RE.match(line)
    if m:
        return (m.group(1),)
    return _DEBUG_PRINTED_AS.get(line, (line,))


_PREFIX_ENTRY_RE = re.compile(r"^(ip(?:v6)? prefix-list \S+(?: seq \d+)? (?:permit|deny) )(\S+/\d+)(.*)$")


def _masked_prefix(line: str) -> str:
    """A prefix-list entry with its prefix's host bits cleared, as FRR stores and prints it: ``permit
    192.170.1.0/22`` is printed ``permit 192.170.0.0/22`` (tests/corpus/frr/configs/19-frrk8s-unnumbered.conf,
    measured on 8.4.4; written as is, it was planned on every run and left in ``remaining``)."""
    m = _PREFIX_ENTRY_RE.match(line)
    if not m:
        return line
    try:
        net = ipaddress.ip_network(m.group(2), strict=False)
    except ValueError:
        return line
    masked = str(net)
    if masked == m.group(2) or (net.version == 6) != line.startswith("ipv6"):
        return line
    return m.group(1) + masked + m.group(3)


def normalise(cfg: Config, intended: bool, forwarding: Optional[Dict[str, str]] = None,
              version: Optional[frr_version.Version] = None) -> Config:
    """A copy of ``cfg`` without never-converging differences (:data:`NORMALISATIONS`).

    :param intended: True for the intended config (where lists may lack ``seq``
        and ``passive-interface`` may be used), False for ``show running-config``.
    :param forwarding: for the running side, the intended config's forwarding
        lines ``{"ip": "ip forwarding", "ipv6": "no ipv6 forwarding"}``; families
        the intended config does not mention are not compared.
    :param version: the running FRR's version (its default lines differ, :func:`frr.version.default_lines`).
    """
    defaults = frr_version.default_lines(version)
    default_texts = frozenset(line for _kind, line in defaults)
    out = Config()
    index, entries = out._index, out.entries
    kinds = cfg.kinds
    next_seq: Dict[str, int] = {}
    # bgp instances that have 'no bgp default ipv4-unicast'
    no_default_v4 = {e.path for e in cfg.entries
                     if e.line == "no bgp default ipv4-unicast" and len(e.path) == 1}
    moved_passive: List[Tuple[str, str]] = []  # (interface, line) from router ospf
    new_kinds: Dict[Path, str] = {}

    renamed: Dict[Path, Path] = {}

    def rename(path: Path) -> Path:
        got = renamed.get(path)
        if got is None:
            got = tuple(_canon_ipv6(p) for p in path)
            renamed[path] = got = path if got == path else got
        return got

    # Running configs (and most files) number every list entry: skip the seq work then.
    seqless_heads = set()
    if intended:
        for e in cfg.entries:
            if not e.path and " seq " not in e.line and e.line[:1] in "iabm":
                le = list_entry(e.line)
                if le is not None:
                    seqless_heads.add(le.head)
    for e in cfg.entries:
        line = e.line
        path = e.path
        if not path:
            if line.startswith(_DROP_TOP) or line == "hostname" or (intended and ("", line) in defaults):
                continue
            fam = _forwarding_family(line)
            if fam:
                # Printed only when off ('no ip forwarding'); compared only when intended states it.
                if line.startswith("no ") and (intended or fam in (forwarding or {})):
                    out.add(Entry((), line))
                continue
            le = None
            if seqless_heads:
                head, sep, tail = line.partition(" seq ")
                if not sep:
                    le = list_entry(line)
                elif head in seqless_heads:
                    num = tail.split(" ", 1)[0]
                    if num.isdigit():
                        next_seq[head] = max(next_seq.get(head, 0), int(num))
            if le is not None:
                seq = le.seq
                last = next_seq.get(le.head, 0)
                if seq is None:
                    if le.head.startswith(_PLUS5_LISTS):
                        seq = last + 5
                    else:
                        seq = (last // 5) * 5 + 5
                next_seq[le.head] = max(last, seq)
                line = "%s seq %d %s" % (le.head, seq, le.rest)
        elif intended and len(path) == 1 and path[0] in ("router ospf",) and line.startswith("passive-interface ") \
                and line != "passive-interface default" and len(line.split()) == 2:
            moved_passive.append((line.split()[1], "ip ospf passive"))
            continue
        elif intended and line in default_texts and len(path) <= 2 and (_default_kind(path, kinds), line) in defaults:
            continue
        elif intended and line.startswith("neighbor ") and line.endswith(" activate") and len(path) == 2 \
                and path[1] == "address-family ipv4 unicast" and path[0].startswith("router bgp") \
                and (path[0],) not in no_default_v4 and len(line.split()) == 3:
            continue
        if not path and line[:3] in ("ip ", "ipv") and " prefix-list " in line:
            line = _masked_prefix(line)
        elif not path and line[:4] in ("log ", "debu"):
            printed = _printed_log_debug(line)
            line = printed[0]
            for extra in printed[1:]:
                out.add(Entry((), extra))
        if ":" in line:
            line = _canon_ipv6(line)
            if "65535:" in line and "community" in line:
                line = " ".join(WELL_KNOWN_COMMUNITIES.get(w, w) for w in line.split(" "))
        npath = rename(path) if path else path
        if kinds:
            sub = path + (e.line,)
            if sub in kinds:
                new_kinds[npath + (line,)] = kinds[sub]
        ne = e if (line is e.line and npath is path) else Entry(npath, line)
        if ne not in index:
            index[ne] = len(entries)
            entries.append(ne)
    for ifname, line in moved_passive:
        ctx = ("interface %s" % ifname,)
        out.add(Entry((), ctx[0]))
        new_kinds.setdefault(ctx, "interface")
        out.add(Entry(ctx, line))
    out.kinds = new_kinds
    out = _drop_empty_contexts(out)
    return out


def _default_kind(path: Path, kinds: Dict[Path, str]) -> str:
    """The context kind a default line is listed under: ``router ospf``, ``router bgp``, the address-family
    (``address-family l2vpn evpn``) of a line two contexts deep, or the parsed kind."""
    if len(path) == 2:
        return path[1] if path[1].startswith("address-family ") else ""
    words = path[0].split(" ", 2)
    if words[0] == "router" and len(words) > 1:
        return "router " + words[1]
    return kinds.get(path, "")


def default_lines(version: Optional[frr_version.Version]) -> FrozenSet[Tuple[str, str]]:
    """What FRR ``version`` does not print because it is the default (see :data:`NORMALISATIONS`)."""
    return frr_version.default_lines(version)


def _forwarding_family(line: str) -> Optional[str]:
    if line in ("ip forwarding", "no ip forwarding"):
        return "ip"
    if line in ("ipv6 forwarding", "no ipv6 forwarding"):
        return "ipv6"
    return None


def forwarding_lines(cfg: Config) -> Dict[str, str]:
    """The intended config's forwarding statements by family (``{"ip": "no ip forwarding"}``)."""
    out: Dict[str, str] = {}
    for e in cfg.entries:
        if not e.path:
            fam = _forwarding_family(e.line)
            if fam:
                out[fam] = e.line
    return out


def _drop_empty_contexts(cfg: Config) -> Config:
    """Remove contexts of kinds FRR does not print when they hold no lines."""
    has_children = set()
    for path in {e.path for e in cfg.entries if e.path}:
        for i in range(1, len(path) + 1):
            has_children.add(path[:i])
    empty = {p for p, k in cfg.kinds.items() if k in _EMPTY_DROPPED_KINDS and p not in has_children}
    if not empty:
        return cfg
    keep = [e for e in cfg.entries if e.path + (e.line,) not in empty]
    kinds = {p: k for p, k in cfg.kinds.items() if p not in empty}
    return Config.from_unique(keep, kinds)


def parse_normalised(intended_text: str, running_text: str, intended_source: str = "intended config",
                     running_source: str = "running config") -> Tuple[Config, Config]:
    """Parse and normalise both sides; what :func:`frr_plan.plan` compares."""
    return normalise_pair(parse(intended_text, intended_source), parse(running_text, running_source))


def running_version(running: Config) -> Optional[frr_version.Version]:
    """The version in the running config's ``frr version X`` line."""
    for e in running.entries[:20]:
        if not e.path and e.line.startswith("frr version "):
            return frr_version.parse(e.line)
    return None


def normalise_pair(intended: Config, running: Config) -> Tuple[Config, Config]:
    """Normalised copies of both parsed sides (the running side compares the intended forwarding lines;
    the intended side drops the running version's default lines)."""
    version = running_version(running)
    return normalise(intended, True, version=version), normalise(running, False, forwarding_lines(intended), version)


def lines_of(cfg: Config) -> Sequence[str]:
    return cfg.lines()
