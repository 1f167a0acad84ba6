#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: preflight
short_description: Run every netmedic audit on a host in one call
version_added: 0.1.0
description:
  - Runs all netmedic audits that apply to the host in-process, in one module
    call (one round trip per host), and returns their findings in the shared
    finding schema (id, severity, summary, subject, evidence, fix, incident).
  - Audits that do not apply (no FRR, no tinc, no bond, no BMC) are skipped
    quickly. An audit that crashes or times out becomes a C(NM-CORE-001)
    warning finding instead of failing the play.
  - Read-only on the host, so C(changed) is always false. It writes nothing
    there, not even netmedic's own state; what an audit records for a later
    comparison (the C(link_flaps) carrier counters) is returned in RV(snapshots)
    and kept in the controller's report, from which the postflight passes it back.
  - Every option is checked before any audit runs; an unknown audit, an unknown
    per-audit option or a number out of range fails the task, naming it.
author:
  - netmedic.network contributors (@netmedic)
options:
  checks:
    description:
      - Names of the audits to run. Empty means all registered audits.
      - The names are listed in the C(audits) return value.
    type: list
    elements: str
    default: []
  skip:
    description: Names of audits not to run.
    type: list
    elements: str
    default: []
  options:
    description:
      - "Per-audit options and thresholds, keyed by audit name, for example
        C({bgp: {min_established_seconds: 300}}). Each audit documents its own."
      - An unknown option key fails the task and lists the audit's options;
        numbers must be finite and within the option's range.
    type: dict
    default: {}
  root:
    description:
      - Filesystem root the audits read C(/sys), C(/proc) and C(/etc) under.
        Only tests and chroots need anything but C(/).
      - Must be the absolute path of an existing directory.
    type: path
    default: /
  command_timeout:
    description: Timeout in seconds for each external command an audit runs (0.001 to 86400).
    type: float
    default: 20
attributes:
  check_mode:
    support: full
    description: The preflight changes and writes nothing, so check mode is the same as a normal run.
  diff_mode:
    support: none
    description: Nothing on the host changes, so there is no diff.
notes:
  - Managed hosts need only Python 3.8+ and the standard library.
"""

EXAMPLES = r"""
- name: Audit the host
  netmedic.network.preflight:
  register: preflight

- name: Only BGP and bonding, with a stricter BGP uptime threshold
  netmedic.network.preflight:
    checks: [bgp, bonding]
    options:
      bgp:
        min_established_seconds: 600
"""

RETURN = r"""
findings:
  description: Findings, worst first. Each has the keys of the shared schema.
  returned: always
  type: list
  elements: dict
  sample:
    - id: NM-BOND-001
      severity: critical
      summary: bond0 monitors ARP with arp_validate=none
      subject: bond0
      evidence: {arp_interval: 100, arp_validate: none}
      fix: {module: netmedic.network.bond_arp_validate, params: {bond: bond0, value: all}, role: null, manual: null}
      incident: "004"
summary:
  description: Number of findings per severity.
  returned: always
  type: dict
  sample: {critical: 0, warning: 1, info: 0}
audits:
  description: What happened to each registered audit (ran, skipped, failed, excluded) and how long it took.
  returned: always
  type: list
  elements: dict
  sample:
    - {name: bonding, status: skipped, duration: 0.0001, findings: 0, error: null}
snapshots:
  description:
    - What audits recorded for a later comparison, keyed by audit name. C(link_flaps) records the
      carrier counters of every interface; the report keeps them (C(hosts.<host>.snapshots)) and the
      postflight compares with them (see docs/routing-health.md for the format).
  returned: always
  type: dict
  sample:
    link_flaps:
      format: netmedic-link-snapshot
      version: 1
      taken: 1795238300.5
      boot_id: 4f1c8a52-0f7e-4a53-9a0e-5d8f2a9b1c3e
      hostname: edge1
      interfaces: {eth0: {ifindex: 2, carrier: 1, carrier_changes: 4, carrier_up_count: 2, carrier_down_count: 2,
                          operstate: up, admin_up: true}}
schema_version:
  description: Version of the finding schema.
  returned: always
  type: int
  sample: 1
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.netmedic.network.plugins.module_utils.core.audit import (
    AuditContext, check_options, registry, run_audits)
from ansible_collections.netmedic.network.plugins.module_utils.core.findings import (
    SCHEMA_VERSION, count_by_severity, sort_findings)
from ansible_collections.netmedic.network.plugins.module_utils.core.params import SECONDS, new_module
from ansible_collections.netmedic.network.plugins.module_utils.core.runner import Runner

RANGES = {"command_timeout": SECONDS}


def input_errors(params, audits):
    """(per-audit options as the audits read them, a message per bad option naming it)."""
    errors = []
    for option in ("checks", "skip"):
        unknown = [n for n in params[option] if n not in audits]
        if unknown:
            errors.append("%s: unknown audit name(s): %s. Known audits: %s"
                          % (option, ", ".join(sorted(set(unknown))), ", ".join(sorted(audits)) or "none yet"))
    root = params["root"]
    if not root or not os.path.isabs(root) or not os.path.isdir(root):
        errors.append("root must be the absolute path of an existing directory (the filesystem the audits read), "
                      "got %r" % (root,))
    options, option_errors = check_options(audits, params["options"])
    return options, errors + option_errors


def main():
    module = new_module(
        AnsibleModule, RANGES,
        argument_spec=dict(
            checks=dict(type="list", elements="str", default=[]),
            skip=dict(type="list", elements="str", default=[]),
            options=dict(type="dict", default={}),
            root=dict(type="path", default="/"),
            command_timeout=dict(type="float", default=20.0),
        ),
        supports_check_mode=True,
    )
    p = module.params
    audits = registry()
    options, errors = input_errors(p, audits)
    if errors:
        module.fail_json(msg="; ".join(errors) + ". Nothing was audited.")

    ctx = AuditContext(root=p["root"], runner=Runner(timeout=p["command_timeout"]), options=options)
    findings, runs = run_audits(ctx, audits.values(), only=p["checks"] or None, skip=p["skip"])
    findings = sort_findings(findings)
    module.exit_json(
        changed=False,
        findings=[f.to_dict() for f in findings],
        summary=count_by_severity(findings),
        audits=[r.to_dict() for r in runs],
        snapshots=ctx.snapshots,
        schema_version=SCHEMA_VERSION,
    )


if __name__ == "__main__":
    main()
