#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: preflight_partial
short_description: Write one slice's partial preflight report, for the merge step of a sliced run
version_added: 0.1.0
description:
  - In a sliced run (AWX / Automation Platform job slicing, or several controllers each auditing a share of the
    inventory), each slice writes the per-host results of its hosts to a partial report named by its slice,
    C(preflight.slice-<slice>.json) beside O(json_path). M(netmedic.network.preflight_merge) then gathers the
    partial reports of the run and M(netmedic.network.preflight_report) writes the fleet report and gates, once,
    as one unsliced run would.
  - Writes no fleet report and does not gate. Checks the results as the report module would, so that a malformed
    result fails the slice rather than the merge.
  - "Meant to run once on the controller (C(delegate_to: localhost), C(run_once: true))."
author:
  - netmedic.network contributors (@netmedic)
options:
  results:
    description:
      - Per-host preflight results of this slice's hosts, keyed by inventory hostname (null for a host that gave no
        result), as M(netmedic.network.preflight_report) takes them.
    type: dict
    required: true
  json_path:
    description:
      - The fleet report's JSON path (C(preflight.json)); the partial report is written beside it as
        C(<name>.slice-<slice>.json). Missing parent directories are created.
    type: path
    required: true
  slice:
    description:
      - The name of this slice (1 to 64 letters, digits, C(.), C(_) or C(-)). In AWX, the value of C(awx_job_id)
        (AWX tells a sliced job neither its slice number nor the slice count).
    type: str
    required: true
  run:
    description:
      - The run the slices belong to, the same for every slice of one run (in AWX, the value of C(awx_workflow_job_id)).
        The merge takes the partial reports of one run only. Empty names no run.
    type: str
    default: ""
requirements:
  - Runs on the controller, with ansible-core's Python; no privilege (the role never becomes for it).
seealso:
  - module: netmedic.network.preflight_merge
    description: Gathers the slices' partial reports into the fleet's results.
  - module: netmedic.network.preflight_report
    description: The fleet report of an unsliced run.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: In check mode nothing is written; C(changed) says whether the file would be.
  diff_mode:
    support: none
    details: The partial report is new output, not an edit.
  platform:
    platforms: posix
    details: Runs on the controller (the preflight role delegates it to localhost).
"""

EXAMPLES = r"""
- name: Write this slice's partial report
  netmedic.network.preflight_partial:
    results: "{{ dict(ansible_play_hosts_all | zip(ansible_play_hosts_all | map('extract', hostvars)
                 | map(attribute='preflight_result', default=None))) }}"
    json_path: reports/preflight.json
    slice: "{{ awx_job_id }}"
    run: "{{ awx_workflow_job_id }}"
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
path:
  description: Path of the partial report.
  returned: always
  type: str
  sample: reports/preflight.slice-812.json
hosts:
  description: Number of hosts in this slice.
  returned: always
  type: int
  sample: 25
summary_line:
  description: The one-line summary of this slice's hosts.
  returned: always
  type: str
  sample: "25 host(s): 0 critical, 1 warning, 3 info"
"""

import datetime
import json
import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.netmedic.network.plugins.module_utils.core import merge
from ansible_collections.netmedic.network.plugins.module_utils.core.fileops import FileOpError, read_text_or_none, write_atomic
from ansible_collections.netmedic.network.plugins.module_utils.core.params import new_module
from ansible_collections.netmedic.network.plugins.module_utils.core.report import (
    ReportInputError, build_report, read_previous, summary_line, to_json)


def main():
    module = new_module(
        AnsibleModule, None,
        argument_spec=dict(
            results=dict(type="dict", required=True),
            json_path=dict(type="path", required=True),
            slice=dict(type="str", required=True),
            run=dict(type="str", default=""),
        ),
        supports_check_mode=True,
    )
    p = module.params
    errors = [e for e in (merge.name_error("slice", p["slice"]), p["run"] and merge.name_error("run", p["run"])) if e]
    if not p["json_path"] or not p["json_path"].strip():
        errors.append("json_path must be a file path, got %r" % p["json_path"])
    if errors:
        module.fail_json(msg="; ".join(errors) + ". Nothing was written.")
    path = merge.partial_path(p["json_path"], p["slice"])
    if os.path.islink(path) or os.path.isdir(path):
        module.fail_json(msg="json_path: the partial report %s is a %s; remove it. Nothing was written."
                             % (path, "symbolic link" if os.path.islink(path) else "directory"))
    generated = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()
    try:
        report = build_report(p["results"], generated=generated)
    except ReportInputError as exc:
        module.fail_json(msg="the preflight results do not look like netmedic.network.preflight output: %s. "
                             "Nothing was written." % exc)
    doc = merge.partial_report(p["results"], p["slice"], p["run"], generated)
    before = read_previous(path)
    if isinstance(before, dict) and dict(before, generated=generated) == json.loads(to_json(doc)):
        doc["generated"] = before["generated"]   # the same results: leave the file as it is
    text = to_json(doc)
    changed = read_text_or_none(path) != text
    if changed and not module.check_mode:
        try:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            write_atomic(path, text, backup=False)
        except (OSError, FileOpError) as exc:
            module.fail_json(msg="json_path: cannot write the partial report %s: %s" % (path, exc))
    module.exit_json(changed=changed, path=path, hosts=len(doc["hosts"]), summary_line=summary_line(report))


if __name__ == "__main__":
    main()
