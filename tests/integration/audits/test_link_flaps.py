"""The link area in real network namespaces: the link_flaps audit's counters across a preflight and a
postflight, through the preflight module (read-only on the host, check mode or not)."""

import os
import sys

from nmaud_helpers import ansible_module

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                                "unit"))
from support.snapshot import tree  # noqa: E402


def test_carrier_changes_across_preflight_and_postflight(netns, tmp_path):
    ns = netns.add("lf")
    netns.ip(ns, "link", "add", "eth-a", "type", "veth", "peer", "name", "eth-b")
    netns.ip(ns, "link", "set", "eth-a", "up")
    netns.ip(ns, "link", "set", "eth-b", "up")
    netns.ip(ns, "link", "add", "eth-c", "type", "veth", "peer", "name", "eth-d")
    netns.ip(ns, "link", "set", "eth-c", "up")   # eth-d stays down: eth-c is up without carrier

    before_files = snapshot_dirs()
    pre = ansible_module(ns, "preflight", {"checks": ["link_flaps"]}, check=True)
    assert snapshot_dirs() == before_files  # read-only on the host, check mode or not (issue 11)
    got = {(f["id"], f["subject"]) for f in pre["findings"]}
    assert got == {("NM-LINK-001", "eth-c")}, pre["findings"]
    baseline = pre["snapshots"]["link_flaps"]
    before = baseline["interfaces"]["eth-a"]["carrier_changes"]

    for dummy in range(3):  # cycle the peer: eth-a loses and regains carrier each time
        netns.ip(ns, "link", "set", "eth-b", "down")
        netns.ip(ns, "link", "set", "eth-b", "up")
    after = int(netns.exec(ns, "cat", "/sys/class/net/eth-a/carrier_changes"))
    assert after >= before + 6

    post = ansible_module(ns, "preflight", {"checks": ["link_flaps"],
                                            "options": {"link_flaps": {"phase": "post", "baseline": baseline}}})
    flaps = {f["subject"]: f for f in post["findings"] if f["id"] == "NM-LINK-002"}
    assert set(flaps) == {"eth-a", "eth-b"}
    assert flaps["eth-a"]["evidence"]["carrier_changes_before"] == before
    assert flaps["eth-a"]["evidence"]["carrier_changes_now"] == after
    assert flaps["eth-a"]["evidence"]["carrier_down_events"] == 3
    assert post["summary"]["warning"] == 3  # eth-a, eth-b flapped; eth-c still without carrier


def snapshot_dirs():
    """What a preflight could have written: netmedic's old snapshot place and the working directory."""
    out = {}
    for d in ("/var/lib/netmedic", os.getcwd()):
        if os.path.isdir(d):
            out.update(tree(d))
    return out
