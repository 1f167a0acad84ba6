"""The remediation plan (core/remediation.py, the remediation_plan filter): roles/remediate's choice and grouping."""

import json
import os
import subprocess
import sys

import pytest

from ansible_collections.netmedic.network.plugins.module_utils.core import registry as R
from ansible_collections.netmedic.network.plugins.module_utils.core.remediation import PlanError, module_name, plan

from support.paths import REPO


def f(check_id, subject="", module=None, params=None, manual=None):
    fix = None
    if module or manual:
        fix = {"module": module and "netmedic.network." + module, "params": params or {}, "role": None,
               "manual": manual}
    return {"id": check_id, "severity": "critical", "summary": "s", "subject": subject, "evidence": {},
            "fix": fix, "incident": None}


FINDINGS = [
    f("NM-BMC-001", "BMC", "ipmi_lan_mode", {"mode": "dedicated"}),          # a report of before the rename
    f("NM-BOND-001", "bond0", "bond_arp_validate", {"bonds": ["bond0"], "value": "all"}),
    f("NM-BOND-003", "bond0", "bond_arp_validate", {"bonds": ["bond0"], "value": "all"}),
    f("NM-FRR-001", "frr", "frr_reconcile", {}),
    f("NM-FRR-015", "bgpd", manual="Check bgpd came back with its config."),
    f("NM-IP6-001", "2001:db8::1", "ipv6_route_cache_flush", {"destinations": ["2001:db8::1"]}),
    f("NM-IP6-001", "2001:db8::2", "ip6_route_cache_flush", {"destinations": ["2001:db8::2", "2001:db8::1"]}),
    f("NM-BGP-002", "peer a"),
]


def fixes(result):
    return [(x["module"], x["calls"]) for x in result["fixes"]]


def test_nothing_chosen_changes_nothing():
    got = plan(FINDINGS, R.AUDITS)
    assert got["nothing_chosen"] is True and got["chosen"] == [] and got["fixes"] == [] and got["manual"] == []
    assert got["found_ids"] == ["NM-BMC-001", "NM-BOND-001", "NM-BOND-003", "NM-FRR-001", "NM-FRR-015", "NM-IP6-001",
                                "NM-BGP-002"]
    # tags of no area, audit or check (no --tags is `all`) choose nothing either
    assert plan(FINDINGS, R.AUDITS, tags=["all"])["nothing_chosen"] is True
    assert plan(FINDINGS, R.AUDITS, tags=["always", "nginx"])["nothing_chosen"] is True


def test_every_area_in_fix_order_with_current_module_names():
    got = plan(FINDINGS, R.AUDITS, areas=["bmc", "bond", "frr", "ip6", "bgp"])
    assert fixes(got) == [
        ("bmc_lan_mode", [{"mode": "dedicated"}]),
        ("bond_arp_validate", [{"bonds": ["bond0"], "value": "all"}]),      # two findings, one call
        ("frr_reconcile", [{}]),
        ("ip6_route_cache_flush", [{"destinations": ["2001:db8::1", "2001:db8::2"]}]),   # one flush for all
    ]
    assert got["manual"] == ["NM-FRR-015 | bgpd | Check bgpd came back with its config.", "NM-BGP-002 | peer a | "]
    assert len(got["chosen"]) == 8 and got["nothing_chosen"] is False


@pytest.mark.parametrize("kw, modules", [
    ({"checks": ["NM-BOND-003"]}, ["bond_arp_validate"]),
    ({"tags": ["bond"]}, ["bond_arp_validate"]),
    ({"tags": ["NM-BMC-001"]}, ["bmc_lan_mode"]),
    ({"tags": ["frr_drift"]}, ["frr_reconcile"]),              # an audit's name: its checks
    ({"tags": ["bonding", "nginx"]}, ["bond_arp_validate"]),   # an earlier name; other roles' tags ignored
    ({"tags": ["all", "bond"]}, []),                           # `all` is no --tags
    ({"checks": ["NM-FRR-001"], "areas": ["ip6"]}, ["frr_reconcile", "ip6_route_cache_flush"]),
])
def test_choice_by_check_area_or_tag(kw, modules):
    got = plan(FINDINGS, R.AUDITS, **kw)
    assert [x["module"] for x in got["fixes"]] == modules


def test_module_params_are_merged_under_current_names():
    got = plan(FINDINGS, R.AUDITS, areas=["bmc", "bond", "ip6"],
               module_params={"ipmi_lan_mode": {"password_file": "/etc/netmedic/bmc.pw"},
                              "bond_arp_validate": {"root": "/srv/x"},
                              "ip6_route_cache_flush": {"command_timeout": 5}})
    assert fixes(got) == [
        ("bmc_lan_mode", [{"mode": "dedicated", "password_file": "/etc/netmedic/bmc.pw"}]),
        ("bond_arp_validate", [{"bonds": ["bond0"], "value": "all", "root": "/srv/x"}]),
        ("ip6_route_cache_flush", [{"command_timeout": 5, "destinations": ["2001:db8::1", "2001:db8::2"]}]),
    ]
    # the operator's value wins over the finding's
    got = plan(FINDINGS, R.AUDITS, areas=["bond"], module_params={"bond_arp_validate": {"value": "active"}})
    assert fixes(got) == [("bond_arp_validate", [{"bonds": ["bond0"], "value": "active"}])]


def test_a_fix_module_without_a_fix_task_is_listed_for_a_person():
    odd = [f("NM-BOND-001", "bond0", "bond_renamed", {}, manual="Set arp_validate all.")]
    got = plan(odd, R.AUDITS, areas=["bond"])
    assert got["fixes"] == [] and got["manual"] == [
        "NM-BOND-001 | bond0 | Set arp_validate all. (no fix task for module netmedic.network.bond_renamed)"]


def test_module_names():
    assert module_name("netmedic.network.ipmi_lan_mode") == "bmc_lan_mode"
    assert module_name("netmedic.network.ipv6_route_cache_flush") == "ip6_route_cache_flush"
    assert module_name("bond_arp_validate") == "bond_arp_validate"


@pytest.mark.parametrize("kw, msg", [
    ({"checks": ["NM-BOND-01"]}, "remediate_checks must be check ids like NM-BOND-001, got 'NM-BOND-01'"),
    ({"checks": ["bond"]}, "remediate_checks must be check ids like NM-BOND-001, got 'bond'"),
    ({"module_params": {"bond_arp_valdate": {}}},
     "remediate_module_params: 'bond_arp_valdate' is not a fix module. Fix modules: bmc_lan_mode, bond_arp_validate"),
    ({"module_params": {"bond_arp_validate": "root=/x"}},
     "remediate_module_params.bond_arp_validate must be a dictionary of that module's parameters, got str"),
    ({"module_params": {"ipmi_lan_mode": {}, "bmc_lan_mode": {}}}, "names bmc_lan_mode twice"),
    ({"module_params": ["x"]}, "remediate_module_params must be a dictionary keyed by fix module"),
])
def test_bad_input_names_the_variable(kw, msg):
    with pytest.raises(PlanError) as err:
        plan(FINDINGS, R.AUDITS, **kw)
    assert msg in str(err.value)


def test_findings_that_are_not_findings():
    """A report file on the controller may hold anything (fuzz: a fix that was a number raised AttributeError)."""
    with pytest.raises(PlanError, match="the findings must be a list of netmedic findings"):
        plan({"id": "NM-BOND-001"}, R.AUDITS)
    with pytest.raises(PlanError, match=r"findings\[0\]: a finding must be a dictionary, got str"):
        plan(["NM-BOND-001"], R.AUDITS)
    bad = dict(FINDINGS[1], fix=7)
    with pytest.raises(PlanError, match=r"findings\[1\]: finding NM-BOND-001: fix must be a dictionary or null, got int 7"):
        plan([FINDINGS[0], bad], R.AUDITS, areas=["bond"])


def test_the_filter_plugin():
    """Through the filter's own entry point, in a child Python: importing Ansible's controller code here
    would change how the module tests in this process decode their arguments."""
    script = """
import json, sys
sys.path.insert(0, sys.argv[1])
from ansible.errors import AnsibleFilterError
from ansible_collections.netmedic.network.plugins.filter.remediation_plan import FilterModule
fn = FilterModule().filters()["remediation_plan"]
findings = json.loads(sys.argv[2])
out = {"plan": fn(findings, areas=["bond"], tags=["all"], module_params=None)}
try:
    fn(findings, checks=["bond"])
except AnsibleFilterError as exc:
    out["error"] = str(exc)
print(json.dumps(out))
"""
    proc = subprocess.run([sys.executable, "-c", script, os.path.join(REPO, "build", "dev"), json.dumps(FINDINGS)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert fixes(out["plan"]) == [("bond_arp_validate", [{"bonds": ["bond0"], "value": "all"}])]
    assert out["error"].startswith("remediate_checks must be check ids like NM-BOND-001, got 'bond'")
