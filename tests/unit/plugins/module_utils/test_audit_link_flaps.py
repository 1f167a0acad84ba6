"""Link carrier audit and the preflight/postflight snapshot on a fake sysfs tree."""

import json
import os

import pytest

from ansible_collections.netmedic.network.plugins.module_utils import audit_link_flaps as L
from ansible_collections.netmedic.network.plugins.module_utils.audits import AuditContext

from nmaud_fakes import FakeRunner


def iface(root, name, ifindex, carrier, changes, up=True, operstate=None):
    d = os.path.join(root, "sys/class/net", name)
    os.makedirs(d, exist_ok=True)
    values = {"ifindex": ifindex, "carrier": carrier, "carrier_changes": changes,
              "carrier_up_count": (changes + 1) // 2, "carrier_down_count": changes // 2,
              "operstate": operstate or ("up" if carrier else "down"), "flags": "0x1003" if up else "0x1002"}
    for k, v in values.items():
        with open(os.path.join(d, k), "w") as fh:
            fh.write("%s\n" % v)


@pytest.fixture
def root(tmp_path):
    r = str(tmp_path)
    os.makedirs(os.path.join(r, "proc/sys/kernel/random"))
    with open(os.path.join(r, "proc/sys/kernel/random/boot_id"), "w") as fh:
        fh.write("b00t-1\n")
    iface(r, "lo", 1, 1, 0)
    iface(r, "eth0", 2, 1, 2)
    iface(r, "eth1", 3, 1, 4)
    return r


def run(root, **opts):
    return L.run(AuditContext(root=root, runner=FakeRunner({}), options={"link_flaps": opts}))


def test_pre_without_path_reads_only(root):
    assert run(root) == []
    iface(root, "eth1", 3, 0, 5)
    [f] = run(root)
    assert (f.id, f.subject) == ("NM-LINK-001", "eth1")
    iface(root, "eth1", 3, 0, 5, up=False)
    assert run(root) == []
    iface(root, "br0", 4, 0, 1)
    os.makedirs(os.path.join(root, "sys/class/net/br0/bridge"))
    assert run(root) == []


def test_pre_then_post(root, tmp_path):
    path = str(tmp_path / "state" / "links.json")
    [saved] = run(root, snapshot_path=path)
    assert saved.id == "NM-LINK-005" and saved.evidence["interfaces"] == ["eth0", "eth1"]
    snap = json.load(open(path))
    assert snap["format"] == "netmedic-link-snapshot" and snap["version"] == 1 and snap["boot_id"] == "b00t-1"
    assert snap["interfaces"]["eth1"]["carrier_changes"] == 4 and oct(os.stat(path).st_mode & 0o777) == "0o600"
    assert run(root, snapshot_path=path, phase="post") == []
    iface(root, "eth1", 3, 1, 8)      # two down/up cycles
    iface(root, "eth0", 9, 1, 0)      # re-created
    f = {x.subject: x for x in run(root, snapshot_path=path, phase="post")}
    assert f["eth1"].id == "NM-LINK-002" and f["eth1"].evidence["carrier_down_events"] == 2
    assert "changed carrier 4 time(s) since the snapshot, 2 down (carrier now up)" in f["eth1"].summary
    assert f["eth0"].id == "NM-LINK-003" and "re-created" in f["eth0"].summary


def test_gone_interface_and_filters(root, tmp_path):
    path = str(tmp_path / "links.json")
    run(root, snapshot_path=path, interfaces=["eth*"], ignore=["eth0"])
    assert list(json.load(open(path))["interfaces"]) == ["eth1"]
    import shutil
    shutil.rmtree(os.path.join(root, "sys/class/net/eth1"))
    [f] = run(root, snapshot_path=path, phase="post")
    assert f.id == "NM-LINK-003" and "gone" in f.summary


def test_reboot_between(root, tmp_path):
    path = str(tmp_path / "links.json")
    run(root, snapshot_path=path)
    with open(os.path.join(root, "proc/sys/kernel/random/boot_id"), "w") as fh:
        fh.write("b00t-2\n")
    iface(root, "eth1", 3, 1, 0)
    [f] = run(root, snapshot_path=path, phase="post")
    assert f.id == "NM-LINK-004"


@pytest.mark.parametrize("content, expect", [
    (None, "no such file"),
    ("{", "is not JSON"),
    ('{"format": "other"}', "not a netmedic link snapshot"),
    ('{"format": "netmedic-link-snapshot", "version": 7, "interfaces": {}}', "snapshot version 7"),
    ('{"format": "netmedic-link-snapshot", "version": 1, "interfaces": []}', "'interfaces' must map"),
])
def test_bad_snapshot_is_a_finding(root, tmp_path, content, expect):
    path = tmp_path / "links.json"
    if content is not None:
        path.write_text(content)
    [f] = run(root, snapshot_path=str(path), phase="post")
    assert f.id == "NM-LINK-009" and expect in f.summary


def test_bad_options(root):
    with pytest.raises(ValueError, match="phase must be"):
        run(root, phase="during")
    with pytest.raises(ValueError, match="snapshot_path is needed"):
        run(root, phase="post")
