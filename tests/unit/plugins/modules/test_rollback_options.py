"""The rollback options of every fix module that has them (issue 16): bad values fail naming the option and
change nothing; the module's result always carries the rollback record; check mode says what is watched."""

import os
import shutil

import pytest
import yaml
from support.paths import FIXTURES
from support.snapshot import tree as snapshot

FIX = os.path.join(FIXTURES, "nmbond")


@pytest.fixture
def host(tmp_path):
    spec = yaml.safe_load(open(os.path.join(FIX, "sysfs.yml")))
    for bond, attrs in spec.items():
        d = tmp_path / "sys/class/net" / bond / "bonding"
        d.mkdir(parents=True)
        for key, value in attrs.items():
            ((d.parent / key) if key == "operstate" else (d / key)).write_text("%s\n" % value)
    shutil.copytree(os.path.join(FIX, "ifupdown", "etc"), str(tmp_path / "etc"))
    return tmp_path


BAD = [("rollback_window", 0), ("rollback_window", -5), ("rollback_window", "nan"), ("rollback_window", "soon"),
       ("rollback_window", 86401), ("rollback_settle", -1), ("rollback_settle", "inf"), ("rollback", "maybe")]


@pytest.mark.parametrize("option,value", BAD)
def test_bond_bad_rollback_values_fail_naming_the_option(run_module, host, exec_log, option, value):
    before = snapshot(str(host))
    res = run_module("bond_arp_validate", {"bonds": ["bond0"], "root": str(host), "rollback": True, option: value})
    assert res.failed and option in res["msg"], res
    assert "Traceback" not in str(res) and "exception" not in res
    assert snapshot(str(host)) == before and exec_log.commands == []


def test_bond_check_mode_says_what_would_be_watched(run_module, host):
    before = snapshot(str(host))
    res = run_module("bond_arp_validate", {"bonds": ["bond0"], "root": str(host), "rollback": True},
                     check_mode=True)
    rb = res["rollback"]
    assert not res.failed and res["changed"] and rb["last_result"] == "would_change" and rb["enabled"]
    assert rb["watched"] == ["bond bond0 keeps an active slave (now eno1)"] and rb["window"] == 60
    assert rb["desired"] == {"bonds": ["bond0"], "arp_validate": "all", "runtime": True, "persist": True}
    assert snapshot(str(host)) == before


def test_bond_result_carries_the_record_without_rollback(run_module, host):
    res = run_module("bond_arp_validate", {"bonds": ["bond0"], "root": str(host)})
    assert res["rollback"]["last_result"] == "applied" and res["rollback"]["before"] is None
    again = run_module("bond_arp_validate", {"bonds": ["bond0"], "root": str(host)})
    assert again["rollback"]["last_result"] == "unchanged" and not again["changed"]
    refused = run_module("bond_arp_validate", {"bonds": ["bond9"], "root": str(host)})
    assert refused.failed and refused["rollback"]["last_result"] == "failed"


def test_bond_good_change_with_rollback_passes(run_module, host):
    res = run_module("bond_arp_validate", {"bonds": ["bond0"], "root": str(host), "rollback": True,
                                           "rollback_settle": 0, "rollback_window": 5})
    assert not res.failed and res["rollback"]["last_result"] == "applied", res
    assert res["rollback"]["after"]["bond0"]["arp_validate"] == "all"
