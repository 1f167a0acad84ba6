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
``AUDITS`` below.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

from typing import Dict, Tuple

from ansible_collections.netmedic.network.plugins.module_utils.bgp import audit as bgp_audit
from ansible_collections.netmedic.network.plugins.module_utils.bmc import audit as bmc_audit
from ansible_collections.netmedic.network.plugins.module_utils.bond import audit as bond_audit
from ansible_collections.netmedic.network.plugins.module_utils.core.audit import AUDIT_FAILED_ID, Audit
from ansible_collections.netmedic.network.plugins.module_utils.frr import audit_drift as frr_drift_audit
from ansible_collections.netmedic.network.plugins.module_utils.frr import audit_settings as frr_settings_audit
from ansible_collections.netmedic.network.plugins.module_utils.ip6 import audit as ip6_audit
from ansible_collections.netmedic.network.plugins.module_utils.link import audit as link_audit
from ansible_collections.netmedic.network.plugins.module_utils.tinc import audit as tinc_audit

# Check ids that core itself emits (run_audits, for an audit that crashed or timed out).
CORE_CHECKS = {AUDIT_FAILED_ID: "an audit could not run (it crashed or timed out)"}

# The order the preflight runs them in (the order of the `audits` it returns).
AUDITS: Tuple[Audit, ...] = (
    bond_audit.AUDIT,
    bmc_audit.AUDIT,
    bgp_audit.AUDIT,
    frr_settings_audit.AUDIT,
    ip6_audit.AUDIT,
    link_audit.AUDIT,
    tinc_audit.AUDIT,
    frr_drift_audit.AUDIT,
)


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
