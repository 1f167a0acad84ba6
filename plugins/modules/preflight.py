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
  - Read-only towards the host's configuration and daemons, so C(changed) is
    always false. The one file it may write is netmedic's own link-counter
    snapshot, and only when the C(link_flaps) audit is given a
    C(snapshot_path) (the preflight role does, also in check mode, so that
    the postflight can tell which links flapped during the maintenance).
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
    type: dict
    default: {}
  root:
    description:
      - Filesystem root the audits read C(/sys), C(/proc) and C(/etc) under.
        Only tests and chroots need anything but C(/).
    type: path
    default: /
  command_timeout:
    description: Timeout in seconds for each external command an audit runs.
    type: float
    default: 20
attributes:
  check_mode:
    support: full
    description: The audits change nothing, so check mode is the same as a normal run (the link snapshot included).
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
schema_version:
  description: Version of the finding schema.
  returned: always
  type: int
  sample: 1
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.netmedic.network.plugins.module_utils.audits import AuditContext, registry, run_audits
from ansible_collections.netmedic.network.plugins.module_utils.findings import (
    SCHEMA_VERSION, count_by_severity, sort_findings)
from ansible_collections.netmedic.network.plugins.module_utils.runner import Runner


def main():
    module = AnsibleModule(
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
    unknown = sorted(set(p["checks"]) - set(audits)) + sorted(set(p["skip"]) - set(audits))
    if unknown:
        module.fail_json(msg="unknown audit name(s): %s. Known audits: %s"
                         % (", ".join(unknown), ", ".join(sorted(audits)) or "none yet"))
    for name, value in p["options"].items():
        if name not in audits:
            module.fail_json(msg="options given for unknown audit %r. Known audits: %s"
                             % (name, ", ".join(sorted(audits)) or "none yet"))
        if not isinstance(value, dict):
            module.fail_json(msg="options.%s must be a dictionary of that audit's settings" % name)
    if p["command_timeout"] <= 0:
        module.fail_json(msg="command_timeout must be a positive number of seconds")

    ctx = AuditContext(root=p["root"], runner=Runner(timeout=p["command_timeout"]), options=p["options"])
    findings, runs = run_audits(ctx, audits.values(), only=p["checks"] or None, skip=p["skip"])
    findings = sort_findings(findings)
    module.exit_json(
        changed=False,
        findings=[f.to_dict() for f in findings],
        summary=count_by_severity(findings),
        audits=[r.to_dict() for r in runs],
        schema_version=SCHEMA_VERSION,
    )


if __name__ == "__main__":
    main()
