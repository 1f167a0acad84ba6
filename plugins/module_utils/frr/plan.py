# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compare an intended FRR configuration with the running one; plan the vtysh commands.

:func:`diff` is read-only and cheap (it is what the preflight drift audit
calls): it takes two normalised :class:`~frr_config.Config` and returns what
to delete and what to add.  :func:`plan` turns that into one ordered vtysh
script (``vtysh -f``), in dependency order:

1. deletes inside routing contexts and of top-level lines that *use*
   policies (``neighbor X route-map OLD in``, ``ip route``...), deepest first;
2. adds of lists (prefix/access/community/as-path lists);
3. route-map changes (line deletes, then adds), key chains;
4. the remaining adds (vrf, interfaces, routers, other top-level lines),
   in the intended config's order;
5. deletes of whole route-map entries, then of list entries and whole lists.

So a route-map or prefix-list a neighbour still uses is removed only after
the neighbour line has changed, and a new one exists before it is used.

Lines a new value simply replaces (``ip ospf cost``, ``neighbor X remote-as``,
``bgp router-id``, a list entry with the same ``seq``, ``match ip address``...)
are not deleted first: deleting ``neighbor X remote-as`` would drop every
other setting of that neighbour, and a list entry deleted first would leave
a hole while the list is in use.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import contextlib
import gc
import re
from typing import Dict, List, NamedTuple, Optional, Tuple

from ansible_collections.netmedic.network.plugins.module_utils.core.diff import unified_diff
from ansible_collections.netmedic.network.plugins.module_utils.frr.config import (
    Config, Entry, Path, list_entry, normalise_pair, parse, parse_normalised)

# Contexts that cannot be removed with "no <line>" (the kernel owns the interface
# or VRF, address-families have no "no" form): their lines are removed instead.
_NOT_REMOVABLE_KINDS = frozenset(("interface", "vrf", "address-family", "line", "ldp-af", "link-params"))

# "no" forms that take fewer words than the line: (regex on the line, how many words the "no" keeps).
_NO_TRIM = [
    (re.compile(r"^description "), 1),
    (re.compile(r"^neighbor \S+ description "), 3),
    (re.compile(r"^neighbor \S+ password "), 3),
    (re.compile(r"^key-string "), 1),
    (re.compile(r"^(password|enable password) "), None),  # whole keyword, see _no_form
    (re.compile(r"^log file "), 2),
    (re.compile(r"^set (community|large-community|extcommunity \S+) "), 2),
    (re.compile(r"^ip prefix-list \S+ description "), 4),
    (re.compile(r"^ipv6 prefix-list \S+ description "), 4),
    (re.compile(r"^access-list \S+ remark "), 3),
    (re.compile(r"^banner motd "), 2),
    # 'continue N' is printed 'on-match goto N', whose 'no' form with the number is unknown to FRR 8.4 and
    # 10.3 ('% Unknown command', FRRouting/frr#19102; measured, 10.7.1 knows it): 'no on-match goto' works on all.
    (re.compile(r"^on-match goto "), 2),
]

# BFD peer and profile timers (bfd > peer X / profile P): FRR 8.4 has no 'no' form for them ('% Unknown
# command: no receive-interval 250', measured; 10.3 and 10.7.1 have one), so a timer is removed by setting
# FRR's default, which it then does not print (FRR's bfdd defaults: 300 ms, 300 ms, x3, echo 50 ms).
_BFD_TIMER_DEFAULTS = {"receive-interval": "300", "transmit-interval": "300", "detect-multiplier": "3",
                       "echo-interval": "50", "echo receive-interval": "50", "echo transmit-interval": "50"}
_BFD_TIMER_RE = re.compile(r"^(%s) \d+$" % "|".join(sorted(_BFD_TIMER_DEFAULTS, key=len, reverse=True)))

# Single-valued settings: a new line with the same key replaces the old one, so
# the old one is not deleted first.  Each regex's match (group 0) is the key.
_REPLACES = [re.compile(p) for p in (
    r"^bgp router-id ", r"^ospf router-id ", r"^ospf6 router-id ", r"^router-id ",
    r"^description ", r"^bandwidth ", r"^mtu ",
    r"^ip ospf (cost|hello-interval|dead-interval|priority|network|retransmit-interval|transmit-delay) ",
    r"^ipv6 ospf6 (cost|hello-interval|dead-interval|priority|network|retransmit-interval|transmit-delay) ",
    r"^isis metric ", r"^isis circuit-type ",
    r"^neighbor \S+ (remote-as|description|password|update-source|ebgp-multihop|ttl-security hops|weight|"
    r"local-as|advertisement-interval|timers connect|maximum-prefix) ",
    r"^neighbor \S+ timers \d",
    r"^timers bgp ", r"^timers throttle spf ", r"^auto-cost reference-bandwidth ", r"^distance ",
    r"^bgp (default local-preference|cluster-id|confederation identifier) ",
    r"^set (local-preference|metric|weight|origin|tag|ip next-hop|ipv6 next-hop \S+|community|large-community|"
    r"as-path prepend|src) ",
    r"^match (ip address|ip address prefix-list|ipv6 address|ipv6 address prefix-list|community|"
    r"large-community|as-path|interface|tag|metric|source-protocol|ip next-hop prefix-list) ",
    r"^on-match ", r"^call ",
    r"^log syslog", r"^log file ", r"^log timestamp precision ",
    r"^key-string ", r"^cryptographic-algorithm ",
    r"^ip address \S+ label ",
    r"^(receive-interval|transmit-interval|detect-multiplier|echo-interval|echo receive-interval|"
    r"echo transmit-interval) ",
)]


class Diff(NamedTuple):
    """Normalised running minus intended (``deletes``) and intended minus running (``adds``)."""

    deletes: List[Entry]
    adds: List[Entry]
    intended: Config
    running: Config

    @property
    def empty(self) -> bool:
        return not self.deletes and not self.adds

    def summary(self) -> Dict[str, int]:
        return {"delete": len(self.deletes), "add": len(self.adds)}


def diff(intended: Config, running: Config) -> Diff:
    """What differs between two normalised configs (read-only, no FRR needed)."""
    deletes = [e for e in running.entries if e not in intended]
    adds = [e for e in intended.entries if e not in running]
    return Diff(deletes, adds, intended, running)


_NEIGHBOR_FILTER_RE = re.compile(r"^neighbor (\S+) (route-map|prefix-list|filter-list|distribute-list|unsuppress-map) "
                                 r"\S+ (in|out|import|export)$")


def _replace_key(line: str) -> Optional[str]:
    le = list_entry(line)
    if le is not None:
        return "%s seq %s" % (le.head, le.seq)
    m = _NEIGHBOR_FILTER_RE.match(line)
    if m:
        return "neighbor %s %s * %s" % m.groups()
    for rx in _REPLACES:
        m = rx.match(line)
        if m:
            return m.group(0)
    return None


def no_form(line: str) -> str:
    """The command that removes ``line`` in its context."""
    if line.startswith("no "):
        return line[3:]
    m = _BFD_TIMER_RE.match(line)
    if m:
        return "%s %s" % (m.group(1), _BFD_TIMER_DEFAULTS[m.group(1)])
    if line.startswith(("password ", "enable password ")):
        return "no " + ("enable password" if line.startswith("enable") else "password")
    for rx, keep in _NO_TRIM:
        if keep and rx.match(line):
            return "no " + " ".join(line.split(" ")[:keep])
    return "no " + line


class Step(NamedTuple):
    """One command in its context (``path``), and why (``op``: delete/add).

    ``enters`` is true when the command opens a context (the next steps may be in it).
    """

    path: Path
    command: str
    op: str
    line: str
    enters: bool = False


class Plan(NamedTuple):
    steps: List[Step]
    diff: Diff

    @property
    def empty(self) -> bool:
        return not self.steps

    def script(self) -> str:
        """The vtysh script (``vtysh -f``): every step in its context, contexts closed by ``exit``."""
        return "".join(line + "\n" for line in self.script_lines())

    def script_lines(self) -> List[str]:
        out: List[str] = []
        current: Path = ()
        for st in self.steps:
            common = 0
            while common < len(current) and common < len(st.path) and current[common] == st.path[common]:
                common += 1
            for depth in range(len(current) - 1, common - 1, -1):
                out.append(" " * depth + "exit")
            for depth in range(common, len(st.path)):
                out.append(" " * depth + st.path[depth])
            out.append(" " * len(st.path) + st.command)
            current = st.path + (st.command,) if st.enters else st.path
        for depth in range(len(current) - 1, -1, -1):
            out.append(" " * depth + "exit")
        return out

    def commands(self) -> List[str]:
        """The plan as flat vtysh commands, each with its context (for check mode output)."""
        return [" > ".join(st.path + (st.command,)) for st in self.steps]


_LIST_HEADS = ("ip prefix-list", "ipv6 prefix-list", "access-list", "ipv6 access-list", "mac access-list",
               "bgp community-list", "bgp large-community-list", "bgp extcommunity-list", "bgp as-path")
_POLICY_KINDS = ("route-map", "key-chain", "key")


def _top_kind(cfg_kinds: Dict[Path, str], e: Entry) -> str:
    """list | policy | context | line: which phase an entry belongs to."""
    top = e.path[0] if e.path else e.line
    if not e.path and top.startswith(_LIST_HEADS):
        return "list"
    kind = cfg_kinds.get((top,))
    if kind in ("route-map", "key-chain"):
        return "policy"
    return "context" if kind else "line"


def plan(d: Diff) -> Plan:
    """Order the diff's deletes and adds into vtysh steps (see the module docstring)."""
    intended, running = d.intended, d.running
    kinds = dict(running.kinds)
    kinds.update(intended.kinds)

    # Replacements: a delete whose key is re-set by an add in the same context is skipped.
    add_keys = set()
    for e in d.adds:
        k = _replace_key(e.line)
        if k is not None:
            add_keys.add((e.path, k))
    deletes = [e for e in d.deletes if (e.path, _replace_key(e.line)) not in add_keys
               or _replace_key(e.line) is None]
    # "no X" running, "X" intended (or the reverse): the add alone does it.
    add_set = set(d.adds)
    deletes = [e for e in deletes if Entry(e.path, no_form(e.line)) not in add_set]

    # A removed context: one "no <context>" (when FRR has one) covers everything inside it.
    removed_ctx = set()
    for e in deletes:
        sub = e.path + (e.line,)
        if sub in running.kinds and sub not in intended.kinds and running.kinds[sub] not in _NOT_REMOVABLE_KINDS \
                and not any(p in removed_ctx for p in _prefixes(e.path)):
            removed_ctx.add(sub)
    deletes = [e for e in deletes if not any(p in removed_ctx for p in _prefixes(e.path))]
    # Contexts we cannot remove keep their line (removing their content is enough).
    deletes = [e for e in deletes if not (e.path + (e.line,) in running.kinds
                                          and e.path + (e.line,) not in removed_ctx)]

    # Whole lists gone from the intended config: one "no <list>" instead of one per entry.
    # (normalised list entries always carry " seq ")
    intended_heads = {e.line.partition(" seq ")[0] for e in intended.entries
                      if not e.path and " seq " in e.line and e.line.startswith(_LIST_HEADS)}
    whole_lists: Dict[str, None] = {}
    list_deletes: List[Entry] = []
    for e in deletes:
        if not e.path:
            le = list_entry(e.line)
            if le is not None:
                if le.head not in intended_heads:
                    whole_lists.setdefault(le.head, None)
                else:
                    list_deletes.append(e)
                continue

    order = {e: i for i, e in enumerate(running.entries)}

    def delete_order(entries: List[Entry]) -> List[Entry]:
        # deepest contexts first, and in a context the last line first
        # (members before their peer-group, AF lines before the neighbour)
        return sorted(entries, key=lambda e: (-len(e.path), -order.get(e, 0)))

    def delete_step(e: Entry) -> Step:
        return Step(e.path, no_form(e.line), "delete", e.line)

    def add_step(e: Entry) -> Step:
        return Step(e.path, e.line, "add", e.line, e.path + (e.line,) in intended.kinds)

    steps: List[Step] = []
    # 1. deletes in contexts and of plain top-level lines
    steps += [delete_step(e) for e in delete_order([e for e in deletes if _top_kind(kinds, e) in ("context", "line")])]
    # 2. list adds
    steps += [add_step(e) for e in d.adds if _top_kind(kinds, e) == "list"]
    # 3. policy contexts: line deletes (not whole entries), then adds
    steps += [delete_step(e) for e in delete_order([e for e in deletes if _top_kind(kinds, e) == "policy" and e.path])]
    steps += [add_step(e) for e in d.adds if _top_kind(kinds, e) == "policy"]
    # 4. everything else, in the intended config's order
    steps += [add_step(e) for e in d.adds if _top_kind(kinds, e) in ("context", "line")]
    # 5. whole policy entries, then list entries and whole lists
    steps += [delete_step(e) for e in delete_order([e for e in deletes if _top_kind(kinds, e) == "policy" and not e.path])]
    steps += [delete_step(e) for e in delete_order(list_deletes)]
    steps += [Step((), "no " + head, "delete", head) for head in whole_lists]
    return Plan(steps, d)


def _prefixes(path: Path):
    for i in range(1, len(path) + 1):
        yield path[:i]


def unified(d: Diff, name: str = "frr") -> str:
    """A unified diff of the normalised running config (before) and the intended one (after)."""
    return unified_diff(d.running.render(), d.intended.render(), name, "running", "intended")


def describe(d: Diff, limit: int = 20) -> List[str]:
    """Human lines ``- router bgp 65001 > neighbor X route-map RM in`` for reports."""
    out = ["- " + " > ".join(e.path + (e.line,)) for e in d.deletes[:limit]]
    out += ["+ " + " > ".join(e.path + (e.line,)) for e in d.adds[:limit]]
    return out


def counts_by_area(d: Diff) -> Dict[str, Dict[str, int]]:
    """Differences per top-level area (``route-map``, ``ip prefix-list``, ``router bgp``...)."""
    out: Dict[str, Dict[str, int]] = {}
    for op, entries in (("delete", d.deletes), ("add", d.adds)):
        for e in entries:
            top = e.path[0] if e.path else e.line
            area = _area(top)
            out.setdefault(area, {"delete": 0, "add": 0})[op] += 1
    return out


def _area(top: str) -> str:
    for head in _LIST_HEADS:
        if top.startswith(head):
            return head
    words = top.split(" ")
    if words[0] in ("router",) and len(words) > 1:
        return "router " + words[1]
    return words[0]


# ---------------------------------------------------------------- from text

@contextlib.contextmanager
def no_gc():
    """Parsing builds ~3 small objects a line and keeps them all: the cyclic garbage
    collector only slows that down (about 30% on 100,000 lines)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def compute(intended_text: str, running_text: str, source: str = "intended config") -> Plan:
    """Parse, normalise, diff and plan (read-only; raises FrrConfigError on unreadable text)."""
    with no_gc():
        i, r = parse_normalised(intended_text, running_text, intended_source=source)
        return plan(diff(i, r))


def compute_parsed(intended: Config, running: Config) -> Plan:
    """Normalise, diff and plan two parsed configs (the intended one may be FRR's rendering, frr.render)."""
    with no_gc():
        return plan(diff(*normalise_pair(intended, running)))


def drift(intended_text: str, running_text: str, source: str = "intended config") -> Diff:
    """Read-only difference, for audits."""
    return drift_and_running(intended_text, running_text, source)[0]


def drift_and_running(intended_text: str, running_text: str,
                      source: str = "intended config") -> Tuple[Diff, Config]:
    """The read-only difference, and the running config as parsed (not normalised),
    so that an audit can look further at it without parsing it a second time."""
    with no_gc():
        intended = parse(intended_text, source)
        running = parse(running_text, "running config")
        return diff(*normalise_pair(intended, running)), running
