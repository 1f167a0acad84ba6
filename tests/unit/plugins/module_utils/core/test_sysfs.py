import pytest

from ansible_collections.netmedic.network.plugins.module_utils.core.sysfs import Sysfs, SysfsError


@pytest.fixture
def tree(tmp_path):
    b = tmp_path / "sys/class/net/bond0/bonding"
    b.mkdir(parents=True)
    (b / "arp_validate").write_text("none 0\n")
    (b / "arp_interval").write_text("100\n")
    (tmp_path / "sys/class/net/eth0").mkdir(parents=True)
    return tmp_path


def test_read_under_root(tree):
    s = Sysfs(str(tree))
    assert s.read("/sys/class/net/bond0/bonding/arp_validate") == "none 0"
    assert s.read_int("sys/class/net/bond0/bonding/arp_interval") == 100
    assert s.read("sys/class/net/bond0/bonding/nope", default="x") == "x"
    assert s.net_devices() == ["bond0", "eth0"]
    assert s.listdir("no/such") == []


def test_write_and_errors(tree):
    s = Sysfs(str(tree))
    s.write("all", "sys/class/net/bond0/bonding/arp_validate")
    assert s.read("sys/class/net/bond0/bonding/arp_validate") == "all"
    with pytest.raises(SysfsError, match="cannot open for writing"):
        s.write("all", "sys/class/net/bond1/bonding/arp_validate")
