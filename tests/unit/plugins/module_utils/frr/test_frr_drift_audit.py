# -*- coding: utf-8 -*-
"""The frr_drift preflight audit on a fake root with a fake vtysh."""

import pytest

from ansible_collections.netmedic.network.plugins.module_utils.frr import audit_drift as A
from ansible_collections.netmedic.network.plugins.module_utils.core.audit import AuditContext
from ansible_collections.netmedic.network.plugins.module_utils.core.registry import registry
from ansible_collections.netmedic.network.plugins.module_utils.core.runner import CommandError
from support.fakes import FakeRunner

INTENDED = """frr defaults traditional
hostname edge1
router bgp 65001
 neighbor 192.0.2.2 remote-as 65002
 address-family ipv4 unicast
  neighbor 192.0.2.2 route-map IN in
 exit-address-family
!
ip prefix-list PL permit 10.0.0.0/8
route-map IN permit 10
 match ip address prefix-list PL
!
"""

PARTIAL = """Building configuration...

Current configuration:
!
frr version 8.4.4
frr defaults traditional
hostname vm
!
router bgp 65001
 neighbor 192.0.2.2 remote-as 65002
 !
 address-family ipv4 unicast
  neighbor 192.0.2.2 route-map IN in
 exit-address-family
exit
!
ip prefix-list JUNK seq 5 permit 192.0.2.0/24
!
end
"""


def _ctx(tmp_path, running, options=None, conf=INTENDED, pathspace=None, running_frr=True, rc=0, exc=None):
    etc = tmp_path / "etc" / "frr" / (pathspace or "")
    etc.mkdir(parents=True, exist_ok=True)
    if conf is not None:
        (etc / "frr.conf").write_text(conf)
    (etc / "daemons").write_text("bgpd=yes\n")
    if running_frr:  # what a running FRR leaves: watchfrr's pid file
        run = tmp_path / "var" / "run" / "frr" / (pathspace or "")
        run.mkdir(parents=True, exist_ok=True)
        (run / "watchfrr.pid").write_text("1\n")
    answer = exc if exc is not None else (rc, running, "")
    return AuditContext(root=str(tmp_path), runner=FakeRunner({"vtysh": answer}), options=options or {})


def test_frr_installed_but_not_meant_to_run_is_skipped(tmp_path):
    # the package ships frr.conf and daemons; nothing runs and no unit is enabled: no finding to make
    assert not A.applies(_ctx(tmp_path, "", running_frr=False))


def test_registered_with_checks():
    audit = registry()["frr_drift"]
    assert set(audit.checks) == {"NM-FRR-001", "NM-FRR-002", "NM-FRR-003", "NM-FRR-004"}


def test_partial_config_is_critical_with_evidence(tmp_path):
    ctx = _ctx(tmp_path, PARTIAL)
    assert A.applies(ctx)
    found = {f.id: f for f in A.run(ctx)}
    assert set(found) == {"NM-FRR-001", "NM-FRR-002", "NM-FRR-003"}
    missing = found["NM-FRR-001"]
    assert missing.severity == "critical" and missing.incident == "000"
    assert missing.evidence["by_area"] == {"ip prefix-list": 1, "route-map": 2}
    assert "route-map IN permit 10 > match ip address prefix-list PL" in missing.evidence["examples"]
    assert missing.fix.module == "netmedic.network.frr_reconcile"
    assert found["NM-FRR-002"].evidence["examples"] == ["ip prefix-list JUNK seq 5 permit 192.0.2.0/24"]
    assert found["NM-FRR-003"].evidence["undefined"] == {"route-map": ["IN"]}
    assert ctx.runner.calls == ["vtysh -c show running-config"]


def test_converged_is_silent(tmp_path):
    running = PARTIAL.replace("ip prefix-list JUNK seq 5 permit 192.0.2.0/24",
                              "ip prefix-list PL seq 5 permit 10.0.0.0/8\n!\nroute-map IN permit 10\n"
                              " match ip address prefix-list PL\nexit")
    assert A.run(_ctx(tmp_path, running)) == []


def test_pathspaces_option(tmp_path):
    ctx = _ctx(tmp_path, PARTIAL, options={"frr_drift": {"pathspaces": ["r1"]}}, pathspace="r1")
    found = A.run(ctx)
    assert found and all("(pathspace r1)" in f.subject for f in found)
    assert ctx.runner.calls[0].startswith("vtysh -N r1 -c ")
    bad = _ctx(tmp_path, PARTIAL, options={"frr_drift": {"pathspaces": ["../x"]}})
    assert [f.id for f in A.run(bad)] == ["NM-FRR-004"]


@pytest.mark.parametrize("kw,conf,why", [
    ({"rc": 1}, INTENDED, "exited 1"),
    ({"exc": CommandError("'vtysh -c show running-config' did not finish within 20 s")}, INTENDED, "did not finish"),
    ({}, "router bgp 1\n address-family ipv4 unicast\n\x00\n", "control character"),
])
def test_cannot_compare(tmp_path, kw, conf, why):
    found = A.run(_ctx(tmp_path, PARTIAL, conf=conf, **kw))
    assert [f.id for f in found] == ["NM-FRR-004"]
    assert why in found[0].summary


def test_does_not_apply_without_frr_conf(tmp_path):
    assert not A.applies(_ctx(tmp_path, PARTIAL, conf=None))
