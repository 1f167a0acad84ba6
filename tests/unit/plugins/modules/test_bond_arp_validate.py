"""The bond_arp_validate module end to end on fixture trees (sysfs + configuration)."""

import os
import shutil
import stat

import pytest
import yaml
from support.paths import FIXTURES
from support.snapshot import tree

FIX = os.path.join(FIXTURES, "nmbond")


@pytest.fixture
def host(tmp_path):
    spec = yaml.safe_load(open(os.path.join(FIX, "sysfs.yml")))
    for bond, attrs in spec.items():
        d = tmp_path / "sys/class/net" / bond / "bonding"
        d.mkdir(parents=True)
        for key, value in attrs.items():
            ((d.parent / key) if key == "operstate" else (d / key)).write_text("%s\n" % value)
    shutil.copytree(os.path.join(FIX, "nm", "etc"), str(tmp_path / "etc"))
    for f in (tmp_path / "etc/NetworkManager/system-connections").iterdir():
        f.chmod(0o600)
    return tmp_path


def sysval(host, bond):
    return (host / "sys/class/net" / bond / "bonding/arp_validate").read_text().strip()


KEYFILE = "etc/NetworkManager/system-connections/bond0.nmconnection"


def test_check_mode_then_apply_then_idempotent(run_module, host):
    args = {"bonds": ["bond0"], "root": str(host)}
    before = (host / KEYFILE).read_text()
    res = run_module("bond_arp_validate", args, check_mode=True, diff=True)
    assert not res.failed and res["changed"] is True
    assert sysval(host, "bond0") == "none 0" and (host / KEYFILE).read_text() == before
    (b,) = res["bonds"]
    assert (b["before"], b["after"], b["backend"], b["persisted_before"]) == ("none", "all", "networkmanager", "none")
    assert [d["before_header"] for d in res["diff"]] == ["/sys/class/net/bond0/bonding/arp_validate",
                                                         str(host / KEYFILE)]
    assert "+arp_validate=all" in b["files"][0]["diff"] and b["files"][0]["backup"] is None

    res = run_module("bond_arp_validate", args, diff=True)
    assert res["changed"] is True and sysval(host, "bond0") == "all"
    assert "arp_validate=all\n" in (host / KEYFILE).read_text()
    assert stat.S_IMODE(os.stat(str(host / KEYFILE)).st_mode) == 0o600
    assert os.path.exists(res["bonds"][0]["files"][0]["backup"])
    assert res["reloaded"] == []   # root is not /: nothing to reload

    res = run_module("bond_arp_validate", args, diff=True)
    assert res["changed"] is False and res["diff"] == [] and res["bonds"][0]["files"] == []


def test_all_bonds_skips_lacp(run_module, host):
    res = run_module("bond_arp_validate", {"root": str(host), "persist": False})
    assert [b["name"] for b in res["bonds"]] == ["bond0", "bond1", "bond3"]
    assert res["left_alone"] == [{"name": "bond2", "reason": "mode 802.3ad has no ARP monitoring"}]
    assert [sysval(host, b) for b in ("bond0", "bond1", "bond2", "bond3")] == ["all", "all", "none 0", "all 3"]


@pytest.mark.parametrize("args,msg", [
    ({"bonds": ["bond9"]}, "there is no bond named bond9"),
    ({"bonds": ["bond2"]}, "bond2 runs in 802.3ad mode"),
    ({"bonds": ["bond3"], "value": "none"}, "refusing to turn ARP validation off on bond3"),
    ({"bonds": ["bond0"], "backend": "networkd"}, "no systemd-networkd .netdev files"),
    ({"bonds": ["bond3"]}, "bond3 is not configured in any place netmedic knows"),
    ({"bonds": ["bond0"], "value": "bogus"}, "value of value must be one of"),
    ({"bonds": ["bond0"], "runtime": False, "persist": False}, "there is nothing to do"),
])
def test_bad_input_fails_and_writes_nothing(run_module, host, args, msg):
    before = (host / KEYFILE).read_text()
    res = run_module("bond_arp_validate", dict(args, root=str(host)))
    assert res.failed and msg in res["msg"], res["msg"]
    assert sysval(host, "bond0") == "none 0" and (host / KEYFILE).read_text() == before


def test_one_bad_bond_stops_all(run_module, host):
    res = run_module("bond_arp_validate", {"bonds": ["bond0", "bond3"], "root": str(host)})
    assert res.failed and "Nothing was changed" in res["msg"]
    assert sysval(host, "bond0") == "none 0"


def test_unparsable_config_fails_cleanly(run_module, host):
    (host / "etc/NetworkManager/system-connections/junk.nmconnection").write_text("interface-name=bond0\n")
    res = run_module("bond_arp_validate", {"bonds": ["bond0"], "root": str(host)})
    assert res.failed and "not a NetworkManager keyfile" in res["msg"] and "Traceback" not in res["msg"]
    assert sysval(host, "bond0") == "none 0"


def test_force_off_runtime_only(run_module, host):
    res = run_module("bond_arp_validate", {"bonds": ["bond3"], "value": "none", "force": True, "persist": False,
                                           "root": str(host)})
    assert res["changed"] and sysval(host, "bond3") == "none"


def test_failure_while_writing_says_what_was_done(run_module, host, monkeypatch):
    from ansible_collections.netmedic.network.plugins.module_utils.bond import fix as bond_fix
    from ansible_collections.netmedic.network.plugins.module_utils.bond.sysfs import BondError, write_arp_validate

    def refuse_bond1(sysfs, name, value):
        if name == "bond1":
            raise BondError("the kernel refused arp_validate=%s on %s: Invalid argument" % (value, name))
        write_arp_validate(sysfs, name, value)

    monkeypatch.setattr(bond_fix, "write_arp_validate", refuse_bond1)
    res = run_module("bond_arp_validate", {"bonds": ["bond0", "bond1"], "root": str(host)})
    assert res.failed and res["changed"] is True
    assert res["msg"] == ("the kernel refused arp_validate=all on bond1: Invalid argument; already changed: the "
                          "running kernel of bond0; no file was written")
    assert sysval(host, "bond0") == "all" and sysval(host, "bond1") == "none 0"
    assert "arp_validate" not in (host / KEYFILE).read_text(), "files only after every kernel value was taken"


# ---------------------------------------------------------------- rollback (issue 16)

BAD = [("rollback_window", 0), ("rollback_window", -5), ("rollback_window", "nan"), ("rollback_window", "soon"),
       ("rollback_window", 86401), ("rollback_settle", -1), ("rollback_settle", "inf"), ("rollback", "maybe")]


@pytest.mark.parametrize("option,value", BAD)
def test_bond_bad_rollback_values_fail_naming_the_option(run_module, host, exec_log, option, value):
    before = tree(str(host))
    res = run_module("bond_arp_validate", {"bonds": ["bond0"], "root": str(host), "rollback": True, option: value})
    assert res.failed and option in res["msg"], res
    assert "Traceback" not in str(res) and "exception" not in res
    assert tree(str(host)) == before and exec_log.commands == []


def test_bond_check_mode_says_what_would_be_watched(run_module, host):
    before = tree(str(host))
    res = run_module("bond_arp_validate", {"bonds": ["bond0"], "root": str(host), "rollback": True},
                     check_mode=True)
    rb = res["rollback"]
    assert not res.failed and res["changed"] and rb["last_result"] == "would_change" and rb["enabled"]
    assert rb["watched"] == ["bond bond0 keeps an active slave (now eno1)"] and rb["window"] == 60
    assert rb["desired"] == {"bonds": ["bond0"], "arp_validate": "all", "runtime": True, "persist": True}
    assert tree(str(host)) == before


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
