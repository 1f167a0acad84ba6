"""The files the module writes, read back by their own real tools on this host.

- ifupdown: ``ifquery`` parses the interfaces file and its ``source`` /
  ``source-directory`` includes and prints each bond's options.
- netplan: ``netplan generate --root-dir`` renders our YAML for networkd and for
  NetworkManager; the rendered files must carry the value.
(systemd-networkd and ifup+ifenslave building bonds from our files: test_bond_vm.py.)
"""

import os
import shutil
import subprocess

import pytest

from ansible_collections.netmedic.network.plugins.module_utils import bond_persist as bp

FIX = os.path.join(os.path.dirname(__file__), "..", "..", "unit", "plugins", "module_utils", "fixtures", "nmbond")


def run(argv):
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=60,
                       check=False)
    assert p.returncode == 0, "%s failed (%d): %s" % (" ".join(argv), p.returncode, p.stderr)
    return p.stdout + p.stderr


def persist(root, bonds, value):
    for bond in bonds:
        bp.apply(bp.plan(bp.detect(root, bond), bond, value))


@pytest.fixture
def tree(tmp_path):
    def make(name):
        root = str(tmp_path / name)
        shutil.copytree(os.path.join(FIX, name), root)
        return root
    return make


def _options(text):
    return dict(line.split(": ", 1) for line in text.strip().splitlines())


def test_ifquery_reads_our_interfaces_files(tree):
    assert shutil.which("ifquery"), "ifupdown is not installed (tests/system-packages.txt lists it)"
    root = tree("ifupdown")
    main = os.path.join(root, "etc/network/interfaces")
    persist(root, ["bond0", "bond1", "bond3"], "all")
    persist(root, ["bond2"], "active")   # runtime refuses 802.3ad; the file edit itself must still parse
    assert set(run(["ifquery", "-i", main, "--list"]).split()) == {"lo", "bond0", "bond1", "bond2", "bond3"}
    opts = {b: _options(run(["ifquery", "-i", main, b])) for b in ("bond0", "bond1", "bond2", "bond3")}
    assert opts["bond0"]["bond-arp-validate"] == "all"
    assert opts["bond0"]["bond-arp-ip-target"] == "192.0.2.1 192.0.2.2", "other options unchanged"
    assert opts["bond1"]["bond_arp_validate"] == "all" and opts["bond1"]["mtu"] == "9000"
    assert opts["bond2"]["bond-arp-validate"] == "active"
    assert opts["bond3"]["bond-arp-validate"] == "all"
    # the backups are not next to the files, where `source interfaces.d/*` would read them
    assert sorted(os.listdir(os.path.join(root, "etc/network/interfaces.d"))) == ["lacp", "storage"]


@pytest.mark.parametrize("renderer,rendered,line", [
    ("networkd", "run/systemd/network/10-netplan-%s.netdev", "ARPValidate=%s"),
    ("NetworkManager", "run/NetworkManager/system-connections/netplan-%s.nmconnection", "arp_validate=%s"),
])
def test_netplan_generate_renders_our_value(tree, renderer, rendered, line):
    assert shutil.which("netplan"), "netplan.io is not installed (tests/system-packages.txt lists it)"
    root = tree("netplan")
    main = os.path.join(root, "etc/netplan/01-netcfg.yaml")
    with open(main) as fh:
        text = fh.read().replace("renderer: networkd", "renderer: %s" % renderer)
    with open(main, "w") as fh:
        fh.write(text)
    for f in os.listdir(os.path.join(root, "etc/netplan")):
        os.chmod(os.path.join(root, "etc/netplan", f), 0o600)
    persist(root, ["bond0", "bond1", "bond3"], "backup")
    run(["netplan", "generate", "--root-dir", root])
    for bond in ("bond0", "bond1", "bond3"):
        with open(os.path.join(root, rendered % bond)) as fh:
            out = fh.read()
        assert (line % "backup") in out.splitlines(), out
    # and everything else still renders: bond0's targets and routes survived the edit
    with open(os.path.join(root, rendered % "bond0")) as fh:
        assert "192.0.2.2" in fh.read()


def test_bash_sources_our_ifcfg_files(tree):
    """initscripts (and NetworkManager's ifcfg-rh) read ifcfg files as shell: bash must agree."""
    root = tree("ifcfg")
    persist(root, ["bond0", "bond1", "bond4"], "all")
    scripts = os.path.join(root, "etc/sysconfig/network-scripts")
    for name, opts in (("ifcfg-bond0", "mode=active-backup arp_interval=1000 arp_ip_target=192.0.2.1,192.0.2.2 "
                                       "primary=eno1 arp_validate=all"),
                       ("ifcfg-storage", "mode=1 arp_interval=500 arp_ip_target=+198.51.100.1 arp_validate=all"),
                       ("ifcfg-bond4", "arp_validate=all")):
        out = run(["bash", "-c", 'set -eu; . "$1"; printf "%s" "$BONDING_OPTS"', "bash", os.path.join(scripts, name)])
        assert out == opts
