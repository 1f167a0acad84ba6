"""Persistence backends for arp_validate, on realistic fixture trees (fixtures/nmbond/)."""

import difflib
import os
import shutil
import stat

import pytest
import yaml

from support.paths import FIXTURES
from ansible_collections.netmedic.network.plugins.module_utils.bond import persist as bp
from ansible_collections.netmedic.network.plugins.module_utils.bond.persist import netplan
from ansible_collections.netmedic.network.plugins.module_utils.bond.persist.common import (
    NotConfigured, PersistError, ini_set)

FIX = os.path.join(FIXTURES, "nmbond")
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
    with pytest.raises(PersistError, match="line 2: cannot read BONDING_OPTS: an unterminated double quote"):
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
    assert change.backup.startswith(os.path.join(root, "var/backups/netmedic/etc/network/interfaces.d/storage."))
    assert sorted(os.listdir(os.path.join(root, "etc/network/interfaces.d"))) == ["lacp", "storage"]
    assert stat.S_IMODE(os.stat(os.path.dirname(change.backup)).st_mode) == 0o700
    assert [loc.path for loc in bp.detect(root, "bond1").locations] == [change.path]


# ------------------------------------------------------------------ issue 11: inputs we did not write

def _write(root, rel, text, mode="w"):
    path = os.path.join(str(root), rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, mode, **({} if "b" in mode else {"newline": ""})) as fh:
        fh.write(text)
    return path


def _crlf(text):
    return text.replace("\n", "\r\n")


@pytest.mark.parametrize("case", CASES, ids=["%(tree)s-%(bond)s-%(value)s" % c for c in CASES])
def test_crlf_files_stay_crlf(case, tree):
    """Issue 11 #9: every backend kept CRLF only until fileops.read_text translated it to LF."""
    root = tree(case["tree"])
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            path = os.path.join(dirpath, name)
            with open(path, "rb") as fh:
                data = fh.read()
            with open(path, "wb") as fh:
                fh.write(data.replace(b"\n", b"\r\n"))
    changes = bp.apply(bp.plan(bp.detect(root, case["bond"]), case["bond"], case["value"]))
    removed, added = [], []
    for c in changes:
        with open(c.path, "rb") as fh:
            data = fh.read()
        assert data.count(b"\n") == data.count(b"\r\n"), "a bare LF in %s" % c.path
        r, a = _changes(c.before, c.after)
        removed += r
        added += a
    assert (removed, added) == (case["removed"], case["added"]), "the same edit as in the LF file"
    again = bp.detect(root, case["bond"])
    assert bp.persisted_value(again) == case["value"] and bp.plan(again, case["bond"], case["value"]) == []


@pytest.mark.parametrize("backend,rel,text", [
    ("netplan", "etc/netplan/50.yaml", "\ufeffnetwork:\n  bonds:\n    bond0:\n      interfaces: [a]"),
    ("networkd", "etc/systemd/network/b.netdev", "\ufeff[NetDev]\r\nName=bond0\nKind=bond"),
    ("ifupdown", "etc/network/interfaces", "\ufeff# x\r\niface bond0 inet manual\n    bond-mode 1"),
    ("networkmanager", "etc/NetworkManager/system-connections/b",
     "[connection]\r\ninterface-name=bond0\r\ntype=bond\n[bond]\r\nmode=1"),
    ("ifcfg", "etc/sysconfig/network-scripts/ifcfg-bond0", "DEVICE=bond0\r\nBONDING_OPTS='mode=1'"),
])
def test_bom_mixed_endings_and_no_final_newline_are_kept(tmp_path, backend, rel, text):
    path = _write(tmp_path, rel, text)
    (change,) = bp.apply(bp.plan(bp.detect(str(tmp_path), "bond0", backend), "bond0", "all"))
    with open(path, newline="") as fh:
        after = fh.read()
    removed, added = _changes(text, after)
    assert after.startswith(text.splitlines(True)[0]), "first line (and its BOM) kept"
    for line in text.splitlines(True)[:-1]:
        assert line in after, "line %r kept byte for byte" % line
    assert len(added) <= 3 and len(removed) <= 1, (removed, added)
    assert bp.persisted_value(bp.detect(str(tmp_path), "bond0", backend)) == "all"


NM_IFCFG_WRITER = """\
# Written in the format of NetworkManager's ifcfg-rh writer (shvar.c svEscape):
# empty values, double quotes with backslash escapes, $'...' for control characters.
BONDING_OPTS="mode=active-backup arp_interval=1000 arp_ip_target=192.0.2.1"
TYPE=Bond
BONDING_MASTER=yes
HWADDR=
PROXY_METHOD=none
BROWSER_ONLY=no
BOOTPROTO=none
IPADDR=192.0.2.10
PREFIX=24
IPV6_DEFAULTGW=
IPV6INIT=no
NAME=$'uplink\\tA'
ZONE="trusted \\"dmz\\""
UUID=3f3b0c3a-7e2a-4a59-9bd2-1c1a7e0c0b10
DEVICE=bond0
ONBOOT=yes
"""


def test_ifcfg_empty_assignment_does_not_crash(tmp_path):
    """Issue 11 #3: HWADDR= or IPV6_DEFAULTGW= in any ifcfg file was an IndexError for every bond."""
    _write(tmp_path, "etc/sysconfig/network-scripts/ifcfg-eno1", "DEVICE=eno1\nHWADDR=\nMASTER=bond0\n")
    _write(tmp_path, "etc/sysconfig/network-scripts/ifcfg-bond0", NM_IFCFG_WRITER)
    persisted = bp.detect(str(tmp_path), "bond0")
    assert [os.path.basename(p) for p in persisted.paths] == ["ifcfg-bond0"]
    (change,) = bp.plan(persisted, "bond0", "all")
    removed, added = _changes(change.before, change.after)
    assert removed == ['BONDING_OPTS="mode=active-backup arp_interval=1000 arp_ip_target=192.0.2.1"']
    assert added == ['BONDING_OPTS="mode=active-backup arp_interval=1000 arp_ip_target=192.0.2.1 arp_validate=all"']


@pytest.mark.parametrize("line,value", [
    ("DEVICE='bond0'", None),
    ('DEVICE="bond0"  # the uplink', None),
    ("DEVICE=$'bond0'", None),
    ("DEVICE=bo\"nd\"'0'", None),
    ("export DEVICE=bond0", None),
    ("DEVICE=bond0;", None),
    ("BONDING_OPTS=$'mode=1\\tarp_validate=backup'", "backup"),
    ("BONDING_OPTS='mode=1 arp_validate=filter' # comment", "filter"),
    ('BONDING_OPTS="mode=1  arp_validate=active"', "active"),
    ("BONDING_OPTS=", None),
    ('BONDING_OPTS="arp_validate=all"\nBONDING_OPTS="mode=1"', None),   # the last assignment wins, as in bash
])
def test_ifcfg_reads_values_as_bash_does(tmp_path, line, value):
    text = line + "\n" if line.startswith("DEVICE") else "DEVICE=bond0\n" + line + "\n"
    _write(tmp_path, "etc/sysconfig/network-scripts/ifcfg-x", text)
    (loc,) = bp.BACKENDS["ifcfg"].locate(str(tmp_path), "bond0")
    assert loc.value == value


@pytest.mark.parametrize("text,msg", [
    ("DEVICE=$NAME\n", "line 1: cannot read DEVICE: a \\$ expansion"),
    ("DEVICE=bond0\nBONDING_OPTS=\"$OPTS\"\n", "line 2: cannot read BONDING_OPTS"),
    ("DEVICE=bond0\nBONDING_OPTS=mode=1 arp_validate=all\n", "line 2: cannot read BONDING_OPTS: more words"),
    ("DEVICE=`hostname`\n", "cannot read DEVICE: a backquote"),
])
def test_ifcfg_unreadable_needed_line_is_a_clear_error(tmp_path, text, msg):
    _write(tmp_path, "etc/sysconfig/network-scripts/ifcfg-x", text)
    with pytest.raises(PersistError, match=msg):
        bp.BACKENDS["ifcfg"].locate(str(tmp_path), "bond0")


def test_ifcfg_unreadable_line_we_do_not_need_is_ignored(tmp_path):
    _write(tmp_path, "etc/sysconfig/network-scripts/ifcfg-bond0",
           "DEVICE=bond0\nDESCRIPTION=$(hostname) uplink\nBONDING_OPTS='mode=1'\n")
    _write(tmp_path, "etc/sysconfig/network-scripts/ifcfg-eno1", "DEVICE=eno1\nBONDING_OPTS=$X\n")
    (change,) = bp.plan(bp.detect(str(tmp_path), "bond0"), "bond0", "all")
    assert "BONDING_OPTS='mode=1 arp_validate=all'\n" in change.after


@pytest.mark.parametrize("before,after", [
    ("BONDING_OPTS=$'mode=1\\tarp_validate=none'", "BONDING_OPTS=$'mode=1\\tarp_validate=all'"),
    ("BONDING_OPTS=mode=1", 'BONDING_OPTS="mode=1 arp_validate=all"'),
    ("BONDING_OPTS=a\"b c\"'d'  # x", 'BONDING_OPTS="ab cd arp_validate=all"  # x'),
    ("BONDING_OPTS='mode=1   arp_interval=100 '", "BONDING_OPTS='mode=1   arp_interval=100 arp_validate=all '"),
])
def test_ifcfg_quoting_is_written_back_the_way_it_was(tmp_path, before, after):
    from ansible_collections.netmedic.network.plugins.module_utils.bond.persist import ifcfg
    assert ifcfg.render("DEVICE=bond0\n%s\n" % before, "bond0", "all", True, "x") == "DEVICE=bond0\n%s\n" % after


def test_ifupdown_option_without_value_is_replaced_in_place(tmp_path):
    """Issue 11: `bond-arp-validate` alone was not found, and a second line was added."""
    text = "auto bond0\niface bond0 inet manual\n    bond-mode active-backup\n    bond-arp-validate\n    mtu 9000\n"
    _write(tmp_path, "etc/network/interfaces", text)
    persisted = bp.detect(str(tmp_path), "bond0")
    assert persisted.value == "" and bp.persisted_value(persisted) == "none"   # ifupdown refuses the file: nothing applied
    (change,) = bp.plan(persisted, "bond0", "all")
    assert change.after == text.replace("    bond-arp-validate\n", "    bond-arp-validate all\n")


@pytest.mark.parametrize("text,after", [
    ("network:\n  version: 2\n  bonds:\n    bond0: {}\n",
     "network:\n  version: 2\n  bonds:\n    bond0:\n      parameters:\n        arp-validate: all\n"),
    ("network:\n    bonds:\n        bond0:\n            interfaces: [a, b]\n            parameters: {}  # later\n",
     "network:\n    bonds:\n        bond0:\n            interfaces: [a, b]\n            parameters:  # later\n"
     "                arp-validate: all\n"),
])
def test_netplan_empty_flow_mapping_on_the_path_is_opened(tmp_path, text, after):
    """Issue 11: `bond0: {}` and `parameters: {}` (valid netplan) were refused as flow style."""
    _write(tmp_path, "etc/netplan/50.yaml", text)
    persisted = bp.detect(str(tmp_path), "bond0")
    assert persisted.value is None
    (change,) = bp.plan(persisted, "bond0", "all")
    assert change.after == after


def test_netplan_flow_style_elsewhere_is_ignored(tmp_path):
    """Issue 11: `network: {version: 2}` in another file made every bond fail."""
    _write(tmp_path, "etc/netplan/00-version.yaml", "network: {version: 2, renderer: networkd}\n")
    _write(tmp_path, "etc/netplan/10-eth.yaml", "network:\n  ethernets: {eno1: {dhcp4: false}, eno2: {}}\n")
    _write(tmp_path, "etc/netplan/20-bond1.yaml", "network: {bonds: {bond1: {interfaces: [eno3]}}}\n")
    _write(tmp_path, "etc/netplan/50-bond.yaml",
           "network:\n  bonds:\n    bond0:\n      interfaces: [eno1, eno2]\n      parameters: {mode: active-backup}\n")
    with pytest.raises(PersistError, match="50-bond.yaml: network.bonds.bond0.parameters is written in YAML flow"):
        bp.detect(str(tmp_path), "bond0")
    os.unlink(str(tmp_path / "etc/netplan/50-bond.yaml"))
    _write(tmp_path, "etc/netplan/50-bond.yaml", "network:\n  bonds:\n    bond0:\n      interfaces: [eno1, eno2]\n")
    persisted = bp.detect(str(tmp_path), "bond0")
    assert [os.path.basename(p) for p in persisted.paths] == ["50-bond.yaml"]
    with pytest.raises(PersistError, match="20-bond1.yaml: network is written in YAML flow"):
        bp.detect(str(tmp_path), "bond1")


def test_netplan_reads_only_yaml_suffix(tmp_path):
    _write(tmp_path, "etc/netplan/50.yml", "network:\n  bonds:\n    bond0:\n      interfaces: [a]\n")
    with pytest.raises(NotConfigured):
        bp.detect(str(tmp_path), "bond0")


HOTPLUG = os.path.join(FIX, "wild", "ifupdown", "ifenslave-two_hotplug_ethernet")


def test_ifupdown_ports_stanzas_setting_the_option_are_changed_too(tmp_path):
    """ifenslave applies a port stanza's bond-* options when the port comes up first (README.Debian):
    a `bond-arp-validate none` there would be the value at boot, whatever the bond's stanza says."""
    with open(HOTPLUG) as fh:
        text = fh.read().replace("\tbond-master bond0\n", "\tbond-master bond0\n\tbond-arp-validate none\n")
    _write(tmp_path, "etc/network/interfaces", "source interfaces.d/*\n" + text.split("allow-hotplug eth1")[0])
    _write(tmp_path, "etc/network/interfaces.d/eth1", "allow-hotplug eth1" + text.split("allow-hotplug eth1")[1])
    persisted = bp.detect(str(tmp_path), "bond0")
    assert [(os.path.basename(loc.path), loc.primary, loc.value) for loc in persisted.locations] == [
        ("interfaces", True, "none"), ("eth1", False, "none")]
    changes = bp.apply(bp.plan(persisted, "bond0", "all"))
    main, port = (c.after for c in changes)
    assert "\tbond-slaves none\n\tbond-mode 1\n\tbond-miimon 100\n\tbond-arp-validate all\n" in main, "the master too"
    assert main.count("bond-arp-validate all") == 2 and "bond-arp-validate none" not in main + port
    assert "\tbond-master bond0\n\tbond-arp-validate all\n" in port
    assert bp.plan(bp.detect(str(tmp_path), "bond0"), "bond0", "all") == []
