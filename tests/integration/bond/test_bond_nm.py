"""NetworkManager reads the keyfiles bond_arp_validate writes (a lab host with network-manager).

The module runs in the lab host through Ansible (podman connection) with
``root`` pointing at a tree whose ``sys`` is a sysfs fixture (the container's
kernel has no bonding driver) and whose ``etc/NetworkManager`` is the host's
real one; then the real NetworkManager reloads the profiles and
``nmcli -g bond.options connection show`` must list the value.

Issue 11: a backup next to a profile is loaded by NetworkManager (it reads every
file in system-connections but a few suffixes; ``.bak`` is not one of them), so
backups go to /var/backups/netmedic; a CRLF keyfile stays CRLF and NetworkManager
still reads it; ``nmcli --offline`` (NetworkManager's own keyfile reader, no
daemon) parses what we wrote.
"""

import os
import time

from lab import ensure_derived_image

FIX = os.path.join(os.path.dirname(__file__), "..", "..", "unit", "fixtures", "nmbond")
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


def connections(host):
    """``{file name: profile name}`` of the profiles NetworkManager loaded from system-connections in /etc."""
    out = host.exec(["nmcli", "-t", "-f", "NAME,FILENAME", "connection", "show"]).stdout
    pairs = [line.split(":", 1) for line in out.splitlines()]
    return {os.path.basename(f): n for n, f in pairs if f.startswith("/etc/NetworkManager/system-connections/")}


STRAY = "bond0.nmconnection.20250101T000000.netmedic.bak"


def test_networkmanager_reads_our_keyfiles(lab):
    image = ensure_derived_image("nmbond-nm", ["network-manager"])
    host = lab.host("nm", image=image)
    names = sorted(os.listdir(KEYFILES))
    for name in names:
        with open(os.path.join(KEYFILES, name)) as fh:
            text = fh.read()
        if name == "storage.nmconnection":
            text = text.replace("\n", "\r\n")
        host.put_file(text, "/etc/NetworkManager/system-connections/" + name, mode=0o600)
    host.sh(SYSFS)
    for _attempt in range(60):   # NetworkManager starts with the container's systemd
        if host.exec(["nmcli", "-t", "-f", "RUNNING", "general"], check=False).stdout.strip() == "running":
            break
        time.sleep(0.5)
    host.exec(["nmcli", "connection", "reload"])
    assert "arp_validate" not in nm_options(host, "bond0")
    assert nm_options(host, "storage")["arp_validate"] == "none", "NetworkManager reads the CRLF keyfile"
    assert sorted(connections(host)) == names

    # What an older netmedic did: a backup next to the profile (another id, as after a rename).
    stray = host.read_file("/etc/NetworkManager/system-connections/bond0.nmconnection").replace(
        "id=bond0", "id=bond0-old").replace("uuid=3f3b0c3a-7e2a-4a59-9bd2-1c1a7e0c0b10",
                                            "uuid=3f3b0c3a-7e2a-4a59-9bd2-1c1a7e0c0b11")
    host.put_file(stray, "/etc/NetworkManager/system-connections/" + STRAY, mode=0o600)
    host.exec(["nmcli", "connection", "reload"])
    assert connections(host).get(STRAY) == "bond0-old", "NetworkManager loads a .bak file as a profile"

    res = host.ansible("netmedic.network.bond_arp_validate", {"bonds": ["bond0"], "root": ROOT})
    assert not res.get("failed") and res["changed"], res
    assert STRAY in str(res.get("warnings")), "the stray backup is reported"
    assert res["bonds"][0]["files"][0]["backup"].startswith(
        ROOT + "/var/backups/netmedic/etc/NetworkManager/system-connections/bond0.nmconnection.")
    host.exec(["rm", "/etc/NetworkManager/system-connections/" + STRAY])
    res = host.ansible("netmedic.network.bond_arp_validate",
                       {"bonds": ["bond1"], "value": "filter_backup", "root": ROOT})
    assert not res.get("failed") and res["changed"], res
    assert res["bonds"][0]["backend"] == "networkmanager"

    host.exec(["nmcli", "connection", "reload"])
    assert sorted(connections(host)) == names, "no backup where NetworkManager reads"
    counts = host.exec(["python3", "-c", "import sys; d = open(sys.argv[1], 'rb').read(); "
                        "print(d.count(b'\\r\\n'), d.count(b'\\n'))",
                        "/etc/NetworkManager/system-connections/storage.nmconnection"]).stdout.split()
    assert counts[0] == counts[1] != "0", "storage.nmconnection is still CRLF only: %s" % counts
    offline = host.exec(["nmcli", "--offline", "connection", "modify", "connection.id", "bond0"],
                        input=host.read_file("/etc/NetworkManager/system-connections/bond0.nmconnection")).stdout
    assert "arp_validate=all" in offline.split("[bond]")[1].split("[")[0], offline
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
