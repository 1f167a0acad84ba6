"""Link carrier audit and the preflight/postflight snapshot on a fake sysfs tree."""

import json
import os
import shutil

import pytest

from ansible_collections.netmedic.network.plugins.module_utils.link import audit as L
from ansible_collections.netmedic.network.plugins.module_utils.core.audit import AuditContext

from support.fakes import FakeRunner
from support import snapshot


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


def run(root, snapshots=None, **opts):
    ctx = AuditContext(root=root, runner=FakeRunner({}), options={"link_flaps": opts})
    found = L.run(ctx)
    if snapshots is not None:
        snapshots.update(ctx.snapshots)
    return found


def counters(root, **opts):
    """What the preflight returns (and the controller's report keeps) for this host."""
    got = {}
    run(root, got, **opts)
    return json.loads(json.dumps(got["link_flaps"]))


def test_pre_reads_only(root, tmp_path):
    before = snapshot.tree(str(tmp_path))
    assert run(root) == []
    assert snapshot.tree(str(tmp_path)) == before
    iface(root, "eth1", 3, 0, 5)
    [f] = run(root)
    assert (f.id, f.subject) == ("NM-LINK-001", "eth1")
    iface(root, "eth1", 3, 0, 5, up=False)
    assert run(root) == []
    iface(root, "br0", 4, 0, 1)
    os.makedirs(os.path.join(root, "sys/class/net/br0/bridge"))
    assert run(root) == []


def test_pre_records_counters_then_post_compares(root, tmp_path):
    before = snapshot.tree(str(tmp_path))
    snap = counters(root)
    assert snapshot.tree(str(tmp_path)) == before  # nothing written on the host (issue 11)
    assert snap["format"] == "netmedic-link-snapshot" and snap["version"] == 1 and snap["boot_id"] == "b00t-1"
    assert sorted(snap["interfaces"]) == ["eth0", "eth1"] and snap["interfaces"]["eth1"]["carrier_changes"] == 4
    assert run(root, baseline=snap, phase="post") == []
    iface(root, "eth1", 3, 1, 8)      # two down/up cycles
    iface(root, "eth0", 9, 1, 0)      # re-created
    f = {x.subject: x for x in run(root, baseline=snap, phase="post")}
    assert f["eth1"].id == "NM-LINK-002" and f["eth1"].evidence["carrier_down_events"] == 2
    assert "changed carrier 4 time(s) since the preflight, 2 down (carrier now up)" in f["eth1"].summary
    assert f["eth0"].id == "NM-LINK-003" and "re-created" in f["eth0"].summary


def test_gone_interface_and_filters(root):
    snap = counters(root, interfaces=["eth*"], ignore=["eth0"])
    assert list(snap["interfaces"]) == ["eth1"]
    shutil.rmtree(os.path.join(root, "sys/class/net/eth1"))
    [f] = run(root, baseline=snap, phase="post")
    assert f.id == "NM-LINK-003" and "gone" in f.summary


def test_reboot_between(root):
    snap = counters(root)
    with open(os.path.join(root, "proc/sys/kernel/random/boot_id"), "w") as fh:
        fh.write("b00t-2\n")
    iface(root, "eth1", 3, 1, 0)
    [f] = run(root, baseline=snap, phase="post")
    assert f.id == "NM-LINK-004"


def test_post_without_counters_says_so(root):
    """A report written before the counters were kept in it: no comparison, an info note."""
    [f] = run(root, phase="post")
    assert (f.id, f.severity) == ("NM-LINK-006", "info") and "not compared" in f.summary


GOOD = {"format": "netmedic-link-snapshot", "version": 1, "taken": 1.0, "boot_id": "b00t-1",
        "interfaces": {"eth0": {"ifindex": 2, "carrier_changes": 2}}}


@pytest.mark.parametrize("baseline, expect", [
    ({"format": "other"}, "not a netmedic link snapshot"),
    (dict(GOOD, version=7), "have version 7"),
    (dict(GOOD, interfaces=[]), "'interfaces' must map"),
    (dict(GOOD, interfaces={"eth0": 5}), "'interfaces' must map"),
    (dict(GOOD, interfaces={"eth0\nNM-FAKE": {}}), "name interfaces Linux cannot have"),
    (dict(GOOD, interfaces={"": {}}), "name interfaces Linux cannot have"),
    (dict(GOOD, taken="yesterday"), "'taken' must be a time"),
    (dict(GOOD, taken=float("nan")), "'taken' must be a time"),
    (dict(GOOD, boot_id=["b00t-1"]), "'boot_id' must be a string"),
])
def test_bad_counters_are_a_finding(root, baseline, expect):
    [f] = run(root, baseline=baseline, phase="post")
    assert f.id == "NM-LINK-009" and expect in f.summary


def test_odd_counter_values_are_not_compared(root):
    snap = dict(GOOD, interfaces={"eth0": {"ifindex": True, "carrier_changes": "2", "carrier_down_count": None},
                                  "eth1": {"ifindex": 3, "carrier_changes": 1.5}})
    assert run(root, baseline=snap, phase="post") == []


def test_bad_options(root):
    with pytest.raises(ValueError, match="phase must be"):
        run(root, phase="during")
    with pytest.raises(ValueError, match="baseline is compared with only in phase: post"):
        run(root, baseline=GOOD)


def test_an_unreadable_attribute_costs_only_that_value(root):
    """Found by the fuzz suite: one attribute read failing with an error other than EINVAL (EISDIR
    here, EIO on a dying NIC) made Sysfs raise and the whole link audit fail."""
    path = os.path.join(root, "sys/class/net/eth1/carrier_changes")
    os.unlink(path)
    os.makedirs(path)
    snap = counters(root)
    assert snap["interfaces"]["eth1"]["carrier_changes"] is None
    assert snap["interfaces"]["eth0"]["carrier_changes"] == 2


def test_audit_shape_area_options_and_defaults():
    """Issue 12: the audit declares its area and every option with a default and a description; an
    option not given reads as its declared default (the values the audit used before)."""
    assert (L.AUDIT.name, L.AUDIT.area) == ("link_flaps", "link")
    assert all(spec.description for spec in L.AUDIT.options.values())
    ctx = AuditContext()
    assert {key: L.AUDIT.option(ctx, key) for key in L.AUDIT.options} == {
        "phase": "pre", "baseline": None, "interfaces": [], "ignore": ["lo"]}
