"""Files written by others (fixtures/nmbond/wild/, each citing its source in a comment).

Documentation examples (ifenslave, systemd.netdev(5), netplan(5) and netplan's examples, the RHEL
guide) and real writers' output (nmcli --offline of NetworkManager 1.42, the ifcfg-rh writer's
format): each is located, changed, read back and changed only on the option's line.
"""

import os
import shutil

import pytest

from support.paths import FIXTURES
from ansible_collections.netmedic.network.plugins.module_utils.bond import persist as bp

from test_fuzz_bond import SPEC, _minimal

WILD = os.path.join(FIXTURES, "nmbond", "wild")
DIRS = {"ifupdown": "etc/network", "networkmanager": "etc/NetworkManager/system-connections",
        "networkd": "etc/systemd/network", "netplan": "etc/netplan", "ifcfg": "etc/sysconfig/network-scripts"}
SOURCE_DIR = {"networkmanager": "nm"}

# (backend, fixture files, installed as, bond, value, lines added)
CASES = [
    ("ifupdown", ["ifenslave-two_ethernet"], "interfaces", "bond0", "all", ["\tbond-arp-validate all"]),
    ("ifupdown", ["ifenslave-two_hotplug_ethernet"], "interfaces", "bond0", "active", ["\tbond-arp-validate active"]),
    ("networkd", ["25-bond.netdev"], None, "bond1", "backup", ["ARPValidate=backup"]),
    ("netplan", ["10-netplan5-bonds-interfaces.yaml"], None, "bond0", "all",
     ["      parameters:", "        arp-validate: all"]),
    ("netplan", ["20-bonding.yaml"], None, "bond1", "backup", ["        arp-validate: backup"]),
    ("netplan", ["30-bonding_router.yaml"], None, "bond-wan", "all", ["        arp-validate: all"]),
    ("networkmanager", ["bond0.nmconnection", "bond0-port-eno1.nmconnection"], None, "bond0", "filter_active",
     ["arp_validate=filter_active"]),
    ("ifcfg", ["ifcfg-bond0", "ifcfg-eth0", "ifcfg-Bond_connection_1"], None, "bond0", "all",
     ['BONDING_OPTS="mode=active-backup arp_interval=1000 arp_ip_target=192.168.1.254 arp_validate=all"']),
    ("ifcfg", ["ifcfg-bond0", "ifcfg-eth0", "ifcfg-Bond_connection_1"], None, "bond1", "filter_backup",
     ['BONDING_OPTS="arp_interval=500 arp_ip_target=198.51.100.1 mode=active-backup arp_validate=filter_backup"']),
]


def install(tmp_path, backend, names, installed_as=None):
    root = tmp_path / "root"
    d = root / DIRS[backend]
    d.mkdir(parents=True)
    for name in names:
        shutil.copy(os.path.join(WILD, SOURCE_DIR.get(backend, backend), name), str(d / (installed_as or name)))
    return str(root)


@pytest.mark.parametrize("case", CASES, ids=["%s-%s-%s" % (c[0], c[1][0], c[3]) for c in CASES])
def test_files_written_by_others(tmp_path, case):
    backend, names, installed_as, bond, value, added = case
    root = install(tmp_path, backend, names, installed_as)
    persisted = bp.detect(root, bond)
    assert persisted.backend == backend and bp.persisted_value(persisted) == "none"
    (change,) = bp.plan(persisted, bond, value)
    _minimal(change.before, change.after, SPEC[backend][2])
    new = [line.rstrip("\n") for line in change.after.splitlines(True) if line not in change.before.splitlines(True)]
    assert new == added
    bp.apply([change])
    again = bp.detect(root, bond)
    assert bp.persisted_value(again) == value and bp.plan(again, bond, value) == []


def test_two_bonds_of_the_netplan_router_example_in_one_edit(tmp_path):
    root = install(tmp_path, "netplan", ["30-bonding_router.yaml"])
    pending = {}
    (lan,) = bp.plan(bp.detect(root, "bond-lan"), "bond-lan", "all", pending)
    (wan,) = bp.plan(bp.detect(root, "bond-wan"), "bond-wan", "all", pending)
    assert lan is wan and lan.after.count("        arp-validate: all\n") == 2
    bp.apply([lan, wan])
    assert [bp.persisted_value(bp.detect(root, b)) for b in ("bond-lan", "bond-wan")] == ["all", "all"]
    assert len(os.listdir(os.path.join(root, "var/backups/netmedic/etc/netplan"))) == 1


def test_ifcfg_rh_writer_values_survive_byte_for_byte(tmp_path):
    root = install(tmp_path, "ifcfg", ["ifcfg-Bond_connection_1"])
    path = os.path.join(root, DIRS["ifcfg"], "ifcfg-Bond_connection_1")
    with open(path) as fh:
        before = fh.read()
    bp.apply(bp.plan(bp.detect(root, "bond1"), "bond1", "all"))
    with open(path) as fh:
        after = fh.read()
    for line in ("HWADDR=\n", "IPV6_DEFAULTGW=\n", "ZONE=$'storage\\tnet'\n", 'NAME="Bond connection 1"\n',
                 'DESCRIPTION="rack \\"A\\" storage, \\$5 per port"\n'):
        assert line in before and line in after
