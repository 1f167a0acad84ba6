"""bond_arp_validate on inputs we did not write (issue 11): several bonds per file, CRLF, backups,
bad input, check mode.  Every backend, through the module's main()."""

import os
import shutil
import stat

import pytest
import yaml

from support.paths import FIXTURES
from ansible_collections.netmedic.network.plugins.module_utils.bond import persist as bp
from ansible_collections.netmedic.network.plugins.module_utils.bond import arp_validate
from support.snapshot import tree as snapshot

FIX = os.path.join(FIXTURES, "nmbond")
SYSFS = yaml.safe_load(open(os.path.join(FIX, "sysfs.yml")))

# Where each owning tool reads its configuration (under root): no backup may land there.
READ_BY = {
    "ifupdown": ["etc/network"],
    "networkmanager": ["etc/NetworkManager/system-connections", "run/NetworkManager/system-connections",
                       "usr/lib/NetworkManager/system-connections"],
    "networkd": ["etc/systemd/network", "run/systemd/network", "usr/lib/systemd/network",
                 "usr/local/lib/systemd/network"],
    "netplan": ["etc/netplan", "run/netplan", "lib/netplan"],
    "ifcfg": ["etc/sysconfig/network-scripts"],
}
TREE_OF = {"networkmanager": "nm"}

# Two bonds in one file, where the backend allows it (a keyfile or a .netdev is one device).
SHARED = {
    "ifupdown": {"etc/network/interfaces": (
        "auto bond0\niface bond0 inet manual\n    bond-slaves eno1 eno2\n    bond-mode active-backup\n"
        "    bond-arp-interval 1000\n    bond-arp-ip-target 192.0.2.1\n\n"
        "auto bond1\niface bond1 inet manual\n    bond-slaves ens1f0 ens1f1\n    bond-mode active-backup\n"
        "    bond-arp-validate none\n")},
    "netplan": {},   # the fixture's 01-netcfg.yaml defines bond0 and bond1
    "networkd": {},  # one .netdev each (and 20-bond1's drop-in)
    "networkmanager": {},
    "ifcfg": {},
}
BACKENDS = sorted(SHARED)


def make_host(tmp_path, backend, files=None):
    root = tmp_path / "host"
    for bond, attrs in SYSFS.items():
        d = root / "sys/class/net" / bond / "bonding"
        d.mkdir(parents=True)
        for key, value in attrs.items():
            ((d.parent / key) if key == "operstate" else (d / key)).write_text("%s\n" % value)
    shutil.copytree(os.path.join(FIX, TREE_OF.get(backend, backend), "etc"), str(root / "etc"), symlinks=True)
    for rel, text in (files if files is not None else SHARED[backend]).items():
        path = root / rel
        if path.exists():
            path.unlink()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode())
    for dirpath, _dirs, names in os.walk(str(root / "etc")):
        for name in names:
            os.chmod(os.path.join(dirpath, name), 0o600)
    return root


def sysval(root, bond):
    return (root / "sys/class/net" / bond / "bonding/arp_validate").read_text().strip()


def config_files(root):
    """Every file in a directory some tool reads, with its bytes."""
    out = {}
    for dirs in READ_BY.values():
        for d in dirs:
            for dirpath, _dirs, names in os.walk(str(root / d)):
                for name in names:
                    path = os.path.join(dirpath, name)
                    with open(path, "rb") as fh:
                        out[os.path.relpath(path, str(root))] = fh.read()
    return out


def backups(root):
    base = root / "var/backups/netmedic"
    return sorted(os.path.relpath(os.path.join(d, n), str(base)) for d, _x, names in os.walk(str(base)) for n in names)


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_bonds_one_run(run_module, tmp_path, backend):
    """Issue 11 #1: two bonds in one file were planned from the same text; the last write won."""
    root = make_host(tmp_path, backend)
    args = {"bonds": ["bond0", "bond1"], "value": "backup", "root": str(root)}
    res = run_module("bond_arp_validate", args, diff=True)
    assert not res.failed, res.get("msg")
    assert [sysval(root, b) for b in ("bond0", "bond1")] == ["backup", "backup"]
    for bond in ("bond0", "bond1"):
        assert bp.persisted_value(bp.detect(str(root), bond)) == "backup", bond
    paths = sorted({f["path"] for b in res["bonds"] for f in b["files"]})
    file_diffs = [d for d in res["diff"] if not d["before_header"].startswith("/sys/")]
    assert sorted(d["before_header"] for d in file_diffs) == paths, "each file's diff once"
    for d in file_diffs:
        with open(d["after_header"], newline="") as fh:
            assert fh.read() == d["after"], "the diff shows what was written (both bonds' edits)"
    assert len(backups(root)) == len(paths), "one backup per file: %s" % backups(root)
    again = run_module("bond_arp_validate", args, diff=True)
    assert again["changed"] is False and again["diff"] == []


def test_two_bonds_in_one_netplan_file_are_one_write(run_module, tmp_path):
    root = make_host(tmp_path, "netplan")
    res = run_module("bond_arp_validate", {"bonds": ["bond0", "bond1"], "root": str(root)}, diff=True)
    (f0,), (f1,) = [b["files"] for b in res["bonds"]]
    assert f0["path"] == f1["path"] and f0["backup"] == f1["backup"] and f0["diff"] == f1["diff"]
    assert "+        arp-validate: all\n" in f0["diff"]
    assert "-        arp-validate: none   # set by the installer\n" in f0["diff"]
    text = (root / "etc/netplan/01-netcfg.yaml").read_text()
    assert text.count("arp-validate: all") == 2


@pytest.mark.parametrize("backend", BACKENDS)
def test_no_backup_where_the_owning_tool_reads(run_module, tmp_path, backend):
    """Issue 11 #10: NetworkManager loaded bond0.nmconnection.<stamp>.netmedic.bak as a second bond0 profile."""
    root = make_host(tmp_path, backend)
    before = config_files(root)
    res = run_module("bond_arp_validate", {"bonds": ["bond0", "bond1"], "root": str(root)})
    assert not res.failed, res.get("msg")
    after = config_files(root)
    assert sorted(after) == sorted(before), "a new file where a tool reads: %s" % sorted(set(after) - set(before))
    written = [f for b in res["bonds"] for f in b["files"]]
    assert written
    for f in written:
        rel = os.path.relpath(f["path"], str(root))
        assert f["backup"].startswith(str(root / "var/backups/netmedic" / rel) + "."), "mirrors the path"
        with open(f["backup"], "rb") as fh:
            assert fh.read() == before[rel], "the backup holds the old bytes"
        assert stat.S_IMODE(os.stat(os.path.dirname(f["backup"])).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(str(root / "var/backups/netmedic")).st_mode) == 0o700


def test_networkmanager_loads_names_we_used_to_skip(tmp_path):
    """NetworkManager reads every file in system-connections but a few suffixes: `.bak` is a profile."""
    root = make_host(tmp_path, "networkmanager")
    d = root / "etc/NetworkManager/system-connections"
    shutil.copy(str(d / "storage.nmconnection"), str(d / "storage.bak"))
    for ignored in ("x.nmconnection~", ".hidden", "x.swp", "cert.pem", "x.nmmeta", "x.nmconnection.Ab12Z9"):
        (d / ignored).write_text("[connection]\ninterface-name=bond1\ntype=bond\n")
    assert sorted(os.path.basename(p) for p in bp.detect(str(root), "bond1").paths) == [
        "storage.bak", "storage.nmconnection"]


def test_stray_backups_of_an_older_version_are_reported(run_module, tmp_path):
    root = make_host(tmp_path, "networkmanager")
    d = root / "etc/NetworkManager/system-connections"
    shutil.copy(str(d / "bond0.nmconnection"), str(d / "bond0.nmconnection.20250101T000000.netmedic.bak"))
    res = run_module("bond_arp_validate", {"bonds": ["bond0"], "root": str(root)}, check_mode=True)
    assert not res.failed and [os.path.basename(p) for p in bp.detect(str(root), "bond0").paths] == [
        "bond0.nmconnection"], "our own old backup is not edited as a profile"
    warnings = str(res["warnings"])   # strings or, in newer ansible-core, event dicts
    assert "bond0.nmconnection.20250101T000000.netmedic.bak is a backup" in warnings
    assert "NetworkManager loads it as a profile" in warnings


@pytest.mark.parametrize("backend", BACKENDS)
def test_crlf_configuration_stays_crlf(run_module, tmp_path, backend):
    """Issue 11 #9: CRLF files came back LF in all five backends."""
    root = make_host(tmp_path, backend)
    for rel, data in config_files(root).items():
        (root / rel).write_bytes(data.replace(b"\n", b"\r\n"))
    before = config_files(root)
    res = run_module("bond_arp_validate", {"bonds": ["bond0", "bond1"], "value": "active", "root": str(root)})
    assert not res.failed, res.get("msg")
    after = config_files(root)
    changed = [rel for rel in after if after[rel] != before[rel]]
    assert changed
    for rel in changed:
        assert after[rel].count(b"\n") == after[rel].count(b"\r\n"), rel
        lines_before, lines_after = before[rel].split(b"\r\n"), after[rel].split(b"\r\n")
        assert len([x for x in lines_before if x not in lines_after]) <= 1, "only the option line changed"


@pytest.mark.parametrize("backend", BACKENDS)
def test_symlinked_configuration_is_edited_at_its_target(run_module, tmp_path, backend):
    """Issue 11: writing through a symlinked config replaced the link with a plain file."""
    root = make_host(tmp_path, backend)
    rel = sorted(bp.detect(str(root), "bond0").paths)[0]
    link_rel = os.path.relpath(rel, str(root))
    target = root / "srv/config" / os.path.basename(rel)
    target.parent.mkdir(parents=True)
    shutil.move(rel, str(target))
    os.symlink(os.path.relpath(str(target), os.path.dirname(rel)), rel)
    res = run_module("bond_arp_validate", {"bonds": ["bond0"], "root": str(root)})
    assert not res.failed, res.get("msg")
    assert os.path.islink(rel) and os.path.realpath(rel) == str(target), "%s is still a link" % link_rel
    assert bp.persisted_value(bp.detect(str(root), "bond0")) == "all"
    assert stat.S_IMODE(os.stat(str(target)).st_mode) == 0o600


def test_absolute_symlink_is_followed_as_the_host_follows_it(run_module, tmp_path):
    """root is for tests and chroots: links resolve as the kernel resolves them (the NetworkManager lab test
    points root's etc/NetworkManager at the container's real one this way)."""
    root = make_host(tmp_path, "netplan")
    outside = tmp_path / "elsewhere" / "01-netcfg.yaml"
    outside.parent.mkdir()
    path = root / "etc/netplan/01-netcfg.yaml"
    shutil.move(str(path), str(outside))
    path.symlink_to(str(outside))
    res = run_module("bond_arp_validate", {"bonds": ["bond0"], "root": str(root)})
    assert not res.failed and os.path.islink(str(path)) and "arp-validate: all" in outside.read_text()
    assert res["bonds"][0]["files"][0]["backup"].startswith(str(root / "var/backups/netmedic/etc/netplan/01-netcfg"))


# ------------------------------------------------------------------ bad input

def _nonutf8(root):
    (root / "etc/netplan/01-netcfg.yaml").write_bytes(b"network:\n  bonds:\n    bond0: {}\n# caf\xe9\n")


def _dir_instead_of_file(root):
    shutil.rmtree(str(root / "etc/network"))
    (root / "etc/network/interfaces").mkdir(parents=True)


def _bad_ifcfg(root):
    (root / "etc/sysconfig/network-scripts/ifcfg-bond0").write_text("DEVICE=bond0\nBONDING_OPTS=$(cat /x)\n")


def _readonly_dir(monkeypatch):
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, m: False if m == os.W_OK else real(p, m))


BAD = [
    # (id, tree, args, fragment of the message, setup(root) or None)
    ("root empty", "netplan", {"root": ""}, "root is empty", None),
    ("root blank", "netplan", {"root": "  "}, "root is empty", None),
    ("root missing", "netplan", {"root": "/nonexistent/netmedic"}, "root /nonexistent/netmedic does not exist", None),
    ("root a file", "netplan", {"root": "FILE"}, "is not a directory", None),
    ("root relative", "netplan", {"root": "relative/dir"}, "root relative/dir is not an absolute path", None),
    ("root NUL", "netplan", {"root": "/tmp/a\x00b"}, "root '/tmp/a\\x00b' contains a NUL byte", None),
    ("bond empty name", "netplan", {"bonds": [""]}, "bonds: '' is not a valid interface name", None),
    ("bond shell metachars", "netplan", {"bonds": ["bond0;reboot"]}, "bonds: there is no bond named bond0;reboot",
     None),
    ("bond $()", "netplan", {"bonds": ["$(reboot)"]}, "bonds: there is no bond named $(reboot)", None),
    ("bond slash", "netplan", {"bonds": ["../../etc"]}, "bonds: '../../etc' is not a valid interface name", None),
    ("bond space", "netplan", {"bonds": ["bond 0"]}, "bonds: 'bond 0' is not a valid interface name", None),
    ("bond NUL", "netplan", {"bonds": ["bond\x000"]}, "is not a valid interface name", None),
    ("bond unicode too long", "netplan", {"bonds": ["\u00e9" * 8]}, "is not a valid interface name", None),
    ("bond unicode", "netplan", {"bonds": ["b\u00f6nd0"]}, "bonds: there is no bond named b\u00f6nd0", None),
    ("bonds a dict", "netplan", {"bonds": {"a": 1}}, "bonds", None),
    ("value wrong", "netplan", {"value": "sometimes"}, "value of value must be one of", None),
    ("value a list", "netplan", {"value": ["all"]}, "value", None),
    ("value empty", "netplan", {"value": ""}, "value of value must be one of", None),
    ("force not a bool", "netplan", {"force": "perhaps"}, "force", None),
    ("backend unknown", "netplan", {"backend": "yast"}, "value of backend must be one of", None),
    ("backend not owning", "netplan", {"backend": "ifcfg"}, "no RHEL ifcfg files", None),
    ("netplan filter value", "netplan", {"value": "filter"}, "knows only none, active, backup, all", None),
    ("non-UTF-8 file", "netplan", {}, "01-netcfg.yaml: not UTF-8", _nonutf8),
    ("config is a directory", "ifupdown", {}, "etc/network/interfaces: cannot read: Is a directory",
     _dir_instead_of_file),
    ("ifcfg needs a shell", "ifcfg", {}, "ifcfg-bond0: line 2: cannot read BONDING_OPTS", _bad_ifcfg),
]


@pytest.mark.parametrize("case", BAD, ids=[c[0] for c in BAD])
def test_bad_input_fails_naming_the_option_or_file_and_writes_nothing(run_module, tmp_path, case):
    _id, backend, args, msg, setup = case
    root = make_host(tmp_path, backend)
    if setup:
        setup(root)
    (tmp_path / "FILE").write_text("x")
    args = dict({"bonds": ["bond0"], "root": str(root)}, **args)
    if args["root"] == "FILE":
        args["root"] = str(tmp_path / "FILE")
    before = snapshot(str(tmp_path))
    res = run_module("bond_arp_validate", args)
    assert res.failed and msg in res["msg"], res["msg"]
    assert "Traceback" not in str(res) and "exception" not in res
    assert snapshot(str(tmp_path)) == before


def test_read_only_directory_fails_before_anything_is_written(run_module, tmp_path, monkeypatch):
    root = make_host(tmp_path, "networkd")
    _readonly_dir(monkeypatch)
    before = snapshot(str(tmp_path))
    res = run_module("bond_arp_validate", {"bonds": ["bond0"], "root": str(root)})
    assert res.failed and "10-bond0.netdev: cannot write in" in res["msg"] and "read-only" in res["msg"]
    assert snapshot(str(tmp_path)) == before


def test_read_only_file_is_replaced_and_keeps_its_mode(run_module, tmp_path):
    root = make_host(tmp_path, "ifcfg")
    path = root / "etc/sysconfig/network-scripts/ifcfg-bond0"
    os.chmod(str(path), 0o444)
    res = run_module("bond_arp_validate", {"bonds": ["bond0"], "root": str(root)})
    assert not res.failed and "arp_validate=all" in path.read_text()
    assert stat.S_IMODE(os.stat(str(path)).st_mode) == 0o444


# ------------------------------------------------------------------ check mode

@pytest.mark.parametrize("backend", BACKENDS)
def test_check_mode_writes_and_executes_nothing(run_module, tmp_path, backend, exec_log, monkeypatch):
    root = make_host(tmp_path, backend)
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for tool in ("nmcli", "netplan"):
        (bindir / tool).write_text("#!/bin/sh\nexit 0\n")
        os.chmod(str(bindir / tool), 0o755)
    monkeypatch.setenv("PATH", "%s:%s" % (bindir, os.environ["PATH"]))
    monkeypatch.setattr(arp_validate, "live_root", lambda r: True)   # act as on a live host: reloads are due
    before = snapshot(str(tmp_path))
    res = run_module("bond_arp_validate", {"bonds": ["bond0", "bond1"], "root": str(root)}, check_mode=True,
                     diff=True)
    assert not res.failed and res["changed"] is True and res["diff"]
    assert snapshot(str(tmp_path)) == before
    assert exec_log.commands == [] and exec_log.signals == [] and res["reloaded"] == []
    if backend == "netplan":   # the same run for real does reload: the check above can see a command
        res = run_module("bond_arp_validate", {"bonds": ["bond0", "bond1"], "root": str(root)})
        assert [[os.path.basename(c[0])] + c[1:] for c in exec_log.commands] == [["netplan", "generate"]]
        assert res["reloaded"] == ["netplan generate"]


def test_failed_reload_still_says_changed(run_module, tmp_path, monkeypatch):
    root = make_host(tmp_path, "netplan")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "netplan").write_text("#!/bin/sh\necho 'broken' >&2\nexit 1\n")
    os.chmod(str(bindir / "netplan"), 0o755)
    monkeypatch.setenv("PATH", "%s:%s" % (bindir, os.environ["PATH"]))
    monkeypatch.setattr(arp_validate, "live_root", lambda r: True)
    res = run_module("bond_arp_validate", {"bonds": ["bond0"], "root": str(root)})
    assert res.failed and res["changed"] is True and "reloading them failed" in res["msg"]
