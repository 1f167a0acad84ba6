"""Persistence backends for arp_validate, on realistic fixture trees (fixtures/nmbond/)."""

import difflib
import os
import shutil
import stat

import pytest
import yaml

from ansible_collections.netmedic.network.plugins.module_utils import bond_persist as bp
from ansible_collections.netmedic.network.plugins.module_utils import bond_persist_netplan as netplan
from ansible_collections.netmedic.network.plugins.module_utils.bond_persist_common import (
    NotConfigured, PersistError, ini_set)

FIX = os.path.join(os.path.dirname(__file__), "fixtures", "nmbond")
CASES = yaml.safe_load(open(os.path.join(FIX, "cases.yml")))
BACKEND_OF_TREE = {"nm": "networkmanager"}


@pytest.fixture
def tree(tmp_path):
    def make(name):
        root = tmp_path / name
        shutil.copytree(os.path.join(FIX, name), str(root), symlinks=True)
        return str(root)
    return make


def _changes(before, after):
    removed, added = [], []
    for line in difflib.ndiff(before.splitlines(), after.splitlines()):
        if line.startswith("- "):
            removed.append(line[2:])
        elif line.startswith("+ "):
            added.append(line[2:])
    return removed, added


@pytest.mark.parametrize("case", CASES, ids=["%(tree)s-%(bond)s-%(value)s" % c for c in CASES])
def test_backend_case(case, tree):
    root = tree(case["tree"])
    backend = BACKEND_OF_TREE.get(case["tree"], case["tree"])
    for rel in case["files"]:
        os.chmod(os.path.join(root, rel), 0o640)
    persisted = bp.detect(root, case["bond"])
    assert persisted.backend == backend
    assert bp.persisted_value(persisted) == case["before"]
    changes = bp.plan(persisted, case["bond"], case["value"])
    assert sorted(os.path.relpath(c.path, root) for c in changes) == sorted(case["files"])
    removed, added = [], []
    for c in changes:
        r, a = _changes(c.before, c.after)
        removed += r
        added += a
        assert c.diff().startswith("--- %s (before)" % c.path)
    assert removed == case["removed"] and added == case["added"]

    bp.apply(changes)
    for c in changes:
        st = os.stat(c.path)
        assert stat.S_IMODE(st.st_mode) == 0o640, "mode kept"
        assert c.backup and open(c.backup).read() == c.before, "backup holds the old text"
        assert open(c.path).read() == c.after
    again = bp.detect(root, case["bond"], backend)
    assert bp.persisted_value(again) == case["value"], "round trip"
    assert bp.plan(again, case["bond"], case["value"]) == [], "idempotent"


def test_ifupdown_not_sourced_file_is_ignored(tree):
    # extra/README.txt has a dot in its name: source-directory skips it (interfaces(5)).
    root = tree("ifupdown")
    locs = bp.detect(root, "bond0").locations
    assert [os.path.relpath(loc.path, root) for loc in locs] == ["etc/network/interfaces"]


def test_ifupdown_commented_option_is_not_a_value(tree):
    root = tree("ifupdown")
    assert bp.detect(root, "bond0").value is None
    after = bp.plan(bp.detect(root, "bond0"), "bond0", "all")[0].after
    assert "    # bond-arp-validate none\n" in after, "comment kept"


def test_ifupdown_source_loop_is_refused(tmp_path):
    d = tmp_path / "etc/network"
    d.mkdir(parents=True)
    (d / "interfaces").write_text("source interfaces\nauto lo\niface lo inet loopback\n")
    assert bp.BACKENDS["ifupdown"].locate(str(tmp_path), "bond0") == []


def test_networkd_refuses_filter_values(tree):
    root = tree("networkd")
    with pytest.raises(PersistError, match="knows only none, active, backup, all"):
        bp.plan(bp.detect(root, "bond0"), "bond0", "filter")


def test_netplan_refuses_filter_values(tree):
    root = tree("netplan")
    with pytest.raises(PersistError, match="netplan YAML .* knows only none, active, backup, all"):
        bp.plan(bp.detect(root, "bond0"), "bond0", "filter_backup")


def test_netplan_flow_style_bond_is_refused(tmp_path):
    d = tmp_path / "etc/netplan"
    d.mkdir(parents=True)
    (d / "50.yaml").write_text("network:\n  version: 2\n  bonds:\n    bond0: {interfaces: [eno1], "
                               "parameters: {mode: active-backup}}\n")
    with pytest.raises(PersistError, match="flow style"):
        bp.detect(str(tmp_path), "bond0")


def test_netplan_value_in_later_file_wins(tmp_path):
    d = tmp_path / "etc/netplan"
    d.mkdir(parents=True)
    (d / "10-a.yaml").write_text("network:\n  bonds:\n    bond0:\n      interfaces: [eno1]\n")
    (d / "20-b.yaml").write_text("network:\n  bonds:\n    bond0:\n      parameters:\n        arp-validate: active\n")
    persisted = bp.detect(str(tmp_path), "bond0")
    assert bp.persisted_value(persisted) == "active"
    (change,) = bp.plan(persisted, "bond0", "all")
    assert change.path.endswith("20-b.yaml")


def test_netplan_insert_goes_to_last_defining_file(tmp_path):
    d = tmp_path / "etc/netplan"
    d.mkdir(parents=True)
    (d / "10-a.yaml").write_text("network:\n  bonds:\n    bond0:\n      interfaces: [eno1]\n")
    (d / "20-b.yaml").write_text("network:\n  bonds:\n    bond0:\n      mtu: 9000\n")
    (change,) = bp.plan(bp.detect(str(tmp_path), "bond0"), "bond0", "all")
    assert change.path.endswith("20-b.yaml")
    assert change.after == "network:\n  bonds:\n    bond0:\n      mtu: 9000\n      parameters:\n" \
                           "        arp-validate: all\n"


def test_netplan_no_trailing_newline(tmp_path):
    text = "network:\n  bonds:\n    bond0:\n      parameters:\n        mode: active-backup"
    out = netplan.render(text, "bond0", "all", True, "x.yaml")
    assert out == text + "\n        arp-validate: all\n"


def test_ifcfg_unparsable_quoting_is_refused(tmp_path):
    d = tmp_path / "etc/sysconfig/network-scripts"
    d.mkdir(parents=True)
    (d / "ifcfg-bond0").write_text('DEVICE=bond0\nBONDING_OPTS="mode=1 arp_interval=100\n')
    with pytest.raises(PersistError, match="cannot parse the quoting"):
        bp.detect(str(tmp_path), "bond0")


def test_unreadable_file_is_a_clear_error(tmp_path):
    d = tmp_path / "etc/NetworkManager/system-connections"
    d.mkdir(parents=True)
    (d / "bond0.nmconnection").write_bytes(b"[connection]\ninterface-name=bond0\xff\n")
    with pytest.raises(PersistError, match="not UTF-8"):
        bp.detect(str(tmp_path), "bond0")


def test_not_configured_and_ambiguous(tmp_path, tree):
    with pytest.raises(NotConfigured, match="bond0 is not configured in any place"):
        bp.detect(str(tmp_path), "bond0")
    with pytest.raises(NotConfigured, match="no systemd-networkd"):
        bp.detect(str(tmp_path), "bond0", "networkd")
    root = tree("ifupdown")
    shutil.copytree(os.path.join(FIX, "networkd", "etc", "systemd"), os.path.join(root, "etc", "systemd"))
    with pytest.raises(PersistError, match="configured by several backends .*networkd.*ifupdown"):
        bp.detect(root, "bond0")
    assert bp.detect(root, "bond0", "networkd").backend == "networkd"
    with pytest.raises(PersistError, match="unknown backend"):
        bp.detect(root, "bond0", "yast")


def test_invalid_persisted_value_is_reported(tmp_path):
    d = tmp_path / "etc/systemd/network"
    d.mkdir(parents=True)
    (d / "b.netdev").write_text("[NetDev]\nName=bond0\nKind=bond\n[Bond]\nARPValidate=sometimes\n")
    with pytest.raises(PersistError, match="'sometimes', which is not a valid value"):
        bp.persisted_value(bp.detect(str(tmp_path), "bond0"))


def test_ini_set_new_section_and_crlf():
    assert ini_set("[NetDev]\r\nName=bond0\r\n", "Bond", "ARPValidate", "all", True) == \
        "[NetDev]\r\nName=bond0\r\n\r\n[Bond]\r\nARPValidate=all\r\n"
    assert ini_set("[Bond]\nMode=active-backup", "Bond", "ARPValidate", "all", True) == \
        "[Bond]\nMode=active-backup\nARPValidate=all\n"
    assert ini_set("[Bond]\n#ARPValidate=none\n", "Bond", "ARPValidate", "all", False) == "[Bond]\n#ARPValidate=none\n"


def test_ifupdown_backup_is_not_left_where_a_glob_source_reads_it(tree):
    root = tree("ifupdown")
    (change,) = bp.apply(bp.plan(bp.detect(root, "bond1"), "bond1", "all"))
    assert change.backup.startswith(os.path.join(root, "var/backups/netmedic/storage."))
    assert sorted(os.listdir(os.path.join(root, "etc/network/interfaces.d"))) == ["lacp", "storage"]
    assert stat.S_IMODE(os.stat(os.path.dirname(change.backup)).st_mode) == 0o700
    assert [loc.path for loc in bp.detect(root, "bond1").locations] == [change.path]
