# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which audits a preflight runs, from what the operator named: audits, areas or check ids.

One word means the same everywhere: ``bgp`` (an area and its audit), ``frr``
(an area: both FRR audits), ``frr_drift`` (an audit), ``bonding`` (an earlier
name of the ``bond`` audit), ``NM-FRR-001`` (a check id: only the audit that
emits it runs, and only findings of that id come back).  ``--tags`` arrive as
``ansible_run_tags``, passed once by the roles: ``all`` restricts nothing, and
a tag that is none of those words is ignored (it may belong to another role);
when tags do name something, they choose instead of ``checks``.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Dict, FrozenSet, Iterable, List, Sequence, Set, Tuple

from ansible_collections.netmedic.network.plugins.module_utils.core.audit import Audit
from ansible_collections.netmedic.network.plugins.module_utils.core.findings import CHECK_ID_RE

# ansible_run_tags when no --tags was given
ALL_TAG = "all"


class SelectionError(ValueError):
    """A name that is no audit, area or check id; ``str()`` names the known ones."""


@dataclasses.dataclass(frozen=True)
class Selection:
    """The audits to run (names, in table order) and the check ids they look for."""

    audits: Tuple[str, ...]
    ids: FrozenSet[str]


def words(values: Iterable[Any]) -> List[str]:
    """The names in ``values``, tolerating the list-as-text of ``ansible -a 'checks=[NM-FRR-001, bgp]'``.

    Ad-hoc ``k=v`` arguments are not YAML: Ansible splits ``[NM-FRR-001, bgp]`` on
    commas into ``'[NM-FRR-001'`` and ``' bgp]'``.  Brackets, quotes and blanks
    around a name are dropped; ``[]`` is no name; an empty name stays (and is unknown).
    """
    out = []
    for value in values:
        text = str(value).strip()
        bare = text.strip("[]").strip().strip("'\"").strip()
        if bare or text == "" or text.strip("'\"") == "":
            out.append(bare)
    return out


class Table:
    """The words an operator may use, each with the check ids it stands for."""

    def __init__(self, audits: Sequence[Audit]):
        self.audits = list(audits)
        self.ids: Dict[str, Set[str]] = {}
        self.areas: Dict[str, Set[str]] = {}
        self.names: Dict[str, Set[str]] = {}
        for audit in self.audits:
            checks = set(audit.checks)
            if audit.area:
                self.areas.setdefault(audit.area, set()).update(checks)
            for name in (audit.name,) + tuple(audit.aliases):
                self.names[name] = checks
            for check_id in checks:
                self.ids[check_id] = {check_id}
        self.every_id = frozenset(self.ids)

    def expand(self, word: str):
        """The check ids ``word`` stands for, or None when it names nothing."""
        if not word:
            return None
        if CHECK_ID_RE.match(word.upper()):
            return self.ids.get(word.upper())
        key = word.lower()
        if key in self.names:
            return self.names[key]
        return self.areas.get(key)

    def known(self) -> str:
        aliases = sorted(a for audit in self.audits for a in audit.aliases)
        return "Known areas: %s; audits: %s%s; check ids: %s" % (
            ", ".join(sorted(self.areas)), ", ".join(a.name for a in self.audits),
            " (earlier names: %s)" % ", ".join(aliases) if aliases else "", ", ".join(sorted(self.ids)))

    def chosen(self, option: str, values: Iterable[Any], errors: List[str]) -> Set[str]:
        ids: Set[str] = set()
        unknown = []
        for word in words(values):
            found = self.expand(word)
            if found is None:
                unknown.append(word)
            else:
                ids |= found
        if unknown:
            errors.append("%s: unknown audit, area or check id: %s" % (option, ", ".join(repr(w) for w in unknown)))
        return ids


def select(audits: Sequence[Audit], checks: Iterable[Any] = (), skip: Iterable[Any] = (),
           tags: Iterable[Any] = ()) -> Selection:
    """The selection for ``checks``/``skip``/``tags``; SelectionError naming the unknown and the known words."""
    table = Table(audits)
    errors: List[str] = []
    asked = table.chosen("checks", checks, errors)
    skipped = table.chosen("skip", skip, errors)
    if errors:
        raise SelectionError("; ".join(errors) + ". " + table.known())
    tag_words = words(tags)
    if ALL_TAG not in tag_words:
        by_tags: Set[str] = set()
        for word in tag_words:
            by_tags |= table.expand(word) or set()
        if by_tags:
            asked = by_tags
    wanted = (asked or set(table.every_id)) - skipped
    names = tuple(a.name for a in table.audits if wanted.intersection(a.checks))
    return Selection(audits=names, ids=frozenset(wanted))
