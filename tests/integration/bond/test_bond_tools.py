"""The files the module writes, read back by their own real tools on this host.

- ifupdown: ``ifquery`` parses the interfaces file and its ``source`` /
  ``source-directory`` includes and prints each bond's options.
- netplan: ``netplan generate --root-dir`` renders our YAML for networkd and for
  NetworkManager; the rendered files must carry the value.
- ifcfg: bash sources our files (initscripts does) and must see what we read.
(systemd-networkd and ifup+ifenslave building bonds from our files: test_bond_vm.py;
NetworkManager's own keyfile reader: test_bond_nm.py.)

Issue 11: several bonds in one file edited in one plan, files we did not write
(CRLF, BOM, ``{}``, flow style elsewhere, an empty option, documentation
examples), and bash against our shell reader on generated values.
"""

import os
import random
import shutil
import subprocess

import pytest

from ansible_collections.netmedic.network.plugins.module_utils.bond import persist as bp
from ansible_collections.netmedic.network.plugins.module_utils.core.shell_assign import assignments, quote

FIX = os.path.join(os.path.dirname(__file__), "..", "..", "unit", "fixtures", "nmbond")
WILD = os.path.join(FIX, "wild")


def run(argv):
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=60,
                       check=False)
    assert p.returncode == 0, "%s failed (%d): %s" % (" ".join(argv), p.returncode, p.stderr)
    return p.stdout + p.stderr


def persist(root, bonds, value):
    for bond in bonds:
        bp.apply(bp.plan(bp.detect(root, bond), bond, value))


def persist_together(root, bonds, value):
    """All bonds planned at once, as the module does (a file shared by two bonds is one edit)."""
    pending, changes = {}, []
    for bond in bonds:
        changes += [c for c in bp.plan(bp.detect(root, bond), bond, value, pending) if c not in changes]
    return bp.apply(changes)


def write(root, rel, data):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(data.encode() if isinstance(data, str) else data)
    os.chmod(path, 0o600)
    return path


def netdevs(root):
    d = os.path.join(root, "run/systemd/network")
    out = {}
    for name in sorted(os.listdir(d)):
        if name.endswith(".netdev"):
            with open(os.path.join(d, name)) as fh:
                out[name[len("10-netplan-"):-len(".netdev")]] = fh.read().splitlines()
    return out


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


# ------------------------------------------------------------------ issue 11

def test_netplan_generate_two_bonds_of_one_file_edited_together(tree):
    root = tree("netplan")
    for f in os.listdir(os.path.join(root, "etc/netplan")):
        os.chmod(os.path.join(root, "etc/netplan", f), 0o600)
    changes = persist_together(root, ["bond0", "bond1", "bond3"], "active")
    assert len(changes) == 2, "01-netcfg.yaml (bond0 and bond1) once, 90-storage.yaml once"
    run(["netplan", "generate", "--root-dir", root])
    rendered = netdevs(root)
    for bond in ("bond0", "bond1", "bond3"):
        assert "ARPValidate=active" in rendered[bond], (bond, rendered[bond])
    assert sorted(os.listdir(os.path.join(root, "etc/netplan"))) == ["01-netcfg.yaml", "90-storage.yaml"]


def test_netplan_generate_accepts_the_files_we_open(tmp_path):
    """`{}` opened into block style, flow style elsewhere left alone, CRLF and a BOM kept: netplan agrees."""
    root = str(tmp_path)
    write(root, "etc/netplan/00-version.yaml", "network: {version: 2, renderer: networkd}\n")
    path = write(root, "etc/netplan/10-bonds.yaml",
                 "\ufeffnetwork:\r\n  ethernets: {eno1: {}, eno2: {}}\r\n  bonds:\r\n    bond0: {}  # later\r\n"
                 "    bond1:\r\n      interfaces: [eno1, eno2]\r\n      parameters: {}\r\n")
    run(["netplan", "generate", "--root-dir", root])   # netplan takes the files as they are
    persist_together(root, ["bond0", "bond1"], "all")
    with open(path, "rb") as fh:
        data = fh.read()
    assert data.startswith(b"\xef\xbb\xbf") and data.count(b"\n") == data.count(b"\r\n")
    run(["netplan", "generate", "--root-dir", root])
    rendered = netdevs(root)
    assert "ARPValidate=all" in rendered["bond0"] and "ARPValidate=all" in rendered["bond1"]


@pytest.mark.parametrize("name,bond", [("10-netplan5-bonds-interfaces.yaml", "bond0"), ("20-bonding.yaml", "bond1"),
                                       ("30-bonding_router.yaml", "bond-wan")])
def test_netplan_generate_documentation_examples(tmp_path, name, bond):
    root = str(tmp_path)
    with open(os.path.join(WILD, "netplan", name)) as fh:
        write(root, "etc/netplan/" + name, fh.read())
    persist_together(root, [bond], "backup")
    run(["netplan", "generate", "--root-dir", root])
    assert "ARPValidate=backup" in netdevs(root)[bond]


IFACES_TWO = ("auto bond0\niface bond0 inet manual\n    bond-slaves eno1 eno2\n    bond-mode active-backup\n"
              "    bond-arp-interval 1000\n    bond-arp-ip-target 192.0.2.1\n\n"
              "auto bond1\niface bond1 inet manual\n    bond-slaves eno3 eno4\n    bond-mode active-backup\n"
              "    bond-arp-validate\n    mtu 9000\n")


@pytest.mark.parametrize("crlf", [False, True], ids=["lf", "crlf"])
def test_ifquery_two_bonds_of_one_file_and_an_empty_option(tmp_path, crlf):
    """ifupdown refuses `bond-arp-validate` without a value; after the edit it reads both bonds."""
    root = str(tmp_path)
    text = IFACES_TWO.replace("\n", "\r\n") if crlf else IFACES_TWO
    main = write(root, "etc/network/interfaces", text)
    p = subprocess.run(["ifquery", "-i", main, "--list"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True, timeout=60, check=False)
    assert p.returncode != 0 and "option with empty value" in p.stderr, "the file we are given is broken"
    (change,) = persist_together(root, ["bond0", "bond1"], "all")
    assert change.after.count("bond-arp-validate all") == 2
    for bond in ("bond0", "bond1"):
        assert _options(run(["ifquery", "-i", main, bond]))["bond-arp-validate"] == "all"
    assert _options(run(["ifquery", "-i", main, "bond1"]))["mtu"] == "9000"
    with open(main, "rb") as fh:
        data = fh.read()
    assert (data.count(b"\r\n") == data.count(b"\n")) if crlf else b"\r" not in data


@pytest.mark.parametrize("name", ["ifenslave-two_ethernet", "ifenslave-two_hotplug_ethernet"])
def test_ifquery_ifenslave_examples(tmp_path, name):
    root = str(tmp_path)
    with open(os.path.join(WILD, "ifupdown", name)) as fh:
        main = write(root, "etc/network/interfaces", fh.read())
    persist_together(root, ["bond0"], "all")
    opts = _options(run(["ifquery", "-i", main, "bond0"]))
    assert opts["bond-arp-validate"] == "all" and opts["bond-mode"] == "1"


def test_bash_sources_the_ifcfg_files_of_others(tmp_path):
    root = str(tmp_path)
    scripts = os.path.join(root, "etc/sysconfig/network-scripts")
    for name in ("ifcfg-bond0", "ifcfg-eth0", "ifcfg-Bond_connection_1"):
        with open(os.path.join(WILD, "ifcfg", name)) as fh:
            write(root, "etc/sysconfig/network-scripts/" + name, fh.read())
    persist_together(root, ["bond0", "bond1"], "filter_backup")
    for name, opts in (("ifcfg-bond0", "mode=active-backup arp_interval=1000 arp_ip_target=192.168.1.254 "
                                       "arp_validate=filter_backup"),
                       ("ifcfg-Bond_connection_1", "arp_interval=500 arp_ip_target=198.51.100.1 mode=active-backup "
                                                   "arp_validate=filter_backup")):
        out = run(["bash", "-c", 'set -eu; . "$1"; printf "%s|%s|%s" "$BONDING_OPTS" "${HWADDR-}" "${ZONE-}"', "bash",
                   os.path.join(scripts, name)])
        assert out.split("|")[0] == opts
    assert out.split("|")[1:] == ["", "storage\tnet"]


_PIECES = ["a", "b c", "'", '"', "\\", "$", "`", "#", ";", "\t", "\n", "=", "~", "*", "é", "\x01", "{x}", " ", "!"]


def _shell_words(rng):
    """A value and a way to write it: quote() in every style, and hand-made concatenations."""
    value = "".join(rng.choice(_PIECES) for _x in range(rng.randrange(0, 6)))
    style = rng.choice(["", "'", '"', "$'"])
    return quote(value, style)


def test_bash_agrees_with_our_shell_reader(tmp_path):
    """Differential test: 600 generated assignments (plus hand-written ones), one bash run."""
    rng = random.Random(3)
    words = [_shell_words(rng) for _x in range(600)] + [
        "", '""', "''", "a\"b c\"'d'", "$'x\\'y'", "'a'\\''b'", "a\\ b", '"a\\$b"', "$'\\x41\\101\\u00e9'",
        "x # comment", "x;", '"multi\nline"', "$'\\cA'", "a=b=c", "#x", '"$"', "a$"]
    text = "".join("V%d=%s\n" % (n, w) for n, w in enumerate(words))
    path = write(str(tmp_path), "vars", text)
    ours = {a.name: a.value for a in assignments(text)}
    assert all(v is not None for v in ours.values()), [(k, v) for k, v in ours.items() if v is None]
    script = 'set -eu; . "$1"; for n in $(seq 0 %d); do eval "printf \'%%s\\0\' \\"\\$V$n\\""; done' % (len(words) - 1)
    p = subprocess.run(["bash", "-c", script, "bash", path], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=60, check=False, env={"LC_ALL": "C.UTF-8", "PATH": os.environ["PATH"]})
    assert p.returncode == 0, p.stderr
    theirs = p.stdout.decode("utf-8").split("\0")[:-1]
    assert len(theirs) == len(words)
    for n, value in enumerate(theirs):
        assert ours["V%d" % n] == value, (words[n], ours["V%d" % n], value)


def test_ifquery_port_stanzas_of_the_hotplug_example(tmp_path):
    """A port's bond-* options apply when it comes up before the bond (ifenslave): both carry the value."""
    root = str(tmp_path)
    with open(os.path.join(WILD, "ifupdown", "ifenslave-two_hotplug_ethernet")) as fh:
        text = fh.read().replace("\tbond-master bond0\n", "\tbond-master bond0\n\tbond-arp-validate none\n")
    main = write(root, "etc/network/interfaces", text)
    persist_together(root, ["bond0"], "backup")
    for iface in ("bond0", "eth0", "eth1"):
        assert _options(run(["ifquery", "-i", main, iface]))["bond-arp-validate"] == "backup", iface
