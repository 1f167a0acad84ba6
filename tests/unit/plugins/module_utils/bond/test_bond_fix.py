"""Planning and applying arp_validate changes; the bond audit (sysfs + config fixture trees)."""

import ast
import os
import shutil

import pytest
from support.paths import REPO

from ansible_collections.netmedic.network.plugins.module_utils.bond import audit as audit_bond
from ansible_collections.netmedic.network.plugins.module_utils.core.audit import (
    AuditContext, check_options, run_audits)
from ansible_collections.netmedic.network.plugins.module_utils.core.registry import registry
from ansible_collections.netmedic.network.plugins.module_utils.bond.fix import (
    FixError, apply_plans, plan_bond, select_bonds)
from ansible_collections.netmedic.network.plugins.module_utils.bond.sysfs import read_bond
from ansible_collections.netmedic.network.plugins.module_utils.core.sysfs import Sysfs

from test_bond_sysfs import FIX, make_sysfs


@pytest.fixture
def host(tmp_path):
    """A host with the four fixture bonds and the ifupdown configuration."""
    make_sysfs(tmp_path)
    shutil.copytree(os.path.join(FIX, "ifupdown", "etc"), str(tmp_path / "etc"))
    return tmp_path


def test_select_all_skips_what_cannot_be_validated(host):
    bonds, skipped = select_bonds(Sysfs(str(host)), [])
    assert [b.name for b in bonds] == ["bond0", "bond1", "bond3"]
    assert skipped == [{"name": "bond2", "reason": "mode 802.3ad has no ARP monitoring"}]


def test_select_named_bonds_must_exist(host):
    with pytest.raises(FixError, match="no bond named bond9.*; there is no bond named bond8"):
        select_bonds(Sysfs(str(host)), ["bond9", "bond8"])


def test_plan_apply_and_second_plan_is_empty(host):
    s = Sysfs(str(host))
    plan = plan_bond(s, str(host), read_bond(s, "bond0"), "all")
    assert plan.changed and plan.runtime_change and plan.backend == "ifupdown"
    assert [d["before_header"] for d in plan.diffs()] == [
        "/sys/class/net/bond0/bonding/arp_validate", str(host / "etc/network/interfaces")]
    apply_plans(s, [plan])
    assert (host / "sys/class/net/bond0/bonding/arp_validate").read_text() == "all"
    again = plan_bond(s, str(host), read_bond(s, "bond0"), "all")
    assert not again.changed and again.diffs() == [] and again.persisted_before == "all"
    assert again.to_result()["files"] == []


def test_refuses_modes_without_arp_monitoring(host):
    s = Sysfs(str(host))
    with pytest.raises(FixError, match="bond2 runs in 802.3ad mode.*miimon, currently 100 ms"):
        plan_bond(s, str(host), read_bond(s, "bond2"), "all")


def test_refuses_turning_validation_off_on_an_up_active_backup_bond(host):
    s = Sysfs(str(host))
    with pytest.raises(FixError, match="refusing to turn ARP validation off on bond3.*force: true"):
        plan_bond(s, str(host), read_bond(s, "bond3"), "none", persist=False)
    assert plan_bond(s, str(host), read_bond(s, "bond3"), "none", force=True, persist=False).runtime_change
    (host / "sys/class/net/bond3/operstate").write_text("down\n")
    assert plan_bond(s, str(host), read_bond(s, "bond3"), "none", persist=False).runtime_change


def test_persist_errors_name_the_bond(host):
    s = Sysfs(str(host))
    with pytest.raises(FixError, match="bond0: .*networkd.*knows only"):
        (host / "etc/systemd/network").mkdir(parents=True)
        shutil.copy(os.path.join(FIX, "networkd/etc/systemd/network/10-bond0.netdev"), str(host / "etc/systemd/network"))
        plan_bond(s, str(host), read_bond(s, "bond0"), "filter", backend="networkd")


def test_runtime_only(host):
    s = Sysfs(str(host))
    plan = plan_bond(s, str(host), read_bond(s, "bond1"), "filter_backup", persist=False)
    assert plan.backend is None and plan.files == []
    apply_plans(s, [plan])
    assert read_bond(s, "bond1").arp_validate == "filter_backup"


# ------------------------------------------------------------------ the audit

def _found(host, **options):
    ctx = AuditContext(root=str(host), options={"bond": options} if options else {})
    return {(f.id, f.subject): f for f in audit_bond.run(ctx)}


def test_audit_findings(host):
    found = _found(host)
    assert sorted(found) == [("NM-BOND-001", "bond0"), ("NM-BOND-001", "bond1"), ("NM-BOND-002", "bond1"),
                             ("NM-BOND-003", "bond3"), ("NM-BOND-004", "bond2")]
    f = found[("NM-BOND-001", "bond0")]
    assert f.severity == "critical" and f.incident == "004"
    assert f.fix.module == "netmedic.network.bond_arp_validate" and f.fix.params == {"bonds": ["bond0"], "value": "all"}
    assert f.evidence["arp_validate"] == "none" and f.evidence["arp_interval"] == 1000
    assert found[("NM-BOND-002", "bond1")].severity == "warning"
    drift = found[("NM-BOND-003", "bond3")]   # runs 'all', extra/mgmt persists '0' (none)
    assert drift.evidence["persisted"] == "none" and drift.evidence["backend"] == "ifupdown"
    assert drift.fix.params == {"bonds": ["bond3"], "value": "all", "backend": "ifupdown"}
    assert found[("NM-BOND-004", "bond2")].severity == "info" and found[("NM-BOND-004", "bond2")].fix is None


def test_audit_options_and_unreadable_config(host):
    found = _found(host, value="filter_backup", check_drift=False)
    assert found[("NM-BOND-001", "bond0")].fix.params["value"] == "filter_backup"
    assert ("NM-BOND-003", "bond3") not in found
    (host / "etc/network/interfaces.d/storage").write_bytes(b"iface bond1 inet manual\n\xff\n")
    found = _found(host)
    assert "not UTF-8" in found[("NM-BOND-005", "bond0")].summary


def test_audit_no_monitoring_at_all_is_critical(tmp_path):
    make_sysfs(tmp_path, {"bond5": {"mode": "active-backup 1", "arp_interval": "0", "arp_ip_target": "",
                                    "arp_validate": "none 0", "miimon": "0", "slaves": "x1 x2",
                                    "operstate": "up"},
                          "bond6": {"mode": "balance-alb 6", "miimon": "0", "arp_interval": "0",
                                    "arp_validate": "none 0", "operstate": "up"}})
    found = _found(tmp_path)
    assert found[("NM-BOND-002", "bond5")].severity == "critical"
    assert found[("NM-BOND-004", "bond6")].severity == "warning"
    assert ("NM-BOND-001", "bond5") not in found   # no ARP monitoring: nothing to validate


def test_registered_and_skipped_without_bonds(tmp_path, host):
    assert "bond" in registry()
    _f, runs = run_audits(AuditContext(root=str(tmp_path / "empty")), [audit_bond.AUDIT])
    assert runs[0].status == "skipped"
    findings, runs = run_audits(AuditContext(root=str(host)), [audit_bond.AUDIT])
    assert runs[0].status == "ran" and len(findings) == 5
    assert set(audit_bond.AUDIT.checks) == {"NM-BOND-%03d" % i for i in range(1, 6)}


# ------------------------------------------------------------------ the audit's shape (issue 12)

def test_audit_declares_its_area_name_options_and_fix_module():
    audit = audit_bond.AUDIT
    assert (audit.name, audit.area, audit.aliases) == ("bond", "bond", ("bonding",))
    assert audit_bond.FIX_MODULE == "netmedic.network.bond_arp_validate" and audit_bond.ROLE == "netmedic.network.bond"
    assert sorted(audit.options) == ["backend", "check_drift", "value"]
    assert {k: o.default for k, o in audit.options.items()} == {"value": "all", "backend": "auto", "check_drift": True}
    assert all(o.description for o in audit.options.values())
    assert not hasattr(audit_bond, "MODULE") and not hasattr(audit_bond, "OPTIONS")


def test_audit_reads_options_only_through_audit_option():
    with open(audit_bond.__file__) as fh:
        code = fh.read()
    assert "ctx.opt(" not in code and "ctx.options" not in code


def test_audit_options_are_checked_by_kind():
    clean, errors = check_options(registry(), {"bond": {"value": "filter", "backend": "netplan",
                                                        "check_drift": False}})
    assert errors == [] and clean == {"bond": {"value": "filter", "backend": "netplan", "check_drift": False}}
    _clean, errors = check_options(registry(), {"bond": {"value": "bogus", "backend": "systemd",
                                                         "check_drift": "no"}})
    assert [e.split(" must ")[0] for e in errors] == ["options.bond.backend", "options.bond.check_drift",
                                                      "options.bond.value"], errors


def test_no_function_local_imports_in_the_area():
    """The import circle audits <-> audit_* is gone: every import of the area is at module level."""
    pkg = os.path.dirname(audit_bond.__file__)
    files = [os.path.join(d, f) for d, _s, names in os.walk(pkg) for f in names if f.endswith(".py")]
    files.append(os.path.join(REPO, "plugins", "modules", "bond_arp_validate.py"))
    local = []
    for path in files:
        with open(path) as fh:
            tree = ast.parse(fh.read())
        for func in ast.walk(tree):
            if isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
                local += ["%s:%d" % (path, n.lineno) for n in ast.walk(func) if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert len(files) > 10 and local == []
