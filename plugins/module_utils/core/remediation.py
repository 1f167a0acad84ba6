# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The remediation plan: which findings to repair, and the calls of each fix module.

Pure, run on the controller by the ``remediation_plan`` filter (roles/remediate).
A finding already names its fix (``fix.module`` and ``fix.params``), so the plan
needs no table of which module repairs which check: it keeps the chosen
findings (by check id, by area, or by ``--tags`` naming either or an audit),
groups their fixes per module in a fixed order, merges the operator's extra
parameters per module (secrets and local paths a finding cannot carry), drops
identical calls, and lists the findings only a person can repair.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Mapping, Sequence

from ansible_collections.netmedic.network.plugins.module_utils.core.audit import Audit
from ansible_collections.netmedic.network.plugins.module_utils.core.findings import (
    CHECK_ID_RE, Finding, FindingError, kind_of)
from ansible_collections.netmedic.network.plugins.module_utils.core.select import ALL_TAG, Table, words

COLLECTION = "netmedic.network."

# The order fixes run in: the BMC first (it must not take the host's NIC while the bond is
# repaired), the bond, FRR's daemons file before its running config, tinc, the IPv6 cache last
# (a route FRR puts back may be what the sticky entry shadowed).
FIX_ORDER = ("bmc_lan_mode", "bond_arp_validate", "frr_daemons_options", "frr_reconcile", "tinc_safe_restart",
             "ip6_route_cache_flush")

# Earlier module names (reports written before the rename, remediate_module_params keys).
MODULE_ALIASES = {"ipmi_lan_mode": "bmc_lan_mode", "ipv6_route_cache_flush": "ip6_route_cache_flush"}

# Modules called once with every finding's list merged (one flush for every sticky destination).
MERGED_LISTS = {"ip6_route_cache_flush": "destinations"}


class PlanError(ValueError):
    """Bad input to the plan; ``str()`` names the variable."""


def module_name(name: Any) -> str:
    """``netmedic.network.ipmi_lan_mode`` -> ``bmc_lan_mode``: the short, current name of a fix module."""
    short = str(name)[len(COLLECTION):] if str(name).startswith(COLLECTION) else str(name)
    return MODULE_ALIASES.get(short, short)


def _area(check_id: str) -> str:
    parts = check_id.split("-")
    return parts[1].lower() if len(parts) == 3 else ""


def _module_params(module_params: Any) -> Dict[str, Dict[str, Any]]:
    if module_params is None:
        return {}
    if not isinstance(module_params, Mapping):
        raise PlanError("remediate_module_params must be a dictionary keyed by fix module, got %s"
                        % kind_of(module_params))
    out: Dict[str, Dict[str, Any]] = {}
    for key, params in module_params.items():
        name = module_name(key)
        if name not in FIX_ORDER:
            raise PlanError("remediate_module_params: %r is not a fix module. Fix modules: %s (earlier names: %s)"
                            % (key, ", ".join(FIX_ORDER), ", ".join(sorted(MODULE_ALIASES))))
        if not isinstance(params, Mapping):
            raise PlanError("remediate_module_params.%s must be a dictionary of that module's parameters, got %s"
                            % (key, kind_of(params)))
        if name in out:
            raise PlanError("remediate_module_params names %s twice (with its earlier name): give it once" % name)
        out[name] = dict(params)
    return out


def _chosen_ids(checks: Iterable[Any]) -> List[str]:
    ids = [str(c).strip() for c in checks or []]
    bad = [c for c in ids if not CHECK_ID_RE.match(c)]
    if bad:
        raise PlanError("remediate_checks must be check ids like NM-BOND-001, got %s" % ", ".join(repr(b) for b in bad))
    return ids


def _findings(findings: Any) -> List[Dict[str, Any]]:
    """The findings checked against the schema: a report file on the controller may hold anything."""
    if not isinstance(findings, (list, tuple)):
        raise PlanError("the findings must be a list of netmedic findings, got %s" % kind_of(findings))
    out = []
    for n, finding in enumerate(findings):
        try:
            out.append(Finding.from_dict(finding).to_dict())
        except FindingError as exc:
            raise PlanError("the findings must be netmedic findings: findings[%d]: %s" % (n, exc)) from None
    return out


def plan(findings: Sequence[Mapping[str, Any]], audits: Sequence[Audit], checks: Iterable[Any] = (),
         areas: Iterable[Any] = (), tags: Iterable[Any] = (), module_params: Any = None) -> Dict[str, Any]:
    """The plan for one host's ``findings`` (dicts of the finding schema).

    ``checks``: check ids; ``areas``: area names; ``tags``: ``ansible_run_tags`` (areas, audit
    names or check ids; ``all`` and other tags choose nothing); ``module_params``: extra
    parameters per fix module.  Returns ``nothing_chosen``, ``found_ids`` (every check id of
    the host), ``chosen`` (the findings), ``fixes`` (``[{module, calls: [params, ...]}]`` in
    FIX_ORDER) and ``manual`` (``"ID | subject | instruction"`` for findings no module repairs).
    """
    findings = _findings(findings)
    extra = _module_params(module_params)
    ids = set(_chosen_ids(checks))
    chosen_areas = {str(a) for a in areas or []}
    tag_words = words(tags or [])
    if ALL_TAG not in tag_words:
        table = Table(audits)
        for word in tag_words:
            if word.lower() in table.areas:
                chosen_areas.add(word.lower())
            else:
                ids |= table.expand(word) or set()
    chosen = [f for f in findings if f["id"] in ids or _area(f["id"]) in chosen_areas]
    calls: Dict[str, List[Dict[str, Any]]] = {}
    manual = []
    for finding in chosen:
        fix = finding.get("fix") or {}
        name = module_name(fix["module"]) if fix.get("module") else None
        if name not in FIX_ORDER:
            why = fix.get("manual") or ""
            if name:
                why = ("%s (no fix task for module %s)" % (why, fix["module"])).strip()
            manual.append("%s | %s | %s" % (finding["id"], finding.get("subject") or "", why))
            continue
        params = dict(fix.get("params") or {}, **extra.get(name, {}))
        if params not in calls.setdefault(name, []):
            calls[name].append(params)
    for name, field in MERGED_LISTS.items():
        if name in calls:
            merged: List[Any] = []
            for params in calls[name]:
                values = params.get(field)
                # a value that is no list goes to the module as it is, which names the option if it is wrong
                values = values if isinstance(values, list) else [] if values is None else [values]
                merged += [v for v in values if v not in merged]
            calls[name] = [dict(extra.get(name, {}), **{field: merged})]
    return {
        "nothing_chosen": not ids and not chosen_areas,
        "found_ids": list(dict.fromkeys(f["id"] for f in findings)),
        "chosen": list(chosen),
        "fixes": [{"module": name, "calls": calls[name]} for name in FIX_ORDER if name in calls],
        "manual": manual,
    }
