"""Bond discovery from a sysfs tree shaped like the kernel's (fixtures/nmbond/sysfs.yml)."""

import os

import pytest
import yaml

from support.paths import FIXTURES
from ansible_collections.netmedic.network.plugins.module_utils.bond.sysfs import (
    BondError, bond_names, discover, normalize_mode, normalize_validate, parse_proc_bonding, read_bond,
    write_arp_validate)
from ansible_collections.netmedic.network.plugins.module_utils.core.sysfs import Sysfs

FIX = os.path.join(FIXTURES, "nmbond")


def make_sysfs(root, spec=None):
    spec = spec or yaml.safe_load(open(os.path.join(FIX, "sysfs.yml")))
    for bond, attrs in spec.items():
        d = root / "sys/class/net" / bond / "bonding"
        d.mkdir(parents=True)
        for key, value in attrs.items():
            target = (d.parent / key) if key == "operstate" else (d / key)
            target.write_text("%s\n" % value)
        for slave in attrs.get("slaves", "").split():
            (root / "sys/class/net" / slave).mkdir(parents=True, exist_ok=True)
    (root / "sys/class/net/lo").mkdir(parents=True, exist_ok=True)
    return root


@pytest.fixture
def sysfs(tmp_path):
    make_sysfs(tmp_path)
    return Sysfs(str(tmp_path))


def test_discovers_bonds_not_slaves(sysfs):
    assert bond_names(sysfs) == ["bond0", "bond1", "bond2", "bond3"]
    assert [b.name for b in discover(sysfs)] == ["bond0", "bond1", "bond2", "bond3"]


def test_reads_every_attribute(sysfs):
    b = read_bond(sysfs, "bond0")
    assert (b.mode, b.arp_interval, b.arp_validate, b.arp_all_targets, b.miimon) == \
        ("active-backup", 1000, "none", "any", 0)
    assert b.arp_ip_target == ["192.0.2.1", "192.0.2.2"] and b.slaves == ["eno1", "eno2"]
    assert (b.active_slave, b.primary, b.operstate, b.up) == ("eno1", "eno1", "up", True)
    assert b.supports_arp_validate and b.arp_monitoring
    lacp = read_bond(sysfs, "bond2")
    assert lacp.mode == "802.3ad" and not lacp.supports_arp_validate and not lacp.arp_monitoring
    assert lacp.active_slave is None and lacp.arp_ip_target == []
    assert read_bond(sysfs, "bond3").arp_validate == "all"


@pytest.mark.parametrize("name,msg", [
    ("bond9", "there is no bond named bond9 on this host \\(bonds here: bond0, bond1, bond2, bond3\\)"),
    ("eno1", "eno1 exists but is not a bond"),
    ("../etc", "not a valid interface name"),
    ("a" * 16, "not a valid interface name"),
    ("\u00e9" * 8, "not a valid interface name"),      # 8 characters, 16 bytes: IFNAMSIZ counts bytes
    ("bond\x000", "not a valid interface name"),       # used to reach os.stat and raise ValueError
    ("bond:0", "not a valid interface name"),
])
def test_unknown_bond(sysfs, name, msg):
    with pytest.raises(BondError, match=msg):
        read_bond(sysfs, name)


@pytest.mark.parametrize("raw,word", [("none 0", "none"), ("all 3", "all"), ("4", "filter"), (" ALL ", "all"),
                                      ("filter_backup 6", "filter_backup"), (None, None)])
def test_normalize_validate(raw, word):
    assert normalize_validate(raw) == word


def test_normalize_rejects_unknown_words():
    with pytest.raises(BondError, match="'sometimes' is not an arp_validate value"):
        normalize_validate("sometimes")
    with pytest.raises(BondError):
        normalize_validate("9")


@pytest.mark.parametrize("raw", ["\u00b2", "\u0663", "\u00b9 0"])
def test_only_ascii_digits_are_numbers(raw):
    """A config value '²' raised ValueError from int() (str.isdigit is true for it); the kernel reads ASCII digits."""
    with pytest.raises(BondError):
        normalize_validate(raw)
    assert normalize_mode(raw) == raw.split()[0]


def test_normalize_mode():
    assert normalize_mode("active-backup 1") == "active-backup"
    assert normalize_mode("4") == "802.3ad"
    assert normalize_mode("") is None


def test_write_is_one_value(sysfs, tmp_path):
    write_arp_validate(sysfs, "bond0", "3")
    assert (tmp_path / "sys/class/net/bond0/bonding/arp_validate").read_text() == "all"
    with pytest.raises(BondError, match="cannot open for writing"):
        write_arp_validate(sysfs, "bond7", "all")


PROC = """Ethernet Channel Bonding Driver: v6.1.0-56-amd64

Bonding Mode: fault-tolerance (active-backup)
Primary Slave: nmbond-vb (primary_reselect always)
Currently Active Slave: nmbond-va
MII Status: up
MII Polling Interval (ms): 0
ARP Polling Interval (ms): 100
ARP Missed Max: 2
ARP IP target/s (n.n.n.n form): 192.0.2.1

Slave Interface: nmbond-va
MII Status: up
Speed: 10000 Mbps
Link Failure Count: 8
Permanent HW addr: 02:00:00:00:00:0a

Slave Interface: nmbond-vb
MII Status: going down
Link Failure Count: 12
Permanent HW addr: 02:00:00:00:00:0b
"""


def test_parse_proc_bonding():
    p = parse_proc_bonding(PROC)
    assert p["active_slave"] == "nmbond-va" and p["mode"] == "fault-tolerance (active-backup)"
    assert p["slaves"] == {"nmbond-va": {"mii_status": "up", "link_failure_count": 8},
                           "nmbond-vb": {"mii_status": "going down", "link_failure_count": 12}}
    assert parse_proc_bonding("Currently Active Slave: None\n")["active_slave"] is None
