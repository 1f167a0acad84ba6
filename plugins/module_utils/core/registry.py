# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The area table: every audit netmedic runs, with its area, earlier names, checks and options.

Each area's ``<area>/audit.py`` (``frr/audit_<aspect>.py``) ends with ``AUDIT =
Audit(...)`` declaring its area, earlier names (``aliases``), check ids with a
title each, and options with kind, default and description.  This file lists
them, in the order the preflight runs them, and is the one place that knows
every area: core/audit.py imports none (no import circle, no function-local
imports).  Imports are static because Ansible ships module_utils by scanning
them.

Everything else reads the table from here: the preflight's selection
(core/select.py: audit names, areas, check ids, tags), the postflight
comparison (core/compare.py: which ids are notes), the remediation plan, and
the generated audit list in ``ansible-doc netmedic.network.preflight``
(tests/tools/audit_docs.py).  A new audit is one import and one entry in
``_DECLARED`` below.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import dataclasses
from typing import Dict, List, Tuple

from ansible_collections.netmedic.network.plugins.module_utils.bgp import audit as bgp_audit
from ansible_collections.netmedic.network.plugins.module_utils.bmc import audit as bmc_audit
from ansible_collections.netmedic.network.plugins.module_utils.bond import audit as bond_audit
from ansible_collections.netmedic.network.plugins.module_utils.core.audit import AUDIT_FAILED_ID, Audit, AuditContext
from ansible_collections.netmedic.network.plugins.module_utils.frr import audit_drift as frr_drift_audit
from ansible_collections.netmedic.network.plugins.module_utils.frr import audit_settings as frr_settings_audit
from ansible_collections.netmedic.network.plugins.module_utils.ip6 import audit as ip6_audit
from ansible_collections.netmedic.network.plugins.module_utils.link import audit as link_audit
from ansible_collections.netmedic.network.plugins.module_utils.tinc import audit as tinc_audit

# Check ids that core itself emits (run_audits, for an audit that crashed or timed out).
CORE_CHECKS = {AUDIT_FAILED_ID: "an audit could not run (it crashed or timed out)"}

# The order the preflight runs them in (the order of the `audits` it returns).
_DECLARED = (
    bond_audit.AUDIT,
    bmc_audit.AUDIT,
    bgp_audit.AUDIT,
    frr_settings_audit.AUDIT,
    ip6_audit.AUDIT,
    link_audit.AUDIT,
    tinc_audit.AUDIT,
    frr_drift_audit.AUDIT,
)


# ---------------------------------------------------------------- TEMPORARY SHIM (issue 12)
# Until the area helpers' commits land, some audits do not yet declare `area`, their new
# name (bonding -> bond, ipv6_route_cache -> ip6_route_cache, the old one as an alias) or
# the link audit's note.  The lead removes this block (and `SHIMMED`) at merge; an audit
# that declares these itself is left as it is, so the shim is inert once they do.
_SHIM_NAMES = {"bonding": "bond", "ipv6_route_cache": "ip6_route_cache"}
_SHIM_NOTES = {"link_flaps": {"NM-LINK-006": "links_compared"}}
SHIMMED: List[str] = []


def _area_from_ids(audit: Audit) -> str:
    prefixes = {check_id.split("-")[1].lower() for check_id in audit.checks}
    return prefixes.pop() if len(prefixes) == 1 else ""


def _under_old_name(ctx: AuditContext, new: str, old: str) -> AuditContext:
    """``ctx`` with the options also under the audit's old name, which its code still reads them by."""
    if new not in ctx.options:
        return ctx
    return dataclasses.replace(ctx, options=dict(ctx.options, **{old: ctx.options[new]}))


def _shim(audit: Audit) -> Audit:
    changes: Dict[str, object] = {}
    if not audit.area:
        changes["area"] = _area_from_ids(audit)
    if not audit.notes and audit.name in _SHIM_NOTES:
        changes["notes"] = _SHIM_NOTES[audit.name]
    old, new = audit.name, _SHIM_NAMES.get(audit.name)
    if new:
        changes.update(name=new, aliases=(old,) + tuple(audit.aliases),
                       run=lambda ctx: audit.run(_under_old_name(ctx, new, old)),
                       applies=lambda ctx: audit.applies(_under_old_name(ctx, new, old)))
    if not changes:
        return audit
    SHIMMED.append(changes.get("name", audit.name))
    return dataclasses.replace(audit, **changes)
# ---------------------------------------------------------------- end of the shim


AUDITS: Tuple[Audit, ...] = tuple(_shim(a) for a in _DECLARED)


def registry() -> Dict[str, Audit]:
    """Every audit by name, in the order they run."""
    return {a.name: a for a in AUDITS}


def canonical_names() -> Dict[str, str]:
    """Audit name for every name an audit is known by: its own and its earlier ones."""
    names = {a.name: a.name for a in AUDITS}
    names.update((alias, a.name) for a in AUDITS for alias in a.aliases)
    return names


def notes() -> Dict[str, str]:
    """Check ids that are notes on the postflight comparison (not conditions), with the flag each clears."""
    return {check_id: flag for a in AUDITS for check_id, flag in a.notes.items()}
