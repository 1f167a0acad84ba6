# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``remediation_plan`` filter: roles/remediate's choice of findings and fix calls (docs: remediation_plan.yml)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.netmedic.network.plugins.module_utils.core.registry import AUDITS
from ansible_collections.netmedic.network.plugins.module_utils.core.remediation import PlanError, plan


def remediation_plan(findings, checks=None, areas=None, tags=None, module_params=None):
    try:
        return plan(findings, AUDITS, checks=checks or [], areas=areas or [], tags=tags or [],
                    module_params=module_params)
    except PlanError as exc:
        raise AnsibleFilterError(str(exc)) from None


class FilterModule:
    def filters(self):
        return {"remediation_plan": remediation_plan}
