"""bond/health.py and bond/rollback.py: bond_arp_validate with rollback on a sysfs tree (issue 16).

The tree's "kernel" is a sleep hook: while arp_validate is 'all' its ARP target does not answer,
so every slave is down and the bond has no active slave (the qemu test does it with the real driver).
"""

import os
import shutil

import pytest

from ansible_collections.netmedic.network.plugins.module_utils.bond import rollback as bond_rollback
from ansible_collections.netmedic.network.plugins.module_utils.bond.arp_validate import Request
from ansible_collections.netmedic.network.plugins.module_utils.bond.health import BondHealth
from ansible_collections.netmedic.network.plugins.module_utils.core import rollback
from ansible_collections.netmedic.network.plugins.module_utils.core.fileops import FileOpError
from ansible_collections.netmedic.network.plugins.module_utils.core.sysfs import Sysfs
from support.snapshot import tree as snapshot

from test_bond_sysfs import FIX, make_sysfs

IFACES = "etc/network/interfaces"


class Kernel:
    """bond0's slaves go down while arp_validate is ``dead_value`` (its target does not answer that way)."""

    def __init__(self, root, dead_value="all"):
        self.root, self.dead_value = root, dead_value
        self.now = 0.0
        for slave in ("eno1", "eno2"):
            d = root / "sys/class/net" / slave / "bonding_slave"
            d.mkdir(parents=True)
            (d / "link_failure_count").write_text("0\n")
        self.tick(0)

    def attr(self, *parts):
        return self.root.joinpath("sys/class/net", *parts)

    def clock(self):
        return self.now

    def tick(self, seconds):
        self.now += seconds
        dead = self.attr("bond0/bonding/arp_validate").read_text().split()[0] == self.dead_value
        self.attr("bond0/bonding/active_slave").write_text("" if dead else "eno1\n")
        for slave, state in (("eno1", "active"), ("eno2", "backup")):
            self.attr(slave, "bonding_slave/mii_status").write_text("down\n" if dead else "up\n")
            self.attr(slave, "bonding_slave/state").write_text("backup\n" if dead else state + "\n")


@pytest.fixture
def host(tmp_path):
    root = tmp_path / "host"
    make_sysfs(root)
    shutil.copytree(os.path.join(FIX, "ifupdown", "etc"), str(root / "etc"))
    return root


def _run(host, kernel, check_mode=False, **settings):
    opts = dict(enabled=True, window=10, settle=2, interval=0.5)
    opts.update(settings)
    return bond_rollback.ensure(Request(bonds=["bond0"], root=str(host)), rollback.Settings(**opts),
                                check_mode=check_mode, clock=kernel.clock, sleep=kernel.tick)


def test_health_reads_active_slave_and_each_slave(host):
    Kernel(host, dead_value="nothing")
    snap = BondHealth(Sysfs(str(host)), ["bond0"]).snapshot()
    assert snap["bond0"]["active_slave"] == "eno1" and snap["bond0"]["slaves_up"] == ["eno1", "eno2"]
    assert snap["bond0"]["slaves"]["eno2"] == {"mii_status": "up", "state": "backup", "link_failure_count": 0}


def test_a_change_that_kills_every_slave_is_rolled_back(host):
    kernel = Kernel(host)
    iface_before = (host / IFACES).read_text()
    run = _run(host, kernel)
    rec = run.record
    assert run.error is None and rec.last_result == "rolled_back" and rec.stop_batch
    assert rec.worse == ["bond bond0 has no active slave (before: eno1; slaves now: eno1 down, eno2 down)"]
    assert rec.undone[0] == "bond0 arp_validate back to none (read back)"
    assert rec.undone[1].startswith("%s restored as it was (= " % (host / IFACES))
    assert rec.detected_after == 10.0
    assert (host / "sys/class/net/bond0/bonding/arp_validate").read_text().strip() == "none"
    assert (host / IFACES).read_text() == iface_before
    # the backup of the file is kept (nothing is lost), and it holds the same bytes
    (backup,) = [os.path.join(d, n) for d, _s, ns in os.walk(str(host / "var/backups/netmedic")) for n in ns]
    assert open(backup).read() == iface_before
    assert rec.state_now == ("bond0 arp_validate=none, active slave eno1, slaves eno1 up, eno2 up; back as before "
                             "the change")
    assert rec.watched == ["bond bond0 keeps an active slave (now eno1)"]
    assert rec.before["bond0"]["active_slave"] == "eno1" and rec.after["bond0"]["active_slave"] == "eno1"


def test_a_good_change_is_kept_after_the_settle_time(host):
    kernel = Kernel(host, dead_value="nothing")
    run = _run(host, kernel)
    assert run.record.last_result == "applied" and run.record.worse == [] and run.record.undone == []
    assert run.record.watch_seconds == 2.0 and run.record.healthy_after == 0.0
    assert (host / "sys/class/net/bond0/bonding/arp_validate").read_text().strip() == "all"


def test_check_mode_says_what_would_be_watched_and_writes_nothing(host, tmp_path):
    kernel = Kernel(host)
    before = snapshot(str(tmp_path))
    run = _run(host, kernel, check_mode=True)
    assert run.record.last_result == "would_change" and run.record.watched == [
        "bond bond0 keeps an active slave (now eno1)"]
    assert snapshot(str(tmp_path)) == before and kernel.now == 0


def test_the_undo_failing_says_what_was_undone_and_the_state_now(host, monkeypatch):
    kernel = Kernel(host)

    def refuse(path, content, **kw):
        raise FileOpError("%s: cannot write: Read-only file system" % path)
    monkeypatch.setattr(bond_rollback, "write_atomic", refuse)
    rec = _run(host, kernel).record
    assert rec.last_result == "rollback_failed"
    assert rec.undone == ["bond0 arp_validate back to none (read back)"]
    assert rec.undo_error.startswith("%s could not be restored: " % (host / IFACES)) and "Read-only" in rec.undo_error
    assert "its backup is %s" % (host / "var/backups/netmedic") in rec.undo_error
    assert rec.state_now.endswith("back as before the change")   # the kernel value came back, the file did not
    assert "bond-arp-validate all" in (host / IFACES).read_text()


def test_rollback_off_behaves_as_before(host):
    kernel = Kernel(host)
    run = bond_rollback.ensure(Request(bonds=["bond0"], root=str(host)), rollback.Settings(),
                               clock=kernel.clock, sleep=kernel.tick)
    assert run.record.last_result == "applied" and run.record.before is None and kernel.now == 0
    assert (host / "sys/class/net/bond0/bonding/arp_validate").read_text().strip() == "all"
