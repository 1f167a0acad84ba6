"""bond/arp_validate.py: the module's one call (plan, apply with verification, reload) and its result object."""

import os
import shutil

import pytest

from ansible_collections.netmedic.network.plugins.module_utils.bond import arp_validate, fix as bond_fix
from ansible_collections.netmedic.network.plugins.module_utils.bond.arp_validate import (
    Request, apply, ensure_arp_validate, plan)
from ansible_collections.netmedic.network.plugins.module_utils.bond.fix import FixError
from ansible_collections.netmedic.network.plugins.module_utils.bond.persist import networkmanager
from support.fakes import FakeRunner
from support.snapshot import tree as snapshot

from test_bond_sysfs import FIX, make_sysfs

KEYFILE = "etc/NetworkManager/system-connections/bond0.nmconnection"


@pytest.fixture
def host(tmp_path):
    root = tmp_path / "host"
    make_sysfs(root)
    shutil.copytree(os.path.join(FIX, "nm", "etc"), str(root / "etc"))
    return root


@pytest.fixture
def live(tmp_path, monkeypatch):
    """Act as on this host's own root with NetworkManager running (reloads are due)."""
    run = tmp_path / "run-NetworkManager"
    run.mkdir()
    monkeypatch.setattr(networkmanager, "RUN_DIRECTORY", str(run))
    monkeypatch.setattr(arp_validate, "live_root", lambda root: True)


def value(root, bond):
    return (root / "sys/class/net" / bond / "bonding/arp_validate").read_text().strip()


def test_check_mode_plans_and_touches_nothing(host, live, tmp_path):
    runner = FakeRunner({}, tools=("nmcli",))
    before = snapshot(str(tmp_path))
    out = ensure_arp_validate(Request(bonds=["bond0", "bond0"], root=str(host)), check_mode=True, runner=runner)
    assert out.changed and [b["name"] for b in out.bonds()] == ["bond0"] and out.reloaded == []
    assert [d["before_header"] for d in out.diffs()] == ["/sys/class/net/bond0/bonding/arp_validate",
                                                         str(host / KEYFILE)]
    assert snapshot(str(tmp_path)) == before and runner.calls == []


def test_apply_writes_verifies_and_reloads_the_owner(host, live):
    runner = FakeRunner({"nmcli connection load": ""}, tools=("nmcli",))
    out = ensure_arp_validate(Request(bonds=["bond0"], root=str(host)), runner=runner)
    assert out.changed and value(host, "bond0") == "all" and "arp_validate=all" in (host / KEYFILE).read_text()
    assert out.reloaded == runner.calls == ["nmcli connection load %s" % (host / KEYFILE)]
    again = ensure_arp_validate(Request(bonds=["bond0"], root=str(host)), runner=runner)
    assert not again.changed and again.reloaded == [] and len(runner.calls) == 1


def test_no_reload_when_asked_or_not_live(host, live, monkeypatch):
    runner = FakeRunner({}, tools=("nmcli",))
    out = ensure_arp_validate(Request(bonds=["bond0"], root=str(host), reload=False), runner=runner)
    assert out.changed and out.reloaded == [] and runner.calls == []
    monkeypatch.setattr(arp_validate, "live_root", lambda root: False)
    out = ensure_arp_validate(Request(bonds=["bond1"], root=str(host)), runner=runner)
    assert out.changed and out.reloaded == [] and runner.calls == []


@pytest.mark.parametrize("request_args,msg", [
    ({"runtime": False, "persist": False}, "runtime and persist are both false: there is nothing to do"),
    ({"root": ""}, "root is empty; give / for this host, or the directory of a chroot"),
    ({"root": "relative"}, "root relative is not an absolute path"),
    ({"bonds": ["bond9"]}, "bonds: there is no bond named bond9 on this host (bonds here: bond0, bond1, bond2, "
                           "bond3). Nothing was changed."),
])
def test_refusals_before_anything_is_written(host, request_args, msg):
    args = dict({"root": str(host)}, **request_args)
    with pytest.raises(FixError) as err:
        plan(Request(**args))
    assert str(err.value) == msg and err.value.result() == {}


def test_a_failure_while_writing_carries_what_was_done(host, monkeypatch):
    def refuse(sysfs, name, value):
        raise bond_fix.BondError("the kernel refused arp_validate=%s on %s: Invalid argument" % (value, name))

    out = plan(Request(bonds=["bond0"], root=str(host)))
    monkeypatch.setattr(bond_fix, "write_arp_validate", refuse)
    with pytest.raises(FixError) as err:
        apply(out, Request(bonds=["bond0"], root=str(host)))
    assert err.value.result() == {"changed": False, "bonds": out.bonds()}
    assert err.value.result()["bonds"][0]["name"] == "bond0"


def test_a_value_the_kernel_does_not_keep_is_caught_by_the_read_back(host, monkeypatch):
    monkeypatch.setattr(bond_fix, "write_arp_validate", lambda sysfs, name, value: None)   # write lost
    with pytest.raises(FixError, match="bond0: wrote arp_validate=all but the kernel now reports none"):
        ensure_arp_validate(Request(bonds=["bond0"], root=str(host), persist=False))


def test_stray_backups_are_warnings(host):
    stray = host / (KEYFILE + ".20250101T000000.netmedic.bak")
    stray.write_text((host / KEYFILE).read_text())
    out = ensure_arp_validate(Request(bonds=["bond0"], root=str(host)), check_mode=True)
    assert len(out.warnings) == 1 and out.warnings[0].startswith(str(stray) + " is a backup an older netmedic left")
    out = ensure_arp_validate(Request(bonds=["bond0"], root=str(host), persist=False), check_mode=True)
    assert out.warnings == []   # not persisted through NetworkManager: nothing to say
