"""What each persistence backend declares (issue 12): the values it can persist, derived from the
kernel's one list, and its own reload step, so no caller names a backend."""

import os

import pytest

from ansible_collections.netmedic.network.plugins.module_utils.bond import persist as bp
from ansible_collections.netmedic.network.plugins.module_utils.bond.fix import BondPlan, changed_files
from ansible_collections.netmedic.network.plugins.module_utils.bond.persist import networkmanager
from ansible_collections.netmedic.network.plugins.module_utils.bond.persist.common import ALL_VALUES, STRICT_VALUES
from ansible_collections.netmedic.network.plugins.module_utils.bond.sysfs import ARP_VALIDATE_VALUES, Bond
from ansible_collections.netmedic.network.plugins.module_utils.core.runner import CommandError
from support.fakes import FakeRunner
from support.paths import REPO


def test_values_come_from_the_kernel_list():
    assert ALL_VALUES is ARP_VALIDATE_VALUES
    assert STRICT_VALUES == ("none", "active", "backup", "all")   # systemd.netdev(5) ARPValidate=
    assert {name: mod.VALUES for name, mod in bp.BACKENDS.items()} == {
        "netplan": STRICT_VALUES, "networkmanager": ALL_VALUES, "networkd": STRICT_VALUES,
        "ifupdown": ALL_VALUES, "ifcfg": ALL_VALUES}
    for mod in bp.BACKENDS.values():
        assert mod.VALUES is ALL_VALUES or mod.VALUES is STRICT_VALUES, mod.NAME


def test_no_backend_repeats_the_value_list():
    for mod in bp.BACKENDS.values():
        with open(mod.__file__) as fh:
            text = fh.read()
        assert '"filter_active"' not in text and '"backup", "all"' not in text, mod.__file__


@pytest.fixture
def nm_running(tmp_path, monkeypatch):
    run = tmp_path / "run-NetworkManager"
    run.mkdir()
    monkeypatch.setattr(networkmanager, "RUN_DIRECTORY", str(run))
    return run


def test_networkmanager_loads_each_file(nm_running):
    runner = FakeRunner({"nmcli connection load": ""}, tools=("nmcli",))
    done = bp.BACKENDS["networkmanager"].reload(runner, ["/etc/a.nmconnection", "/etc/b.nmconnection"])
    assert done == runner.calls == ["nmcli connection load /etc/a.nmconnection",
                                    "nmcli connection load /etc/b.nmconnection"]


def test_networkmanager_not_running_or_not_installed_runs_nothing(nm_running, monkeypatch):
    runner = FakeRunner({}, tools=())
    assert bp.BACKENDS["networkmanager"].reload(runner, ["/etc/a.nmconnection"]) == []
    monkeypatch.setattr(networkmanager, "RUN_DIRECTORY", str(nm_running / "absent"))
    runner = FakeRunner({}, tools=("nmcli",))
    assert bp.BACKENDS["networkmanager"].reload(runner, ["/etc/a.nmconnection"]) == [] and runner.calls == []


def test_netplan_generates_once():
    runner = FakeRunner({"netplan generate": ""}, tools=("netplan",))
    assert bp.BACKENDS["netplan"].reload(runner, ["/etc/netplan/a.yaml", "/etc/netplan/b.yaml"]) == \
        ["netplan generate"] == runner.calls
    assert bp.BACKENDS["netplan"].reload(FakeRunner({}, tools=()), ["/etc/netplan/a.yaml"]) == []


@pytest.mark.parametrize("name", ["ifupdown", "networkd", "ifcfg"])
def test_the_others_run_nothing(name):
    runner = FakeRunner({}, tools=("nmcli", "netplan", "networkctl", "ifup"))
    assert bp.BACKENDS[name].reload(runner, ["/etc/x"]) == [] and runner.calls == []


def test_a_failing_reload_raises_command_error():
    runner = FakeRunner({"netplan generate": CommandError("netplan generate exited 1: broken")}, tools=("netplan",))
    with pytest.raises(CommandError):
        bp.reload({"netplan": ["/etc/netplan/a.yaml"]}, runner)


def _plan(name, backend, *paths):
    files = [bp.FileChange(p, "a\n", "b\n") for p in paths]
    return BondPlan(bond=Bond(name), value="all", runtime=True, persist=True, backend=backend, files=files)


def test_each_backend_reloads_its_changed_files_once(nm_running):
    shared = bp.FileChange("/etc/netplan/01.yaml", "a\n", "b\n")   # two bonds in one netplan file
    plans = [_plan("bond0", "networkmanager", "/etc/nm/bond0.nmconnection"),
             BondPlan(bond=Bond("bond1"), value="all", runtime=True, persist=True, backend="netplan", files=[shared]),
             BondPlan(bond=Bond("bond2"), value="all", runtime=True, persist=True, backend="netplan", files=[shared]),
             _plan("bond3", "networkd"),
             BondPlan(bond=Bond("bond4"), value="all", runtime=True, persist=False),
             _plan("bond5", "networkmanager", "/etc/nm/bond5.nmconnection")]
    plans[5].files.append(bp.FileChange("/etc/nm/same.nmconnection", "x\n", "x\n"))   # unchanged: not loaded
    assert changed_files(plans) == {"networkmanager": ["/etc/nm/bond0.nmconnection", "/etc/nm/bond5.nmconnection"],
                                    "netplan": ["/etc/netplan/01.yaml"]}
    runner = FakeRunner({"nmcli": "", "netplan": ""}, tools=("nmcli", "netplan"))
    assert bp.reload(changed_files(plans), runner) == [
        "nmcli connection load /etc/nm/bond0.nmconnection", "nmcli connection load /etc/nm/bond5.nmconnection",
        "netplan generate"]


def test_the_module_names_no_backend():
    """Backend knowledge stays in the backends (the module once hardcoded 'networkmanager' and 'netplan')."""
    with open(os.path.join(REPO, "plugins", "modules", "bond_arp_validate.py")) as fh:
        code = fh.read().split('RETURN = r"""', 1)[1].split('"""', 1)[1]
    assert [name for name in bp.BACKEND_NAMES if name in code] == []
    assert "nmcli" not in code and "/run/" not in code
