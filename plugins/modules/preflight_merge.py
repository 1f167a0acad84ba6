#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: preflight_merge
short_description: Gather the partial reports of a sliced preflight run into the fleet's results
version_added: 0.1.0
description:
  - The merge step of a sliced run. Reads the partial reports that M(netmedic.network.preflight_partial) wrote
    beside O(json_path) (C(preflight.slice-*.json)), takes those of one run, and returns every target host's
    result, to hand to M(netmedic.network.preflight_report) - which then writes the same report and gates as one
    unsliced run would (C(playbooks/preflight_merge.yml), C(playbooks/postflight_merge.yml)).
  - A target host that no partial report of the run has is returned as a host without result (its slice failed or
    did not run), so the gate stops maintenance as it does for an unreachable host.
  - Fails, naming the files, when a host is in two partial reports of the run, when the partial reports are of
    several runs and O(run) does not choose one, or when a file is not a partial report. Reads only; writes nothing.
  - "Meant to run once on the controller (C(delegate_to: localhost), C(run_once: true))."
author:
  - netmedic.network contributors (@netmedic)
options:
  json_path:
    description: The fleet report's JSON path (C(preflight.json)); the partial reports are read from beside it.
    type: path
    required: true
  targets:
    description:
      - Every host the run was meant to audit (the unsliced inventory's target hosts, C(ansible_play_hosts_all) of
        the merge play). The result has exactly these hosts.
    type: list
    elements: str
    required: true
  run:
    description:
      - The run to merge (the slices' C(run)). Empty takes the partial reports there are, which must then all be of
        one run.
    type: str
    default: ""
requirements:
  - Runs on the controller, with ansible-core's Python; no privilege (the role never becomes for it).
seealso:
  - module: netmedic.network.preflight_partial
    description: Writes each slice's partial report.
  - module: netmedic.network.preflight_report
    description: Writes the fleet report from the merged results and gates.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Reads only, also outside check mode.
  diff_mode:
    support: none
    details: Nothing is changed.
  platform:
    platforms: posix
    details: Runs on the controller (the preflight role delegates it to localhost).
"""

EXAMPLES = r"""
- name: Gather the slices' partial reports
  netmedic.network.preflight_merge:
    json_path: reports/preflight.json
    targets: "{{ ansible_play_hosts_all }}"
    run: "{{ preflight_slice_run }}"
  delegate_to: localhost
  run_once: true
  register: merged

- name: Write the fleet report and gate, as one unsliced run
  netmedic.network.preflight_report:
    results: "{{ merged.host_results }}"
    json_path: reports/preflight.json
    markdown_path: reports/preflight.md
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
host_results:
  description: Per target host, its result from the partial reports (as M(netmedic.network.preflight_report) takes them).
  returned: success
  type: dict
  sample: {edge1: {findings: [], summary: {critical: 0, warning: 0, info: 0}}, edge2: null}
run:
  description: The run merged.
  returned: success
  type: str
  sample: "812"
slices:
  description: The partial reports merged - C(slice), C(path), C(hosts) (count) and C(generated) of each.
  returned: success
  type: list
  elements: dict
  sample: [{slice: "813", path: reports/preflight.slice-813.json, hosts: 25, generated: "2026-11-29T14:00:00Z"}]
missing_hosts:
  description: Target hosts that no partial report of the run has (reported as hosts without result).
  returned: success
  type: list
  elements: str
  sample: [edge2]
ignored_hosts:
  description: Hosts of the partial reports that are not targets of the merge (for example with C(--limit)); left out.
  returned: success
  type: list
  elements: str
  sample: []
other_runs:
  description: Runs whose partial reports were left alone.
  returned: success
  type: list
  elements: str
  sample: ["790"]
summary_line:
  description: One line saying what was merged.
  returned: success
  type: str
  sample: "run 812: 4 partial report(s), 100 of 100 target host(s)"
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.netmedic.network.plugins.module_utils.core import merge
from ansible_collections.netmedic.network.plugins.module_utils.core.params import new_module


def main():
    module = new_module(
        AnsibleModule, None,
        argument_spec=dict(
            json_path=dict(type="path", required=True),
            targets=dict(type="list", elements="str", required=True),
            run=dict(type="str", default=""),
        ),
        supports_check_mode=True,
    )
    p = module.params
    if not p["json_path"] or not p["json_path"].strip():
        module.fail_json(msg="json_path must be the fleet report's file path, got %r" % p["json_path"])
    if p["run"] and merge.name_error("run", p["run"]):
        module.fail_json(msg=merge.name_error("run", p["run"]))
    try:
        merged = merge.merge(merge.read_partials(p["json_path"]), p["targets"], p["run"])
    except merge.PartialError as exc:
        module.fail_json(msg="cannot merge the partial reports of %s: %s. Nothing was merged."
                             % (merge.partial_path(p["json_path"], "*"), exc))
    line = "run %s: %d partial report(s), %d of %d target host(s)" % (
        merged.run or "(unnamed)", len(merged.slices), len(p["targets"]) - len(merged.missing_hosts), len(p["targets"]))
    if merged.missing_hosts:
        line += "; no slice reported %s" % ", ".join(merged.missing_hosts)
    if merged.ignored_hosts:
        module.warn("the partial reports have %d host(s) that are not targets of this merge, left out: %s"
                    % (len(merged.ignored_hosts), ", ".join(merged.ignored_hosts)))
    module.exit_json(changed=False, host_results=merged.results, run=merged.run, slices=merged.slices,
                     missing_hosts=merged.missing_hosts, ignored_hosts=merged.ignored_hosts,
                     other_runs=merged.other_runs, summary_line=line)


if __name__ == "__main__":
    main()
