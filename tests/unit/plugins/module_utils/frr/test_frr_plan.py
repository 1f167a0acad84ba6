# -*- coding: utf-8 -*-
"""FRR diff and plan: YAML cases (intended + running -> exact vtysh script)."""

import os

import pytest
import yaml

from support.paths import FIXTURES
from ansible_collections.netmedic.network.plugins.module_utils.frr import config as frr_config
from ansible_collections.netmedic.network.plugins.module_utils.frr import plan as frr_plan
from ansible_collections.netmedic.network.plugins.module_utils.frr.plan import compute, drift

with open(os.path.join(FIXTURES, "frr_plan_cases.yml")) as fh:
    CASES = yaml.safe_load(fh)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_plan_case(case):
    p = compute(case["intended"], case["running"])
    assert p.script() == case["script"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_plan_converges_on_its_own_result(case):
    """Applying the plan's adds/deletes to the running side leaves nothing to do."""
    i, r = frr_config.parse_normalised(case["intended"], case["running"])
    assert frr_plan.diff(i, i).empty
    # The intended config rendered as FRR would print it needs no change.
    again = compute(case["intended"], i.render())
    assert again.script() == ""


def test_diff_counts_and_describe():
    d = drift("ip prefix-list A seq 5 permit 10.0.0.0/8\n", "ip prefix-list B seq 5 permit 10.0.0.0/8\n")
    assert d.summary() == {"delete": 1, "add": 1}
    assert frr_plan.describe(d) == ["- ip prefix-list B seq 5 permit 10.0.0.0/8",
                                    "+ ip prefix-list A seq 5 permit 10.0.0.0/8"]
    assert frr_plan.counts_by_area(d) == {"ip prefix-list": {"delete": 1, "add": 1}}


def test_unified_diff_shows_both_sides():
    d = drift("interface eth0\n ip ospf cost 10\n", "interface eth0\n ip ospf cost 20\nexit\n")
    text = frr_plan.unified(d)
    assert "- ip ospf cost 20" in text and "+ ip ospf cost 10" in text


@pytest.mark.parametrize("line,expected", [
    ("ip ospf cost 10", "no ip ospf cost 10"),
    ("no bgp ebgp-requires-policy", "bgp ebgp-requires-policy"),
    ("description uplink to core", "no description"),
    ("neighbor 192.0.2.1 description x y", "no neighbor 192.0.2.1 description"),
    ("neighbor 192.0.2.1 password s", "no neighbor 192.0.2.1 password"),
    ("set community 65000:1 additive", "no set community"),
    ("password zebra", "no password"),
    ("enable password zebra", "no enable password"),
    ("log file /var/log/frr.log informational", "no log file"),
    ("on-match goto 10", "no on-match goto"),        # FRRouting/frr#19102 (issue 14)
    ("on-match next", "no on-match next"),
    ("receive-interval 250", "receive-interval 300"),    # FRR 8.4 has no 'no' form of BFD timers (issue 14)
    ("transmit-interval 250", "transmit-interval 300"), ("detect-multiplier 5", "detect-multiplier 3"),
    ("echo-interval 100", "echo-interval 50"), ("echo receive-interval 100", "echo receive-interval 50"),
])
def test_no_form(line, expected):
    assert frr_plan.no_form(line) == expected


def test_commands_show_context():
    p = compute("router bgp 1\n bgp router-id 1.1.1.1\n", "router bgp 1\nexit\n")
    assert p.commands() == ["router bgp 1 > bgp router-id 1.1.1.1"]


def test_big_list_deleted_with_one_command():
    running = "".join("ip prefix-list BIG seq %d permit 10.%d.%d.0/24\n" % (i + 5, i // 256, i % 256)
                      for i in range(1000))
    p = compute("", running)
    assert p.script() == "no ip prefix-list BIG\n"
    # part of a list that stays: one delete per entry, after the adds
    keep = "ip prefix-list BIG seq 5 permit 10.0.0.0/24\n"
    p = compute(keep, running)
    assert len(p.steps) == 999 and all(s.op == "delete" for s in p.steps)
