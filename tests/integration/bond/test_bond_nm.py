"""NetworkManager reads the keyfiles bond_arp_validate writes (a lab host with network-manager).

The module runs in the lab host through Ansible (podman connection) with
``root`` pointing at a tree whose ``sys`` is a sysfs fixture (the container's
kernel has no bonding driver) and whose ``etc/NetworkManager`` is the host's
real one; then the real NetworkManager reloads the profiles and
``nmcli -g bond.options connection show`` must list the value.
"""

import os
import time

from lab import ensure_derived_image

FIX = os.path.join(os.path.dirname(__file__), "..", "..", "unit", "plugins", "module_utils", "fixtures", "nmbond")
KEYFILES = os.path.join(FIX, "nm", "etc", "NetworkManager", "system-connections")
ROOT = "/srv/nmbond"

SYSFS = """set -e
for b in bond0 bond1; do mkdir -p %(root)s/sys/class/net/$b/bonding; done
cd %(root)s/sys/class/net/bond0
echo up > operstate; cd bonding
echo 'active-backup 1' > mode; echo 1000 > arp_interval; echo '192.0.2.1 192.0.2.2' > arp_ip_target
echo 'none 0' > arp_validate; echo 0 > miimon; echo 'eno1 eno2' > slaves
cd %(root)s/sys/class/net/bond1
echo up > operstate; cd bonding
echo 'active-backup 1' > mode; echo 500 > arp_interval; echo '198.51.100.1' > arp_ip_target
echo 'none 0' > arp_validate; echo 0 > miimon; echo 'ens1f0 ens1f1' > slaves
mkdir -p %(root)s/etc && ln -sfn /etc/NetworkManager %(root)s/etc/NetworkManager
""" % {"root": ROOT}


def nm_options(host, profile):
    out = host.exec(["nmcli", "-g", "bond.options", "connection", "show", profile]).stdout.strip()
    return dict(kv.split("=", 1) for kv in out.split(","))


def test_networkmanager_reads_our_keyfiles(lab):
    image = ensure_derived_image("nmbond-nm", ["network-manager"])
    host = lab.host("nm", image=image)
    for name in sorted(os.listdir(KEYFILES)):
        with open(os.path.join(KEYFILES, name)) as fh:
            host.put_file(fh.read(), "/etc/NetworkManager/system-connections/" + name, mode=0o600)
    host.sh(SYSFS)
    for _attempt in range(60):   # NetworkManager starts with the container's systemd
        if host.exec(["nmcli", "-t", "-f", "RUNNING", "general"], check=False).stdout.strip() == "running":
            break
        time.sleep(0.5)
    host.exec(["nmcli", "connection", "reload"])
    assert "arp_validate" not in nm_options(host, "bond0")
    assert nm_options(host, "storage")["arp_validate"] == "none"

    res = host.ansible("netmedic.network.bond_arp_validate", {"bonds": ["bond0"], "root": ROOT})
    assert not res.get("failed") and res["changed"], res
    res = host.ansible("netmedic.network.bond_arp_validate",
                       {"bonds": ["bond1"], "value": "filter_backup", "root": ROOT})
    assert not res.get("failed") and res["changed"], res
    assert res["bonds"][0]["backend"] == "networkmanager"

    host.exec(["nmcli", "connection", "reload"])
    bond0 = nm_options(host, "bond0")
    assert bond0["arp_validate"] == "all"
    assert bond0["arp_ip_target"].replace(",", " ").split() == ["192.0.2.1", "192.0.2.2"], "other options kept"
    assert bond0["primary"] == "eno1" and bond0["mode"] == "active-backup"
    assert nm_options(host, "storage")["arp_validate"] == "filter_backup"
    # NetworkManager still sees every profile, unchanged otherwise; files stay 0600
    names = host.exec(["nmcli", "-g", "NAME", "connection", "show"]).stdout.split()
    assert {"bond0", "storage", "bond0-port-eno1"} <= set(names)
    assert host.exec(["nmcli", "-g", "ipv4.addresses", "connection", "show", "bond0"]).stdout.strip() == \
        "192.0.2.10/24"
    assert host.exec(["stat", "-c", "%a", "/etc/NetworkManager/system-connections/bond0.nmconnection"]
                     ).stdout.strip() == "600"
    # second run: nothing to do
    res = host.ansible("netmedic.network.bond_arp_validate", {"bonds": ["bond0"], "root": ROOT})
    assert res["changed"] is False
