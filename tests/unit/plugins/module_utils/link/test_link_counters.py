"""The link_flaps audit's readers: sysfs carrier counters and the boot id (link/counters.py)."""

import os

import pytest

from ansible_collections.netmedic.network.plugins.module_utils.core.sysfs import Sysfs
from ansible_collections.netmedic.network.plugins.module_utils.link import counters as LC


@pytest.mark.parametrize("name, include, ignore, watched", [
    ("eth0", [], ["lo"], True), ("lo", [], ["lo"], False), ("veth12", [], ["lo", "veth*"], False),
    ("eth0", ["bond*"], ["lo"], False), ("bond0", ["bond*"], ["lo"], True), ("bond0", ["bond*"], ["bond0"], False)])
def test_selected(name, include, ignore, watched):
    assert LC.selected(name, include, ignore) is watched


def test_read_links_counters_flags_and_virtual_carrier(tmp_path):
    for name, files in {"eth0": {"ifindex": "2", "carrier": "1", "carrier_changes": "4", "carrier_up_count": "2",
                                 "carrier_down_count": "2", "operstate": "up", "flags": "0x1003"},
                        "br0": {"ifindex": "3", "carrier": "0", "flags": "0x1003", "bridge/": None},
                        "lo": {"ifindex": "1", "flags": "0x9"}}.items():
        d = tmp_path / "sys/class/net" / name
        d.mkdir(parents=True)
        for f, text in files.items():
            if f.endswith("/"):
                (d / f).mkdir()
            else:
                (d / f).write_text(text + "\n")
    links = LC.read_links(Sysfs(str(tmp_path)))
    assert sorted(links) == ["br0", "eth0"]
    assert links["eth0"] == {"ifindex": 2, "carrier": 1, "carrier_changes": 4, "carrier_up_count": 2,
                             "carrier_down_count": 2, "operstate": "up", "admin_up": True}
    assert links["br0"]["virtual_carrier"] is True and links["br0"]["carrier_changes"] is None


def test_boot_id(tmp_path):
    assert LC.boot_id(str(tmp_path)) is None
    os.makedirs(str(tmp_path / "proc/sys/kernel/random"))
    (tmp_path / "proc/sys/kernel/random/boot_id").write_text("4f1c8a52-0f7e\n")
    assert LC.boot_id(str(tmp_path)) == "4f1c8a52-0f7e"
