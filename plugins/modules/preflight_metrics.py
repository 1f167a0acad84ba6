#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: preflight_metrics
short_description: Write netmedic findings as Prometheus metrics for node_exporter's textfile collector
version_added: 0.1.0
description:
  - Writes the findings of a preflight in the Prometheus text format, atomically (a temporary file in the same
    directory, renamed over the old one, so the collector never reads half a file), into a C(.prom) file of
    node_exporter's textfile collector directory.
  - With O(result) (the M(netmedic.network.preflight) module's result) it writes one host's metrics, on that host.
    With O(report) (a preflight JSON report) it writes the fleet's, each series with a C(host) label, on the
    controller.
  - "Series: C(netmedic_finding{id, severity, subject, audit}) (one per finding), C(netmedic_findings{severity}),
    C(netmedic_audit_status{audit, status}) (1 for the audit's status: ran, skipped, failed, excluded),
    C(netmedic_audit_duration_seconds{audit}), C(netmedic_last_run_timestamp_seconds); the fleet also has
    C(netmedic_host_result{host}) (0 for a host that gave no result)."
  - The file holds the time of the run, so every run rewrites it and reports C(changed).
author:
  - netmedic.network contributors (@netmedic)
requirements:
  - Python 3.8 or newer on the host that writes the file (the standard library only).
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Renders the metrics and reports whether the file would change; writes nothing.
  diff_mode:
    support: full
    details: Shows the file before and after.
  platform:
    platforms: posix
    details: Any POSIX host with Python; node_exporter need not run on it.
options:
  result:
    description:
      - The preflight module's result for this host (C(findings), C(audits)), usually C(preflight_result).
      - Exactly one of O(result) and O(report) is given.
    type: dict
  report:
    description:
      - Path of a preflight JSON report (C(preflight.json)) on the host that runs the module; its hosts become
        the C(host) label.
      - Exactly one of O(result) and O(report) is given.
    type: path
  path:
    description:
      - The file to write. Its name must end in C(.prom) (node_exporter reads only those) and its directory must
        exist, for example C(/var/lib/prometheus/node-exporter/netmedic.prom) on Debian.
      - A new file gets mode 0644; an existing one keeps its owner and mode.
    type: path
    required: true
seealso:
  - module: netmedic.network.preflight
  - module: netmedic.network.preflight_report
  - name: node_exporter's textfile collector
    description: How node_exporter reads C(.prom) files from a directory.
    link: https://github.com/prometheus/node_exporter#textfile-collector
  - name: Prometheus text exposition format
    description: The format of the file.
    link: https://prometheus.io/docs/instrumenting/exposition_formats/
notes:
  - The preflight role runs it with O(result) when C(preflight_metrics_dir) is set, and its report step with
    O(report) when C(preflight_report_metrics) is set.
"""

EXAMPLES = r"""
- name: Audit the host
  netmedic.network.preflight:
  become: true
  register: preflight

- name: Write the host's findings for node_exporter
  netmedic.network.preflight_metrics:
    result: "{{ preflight }}"
    path: /var/lib/prometheus/node-exporter/netmedic.prom
  become: true

- name: Write the fleet's findings on the controller, from the report
  netmedic.network.preflight_metrics:
    report: netmedic-reports/preflight.json
    path: /var/lib/prometheus/node-exporter/netmedic-fleet.prom
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
path:
  description: The file written (or that would be written in check mode).
  returned: always
  type: str
  sample: /var/lib/prometheus/node-exporter/netmedic.prom
series:
  description: Number of samples in the file.
  returned: success
  type: int
  sample: 38
findings:
  description: Number of findings the metrics carry (for the fleet, of every host).
  returned: success
  type: int
  sample: 2
"""

import json

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.netmedic.network.plugins.module_utils.core.diff import ansible_diff
from ansible_collections.netmedic.network.plugins.module_utils.core.fileops import FileOpError, read_text
from ansible_collections.netmedic.network.plugins.module_utils.core.metrics import (
    MetricsInputError, fleet_metrics, host_metrics, path_error, write_textfile)
from ansible_collections.netmedic.network.plugins.module_utils.core.params import new_module


def load_report(path):
    """The parsed report, or raises MetricsInputError naming the option."""
    try:
        text = read_text(path)
    except (FileOpError, ValueError) as exc:
        raise MetricsInputError("report: cannot read %s: %s" % (path, exc)) from None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise MetricsInputError("report: %s is not a preflight JSON report: %s" % (path, exc)) from None


def main():
    module = new_module(
        AnsibleModule, None,
        argument_spec=dict(
            result=dict(type="dict"),
            report=dict(type="path"),
            path=dict(type="path", required=True),
        ),
        mutually_exclusive=[("result", "report")],
        required_one_of=[("result", "report")],
        supports_check_mode=True,
    )
    p = module.params
    path = p["path"]
    error = path_error(path)
    if error:
        module.fail_json(msg=error + ". Nothing was written.", path=path)
    try:
        if p["result"] is not None:
            text = host_metrics(p["result"])
            findings = len(p["result"].get("findings") or [])
        else:
            report = load_report(p["report"])
            text = fleet_metrics(report)
            findings = sum(len(h.get("findings") or []) for h in report["hosts"].values())
    except MetricsInputError as exc:
        module.fail_json(msg="%s%s. Nothing was written." % ("" if str(exc).startswith("report") else "result: ", exc),
                         path=path)
    try:
        changed, before = write_textfile(path, text, module.check_mode)
    except (FileOpError, ValueError) as exc:
        module.fail_json(msg="path: cannot write %s: %s. Nothing was written." % (path, exc), path=path)
    result = dict(changed=changed, path=path, findings=findings,
                  series=sum(1 for line in text.splitlines() if line and not line.startswith("#")))
    if module._diff:
        result["diff"] = ansible_diff(before, text, path)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
