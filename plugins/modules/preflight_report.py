#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: preflight_report
short_description: Write the fleet preflight report (JSON and Markdown), compare with an earlier one, gate on severity
version_added: 0.1.0
description:
  - Takes the per-host results of M(netmedic.network.preflight) and writes a
    fleet report as JSON (versioned schema) and Markdown (hosts worst first).
  - Fails, after writing the report, when a host has a finding at or above
    O(fail_on), or when a host gave no result, so that maintenance does not
    start on a sick network.
  - Also computes the fleet checks from all hosts' findings, kept under C(fleet) in the report
    (docs/report-schema.md); one at or above O(fail_on) fails the report like a host's finding.
    C(NM-FLEET-001), many hosts lost their BGP session to the same peer in the same window
    (3 hosts or more within 90 s; incident 002, a route reflector starved of CPU).
    C(NM-FLEET-002), many hosts report the same check about the same peer.
  - With O(baseline) (the postflight), also compares each host's findings with
    those of that earlier report (new and gone, by check id and subject, only
    for the checks audited now), writes the comparison to O(comparison_path),
    and fails when a host has a new finding at or above O(compare_fail_on).
  - "Meant to run once on the controller (C(delegate_to: localhost), C(run_once: true))."
author:
  - netmedic.network contributors (@netmedic)
options:
  results:
    description:
      - Per-host preflight results, keyed by inventory hostname. A host whose
        value is null (unreachable, or the preflight task failed) is reported
        as having no result.
    type: dict
    required: true
  json_path:
    description:
      - Where to write the JSON report. Missing parent directories are created.
      - An existing file is replaced only when the report says something new (the
        C(generated) time apart), so a second run on the same results changes nothing.
      - Must not be a directory or a symbolic link, nor the same path as another report.
    type: path
    required: true
  markdown_path:
    description: Where to write the Markdown report. Missing parent directories are created.
    type: path
    required: true
  junit_path:
    description:
      - Where to write a JUnit XML report (a test suite per host, a test case per
        finding; findings at or above O(fail_on) are failures), for CI systems.
      - Not written when unset.
    type: path
  fail_on:
    description:
      - Fail when any host has a finding of this severity or worse.
      - V(never) only writes the report.
    type: str
    choices: [critical, warning, info, never]
    default: critical
  fail_on_no_result:
    description: Fail when a host gave no preflight result.
    type: bool
    default: true
  baseline:
    description:
      - The JSON report of an earlier preflight (C(preflight.json)) to compare with. Unset compares nothing.
      - A missing file is a report without hosts - every finding is new, and the comparison says that
        no preflight report entry was found. A file that is not a netmedic report fails the task.
      - Compared per host, by check id and subject (C(Finding.key)), only for the checks audited now
        (each audit's C(checks) in the results), so C(--tags bgp) does not report every other finding
        as gone. Notes on the comparison itself (C(NM-LINK-006), link counters not compared) are never
        new or gone. A host without a result is not compared.
    type: path
  comparison_path:
    description:
      - Where to write the comparison (with O(baseline)). Missing parent directories are created.
      - Defaults to O(json_path) with C(.json) replaced by C(-diff.json) (C(postflight-diff.json)).
    type: path
  compare_fail_on:
    description:
      - With O(baseline), fail when a host has a new finding of this severity or worse.
      - V(never) only writes the comparison.
    type: str
    choices: [critical, warning, info, never]
    default: warning
requirements:
  - Runs on the controller, with ansible-core's Python; no privilege (the role never becomes for it).
seealso:
  - module: netmedic.network.preflight
  - module: netmedic.network.preflight_metrics
    description: The same findings as Prometheus metrics, per host and for the fleet.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: In check mode nothing is written; the report is still returned and C(changed) says whether it would be.
  diff_mode:
    support: none
    details: The report is new output, not an edit; it is not shown as a diff.
  platform:
    platforms: posix
    details: Runs on the controller (the preflight role delegates it to localhost).
"""

EXAMPLES = r"""
- name: Write the fleet report
  netmedic.network.preflight_report:
    results: "{{ dict(hosts | zip(hosts | map('extract', hostvars) | map(attribute='netmedic_preflight', default=None))) }}"
    json_path: reports/preflight.json
    markdown_path: reports/preflight.md
  vars:
    hosts: "{{ ansible_play_hosts_all }}"
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
summary:
  description: Counts per severity, number of hosts, hosts with findings and hosts without result.
  returned: always
  type: dict
  sample: {critical: 1, warning: 0, info: 2, hosts: 3, hosts_with_findings: 1, hosts_without_result: []}
summary_line:
  description: The one-line summary printed to operators.
  returned: always
  type: str
  sample: "3 host(s): 1 critical, 0 warning, 2 info"
failing_hosts:
  description:
    - Hosts at or above O(fail_on), hosts named by a fleet finding at or above O(fail_on), hosts without
      result when O(fail_on_no_result), and hosts with a new finding at or above O(compare_fail_on) when
      O(baseline) is set.
  returned: always
  type: list
  elements: str
  sample: [edge2]
fleet:
  description: The fleet checks' findings (same schema as a host's findings), worst first.
  returned: always
  type: list
  elements: dict
  sample:
    - {id: NM-FLEET-001, severity: critical, incident: "002", subject: "peer 192.0.2.1",
       summary: "3 hosts lost their BGP session to 192.0.2.1 within 41 s", evidence: {peer: 192.0.2.1, vrf: default}}
json_path:
  description: Path of the JSON report.
  returned: always
  type: str
  sample: /srv/netmedic/netmedic-reports/preflight.json
markdown_path:
  description: Path of the Markdown report.
  returned: always
  type: str
  sample: /srv/netmedic/netmedic-reports/preflight.md
junit_path:
  description: Path of the JUnit XML report, when written.
  returned: when O(junit_path) is set
  type: str
  sample: /srv/netmedic/netmedic-reports/preflight.junit.xml
comparison:
  description:
    - The comparison with O(baseline), as written to O(comparison_path) - C(baseline) (the path) and per
      host C(new) (findings), C(gone) (C(ID subject) of each), C(in_baseline) and C(links_compared)
      (false when the link counters were not compared).
  returned: when O(baseline) is set
  type: dict
  sample:
    baseline: netmedic-reports/preflight.json
    hosts:
      r1: {new: [], gone: [NM-BOND-001 bond0], in_baseline: true, links_compared: true}
comparison_lines:
  description: Per host, one line saying what is new and what is gone since the preflight.
  returned: when O(baseline) is set
  type: dict
  sample: {r1: "new since the preflight: none; gone: NM-BOND-001 bond0"}
comparison_path:
  description: Path of the comparison file.
  returned: when O(baseline) is set
  type: str
  sample: /srv/netmedic/netmedic-reports/postflight-diff.json
"""

import datetime
import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.netmedic.network.plugins.module_utils.core import compare
from ansible_collections.netmedic.network.plugins.module_utils.core import registry
from ansible_collections.netmedic.network.plugins.module_utils.core.params import new_module
from ansible_collections.netmedic.network.plugins.module_utils.core.fileops import FileOpError, read_text, read_text_or_none, write_atomic
from ansible_collections.netmedic.network.plugins.module_utils.core.findings import at_least
from ansible_collections.netmedic.network.plugins.module_utils.core.json_input import load_json
from ansible_collections.netmedic.network.plugins.module_utils.core.report import (
    ReportInputError, build_report, hosts_at_or_above, read_previous, same_content, summary_line, to_json, to_junit,
    to_markdown)

PATH_OPTIONS = ("json_path", "markdown_path", "junit_path", "comparison_path")
SEVERITY_CHOICES = ["critical", "warning", "info", "never"]


def path_errors(params):
    """A message per report path that cannot be written, before anything is written."""
    errors = []
    seen = {}
    for option in PATH_OPTIONS:
        path = params[option]
        if path is None and option in ("junit_path", "comparison_path"):
            continue
        if not path or not path.strip():
            errors.append("%s must be a file path, got %r" % (option, path))
            continue
        full = os.path.abspath(path)
        if full in seen:
            errors.append("%s and %s are the same file (%s): each report needs its own" % (seen[full], option, path))
            continue
        seen[full] = option
        if os.path.islink(path):
            errors.append("%s: %s is a symbolic link (to %s); give the file's real path"
                          % (option, path, os.readlink(path)))
        elif os.path.isdir(path):
            errors.append("%s: %s is a directory; give the path of the report file in it" % (option, path))
        elif os.path.exists(path) and not os.path.isfile(path):
            errors.append("%s: %s exists and is not a regular file" % (option, path))
        else:
            problem = _parent_problem(os.path.dirname(full))
            if problem:
                errors.append("%s: cannot write %s: %s" % (option, path, problem))
    return errors


def _parent_problem(directory):
    """Why files cannot be created in ``directory`` (or its nearest existing ancestor), or None."""
    while not os.path.lexists(directory):
        directory = os.path.dirname(directory)
    if not os.path.isdir(directory):
        return "%s is not a directory" % directory
    if not os.access(directory, os.W_OK | os.X_OK):
        return "%s is not writable" % directory
    try:
        if os.statvfs(directory).f_flag & os.ST_RDONLY:
            return "%s is on a read-only filesystem" % directory
    except OSError:
        pass
    return None


def comparison_path(params):
    """O(comparison_path), or O(json_path) with .json replaced by -diff.json; None without a baseline."""
    if not params["baseline"]:
        return None
    if params["comparison_path"]:
        return params["comparison_path"]
    root, ext = os.path.splitext(params["json_path"])
    return (root if ext == ".json" else params["json_path"]) + "-diff.json"


def read_baseline(path):
    """The parsed baseline report, None when the file does not exist; ValueError saying what is wrong otherwise."""
    if os.path.isdir(path):
        raise ValueError("is a directory; give the path of the preflight's JSON report in it")
    try:
        text = read_text(path, missing_ok=True)
    except (FileOpError, UnicodeDecodeError) as exc:
        raise ValueError("cannot be read: %s" % exc) from None
    if text is None:
        return None
    try:
        return load_json(text, path, ValueError)
    except ValueError as exc:
        raise ValueError("is not JSON: %s" % exc) from None


def main():
    module = new_module(
        AnsibleModule, None,
        argument_spec=dict(
            results=dict(type="dict", required=True),
            json_path=dict(type="path", required=True),
            markdown_path=dict(type="path", required=True),
            junit_path=dict(type="path"),
            fail_on=dict(type="str", choices=SEVERITY_CHOICES, default="critical"),
            fail_on_no_result=dict(type="bool", default=True),
            baseline=dict(type="path"),
            comparison_path=dict(type="path"),
            compare_fail_on=dict(type="str", choices=SEVERITY_CHOICES, default="warning"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    p["comparison_path"] = comparison_path(p)
    errors = path_errors(p)
    if errors:
        module.fail_json(msg="; ".join(errors) + ". Nothing was written.")
    generated = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()
    try:
        report = build_report(p["results"], generated=generated)
    except ReportInputError as exc:
        module.fail_json(msg="the preflight results do not look like netmedic.network.preflight output: %s. "
                             "Nothing was written." % exc)

    comparison = None
    if p["baseline"]:
        try:
            baseline = read_baseline(p["baseline"])
        except ValueError as exc:
            module.fail_json(msg="baseline: %s %s. Nothing was written." % (p["baseline"], exc))
        try:
            comparison = compare.compare(baseline, report, p["baseline"], registry.notes(), registry.canonical_names())
        except compare.BaselineError as exc:
            module.fail_json(msg="baseline: %s is not a netmedic preflight report: %s. Nothing was written."
                                 % (p["baseline"], exc))

    # The same findings as the report already there: keep its time, so that the files are
    # byte for byte the same and nothing is rewritten (changed=false on a second run).
    before = read_previous(p["json_path"])
    if same_content(report, before):
        report["generated"] = before["generated"]
    outputs = [("json_path", to_json(report)), ("markdown_path", to_markdown(report))]
    if p["junit_path"]:
        outputs.append(("junit_path", to_junit(report, fail_on=p["fail_on"])))
    if comparison is not None:
        outputs.append(("comparison_path", to_json(comparison, indent=4)))
    stale = [(option, text) for option, text in outputs if read_text_or_none(p[option]) != text]
    if not module.check_mode:
        for option, text in stale:
            try:
                os.makedirs(os.path.dirname(os.path.abspath(p[option])), exist_ok=True)
                write_atomic(p[option], text, backup=False)
            except (OSError, FileOpError) as exc:
                module.fail_json(msg="%s: cannot write the report to %s: %s" % (option, p[option], exc))
    changed = bool(stale)

    severe = [] if p["fail_on"] == "never" else hosts_at_or_above(report, p["fail_on"])
    silent = report["summary"]["hosts_without_result"] if p["fail_on_no_result"] else []
    new_bad = compare.new_at_or_above(comparison, p["compare_fail_on"]) if comparison is not None else {}
    across = [] if p["fail_on"] == "never" else [f for f in report["fleet"]["findings"]
                                                 if at_least(f["severity"], p["fail_on"])]
    failing = sorted(set(severe) | set(silent) | set(new_bad) | {h for f in across for h in f["evidence"]["hosts"]})
    result = dict(changed=changed, summary=report["summary"], summary_line=summary_line(report),
                  failing_hosts=failing, json_path=p["json_path"], markdown_path=p["markdown_path"],
                  fleet=report["fleet"]["findings"])
    if p["junit_path"]:
        result["junit_path"] = p["junit_path"]
    if comparison is not None:
        notes = registry.notes()
        result.update(comparison=comparison, comparison_path=p["comparison_path"],
                      comparison_lines={h: compare.host_line(comparison, h, report, notes) for h in comparison["hosts"]})
    if new_bad and not (severe or silent):
        module.fail_json(msg=compare.gate_message(new_bad, p["compare_fail_on"]), **result)
    if failing:
        reasons = []
        if severe:
            reasons.append("%d host(s) with findings at or above '%s': %s" % (len(severe), p["fail_on"], "; ".join(
                "%s (%s)" % (h, ", ".join(sorted({f["id"] for f in report["hosts"][h]["findings"]
                                                  if at_least(f["severity"], p["fail_on"])})))
                for h in severe)))
        if silent:
            reasons.append("%d host(s) gave no result: %s" % (len(silent), ", ".join(silent)))
        if across:
            reasons.append("across the fleet: %s" % "; ".join("%s %s: %s" % (f["id"], f["subject"], f["summary"])
                                                              for f in across))
        msg = "do not start maintenance: %s. Details: %s" % ("; and ".join(reasons), p["markdown_path"])
        if new_bad:
            msg = compare.gate_message(new_bad, p["compare_fail_on"]) + "; and " + msg
        module.fail_json(msg=msg, **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
