# -*- coding: utf-8 -*-
"""frr/daemons_rollback.py: frr_daemons_options with rollback (issue 16), fake restart, scripted health."""

from ansible_collections.netmedic.network.plugins.module_utils.core import rollback
from ansible_collections.netmedic.network.plugins.module_utils.core.health import Health
from ansible_collections.netmedic.network.plugins.module_utils.frr import daemons_rollback
from ansible_collections.netmedic.network.plugins.module_utils.frr.settings import Request
from support.fakes import FakeRunner

DAEMONS = 'bgpd=yes\nwatchfrr_options=""\nzebra_options="  -A 127.0.0.1 -s 90000000"\n'


class FileHealth(Health):
    """The session is down while the daemons file says ``bad``; a fake clock."""

    def __init__(self, path, bad):
        self.path, self.bad, self.now = path, bad, 0.0

    def clock(self):
        return self.now

    def sleep(self, s):
        self.now += s

    def snapshot(self):
        return {"up": self.bad not in self.path.read_text()}

    def compare(self, before, after):
        return ["BGP session default 192.0.2.2 is Active (Established before)"] if before["up"] and not after["up"] \
            else []

    def watched(self, before):
        return ["BGP sessions stay Established: default 192.0.2.2"]

    def describe(self, snapshot):
        return "BGP 1/1 Established" if snapshot["up"] else "BGP 0/1 Established"


def _run(tmp_path, bad, **request):
    path = tmp_path / "daemons"
    path.write_text(DAEMONS)
    health = FileHealth(path, bad)
    runner = FakeRunner({"bash": "", "frrinit.sh restart": ""}, tools=("bash",))
    req = dict(path=str(path), pathspace="nmrbunit", restart=True, watchfrr_restart_timeout=120)
    req.update(request)
    run = daemons_rollback.ensure(Request(**req), rollback.Settings(enabled=True, window=10, settle=2), runner=runner,
                                  health=health, clock=health.clock, sleep=health.sleep)
    return run, path, runner


def test_a_restart_that_loses_a_session_is_undone(tmp_path):
    run, path, runner = _run(tmp_path, bad="-T 120")
    rec = run.record
    assert rec.last_result == "rolled_back" and rec.worse == [
        "BGP session default 192.0.2.2 is Active (Established before)"]
    assert rec.undone[:2] == ["%s restored as it was" % path, "FRR restarted (/usr/lib/frr/frrinit.sh restart nmrbunit)"]
    assert path.read_text() == DAEMONS and rec.state_now == "BGP 1/1 Established; back as before the change"
    # both restarts (the change, the undo) with frrinit.sh's output in a file (FRR 10 keeps a pipe open, issue 14)
    assert [c.rsplit(" sh ", 1)[-1].split(" ", 1)[1] for c in runner.calls if "frrinit" in c] == \
        ["/usr/lib/frr/frrinit.sh restart nmrbunit"] * 2


def test_a_good_restart_is_kept(tmp_path):
    run, path, _runner = _run(tmp_path, bad="never")
    assert run.record.last_result == "applied" and "-T 120" in path.read_text() and run.record.watch_seconds == 2


def test_rollback_without_restart_is_refused_and_writes_nothing(tmp_path):
    run, path, runner = _run(tmp_path, bad="-T 120", restart=False)
    assert run.error and "rollback needs restart=true" in str(run.error) and run.record.last_result == "failed"
    assert path.read_text() == DAEMONS and runner.calls == []
