"""tinc/rollback.py: tinc_safe_restart's rollback record (issue 16)."""

from ansible_collections.netmedic.network.plugins.module_utils.tinc.report import Report
from ansible_collections.netmedic.network.plugins.module_utils.tinc.rollback import record

BEFORE = {"running": True, "interface": "t3o", "bridge": "br-int", "pid": 10}
AFTER = {"running": True, "interface": "t3o", "bridge": None, "pid": 11}


def test_a_storm_back_off_is_a_rollback_that_stops_the_batch():
    r = Report("t3o", "restart", ok=False, changed=True, before=BEFORE, after=AFTER,
               state_left="tincd running (pid 11, plain); t3o detached (in no bridge)",
               peers={"connected": ["site2"]},
               storm={"port": "t3o", "storm": True, "reasons": ["ARP rate on t3o reached 900/s (threshold 200/s)"]})
    rec = record(r, check_mode=False)
    assert rec.last_result == "rolled_back" and rec.stop_batch and not rec.enabled
    assert rec.worse == ["ARP rate on t3o reached 900/s (threshold 200/s)"]
    assert rec.undone == ["took t3o out of its bridge again; tincd left running outside it"]
    assert rec.before == {"running": True, "interface": "t3o", "bridge": "br-int"}
    assert rec.after == {"running": True, "interface": "t3o", "bridge": None, "peers_connected": ["site2"]}
    assert rec.desired == {"netname": "t3o", "mode": "restart"}


def test_other_outcomes():
    ok = Report("t3o", "reload", ok=True, changed=True, before=BEFORE, after=BEFORE)
    assert record(ok, check_mode=False).last_result == "applied"
    assert record(ok, check_mode=True).last_result == "would_change"
    failed = Report("t3o", "restart", ok=False, changed=True, before=BEFORE, after=AFTER,
                    storm={"port": "t3o", "storm": False})
    assert record(failed, check_mode=False).last_result == "failed"
    refused = Report("t3o", "restart", ok=False)
    assert record(refused, check_mode=False).to_result()["before"] is None


# ---------------------------------------------------------------- with the rollback setting (tinc.rollback.undo,
# the storm path, tinc.health's judgement); the whole thing runs against real tincd in
# tests/integration/tinc/test_tinc_rollback.py

import json  # noqa: E402

import pytest  # noqa: E402

from ansible_collections.netmedic.network.plugins.module_utils.core import rollback as core  # noqa: E402
from ansible_collections.netmedic.network.plugins.module_utils.core.runner import CommandError, Result  # noqa: E402
from ansible_collections.netmedic.network.plugins.module_utils.tinc import rollback as R  # noqa: E402
from ansible_collections.netmedic.network.plugins.module_utils.tinc.health import TincHealth  # noqa: E402
from ansible_collections.netmedic.network.plugins.module_utils.tinc.options import RestartOptions  # noqa: E402
from ansible_collections.netmedic.network.plugins.module_utils.tinc.run import Run  # noqa: E402
from ansible_collections.netmedic.network.plugins.module_utils.tinc.state import TincState  # noqa: E402


class Links:
    """`ip -j -d link show` and `ip link set dev X master B | nomaster | up` on one tap."""

    def __init__(self, master=None, exists=True, refuse=False):
        self.master, self.exists, self.refuse, self.calls = master, exists, refuse, []

    def __call__(self, argv, timeout=None, check=False, **kw):
        self.calls.append(list(argv))
        if argv[:3] == ["ip", "-j", "-d"]:
            link = {"ifname": "t3o", "flags": ["UP"]}
            if self.master:
                link.update(master=self.master, linkinfo={"info_slave_kind": "bridge"})
            return Result(list(argv), 0, json.dumps([link] if self.exists else []), "", 0.0)
        if self.refuse:
            res = Result(list(argv), 2, "", "RTNETLINK answers: Operation not permitted", 0.0)
            if check:
                raise CommandError(res.describe(), res)
            return res
        if "master" in argv:
            self.master = argv[argv.index("master") + 1]
        elif "nomaster" in argv:
            self.master = None
        return Result(list(argv), 0, "", "", 0.0)


def a_run(tmp_path, links):
    run = Run(RestartOptions("t3o", config_dir=str(tmp_path)), runner=links)
    run.state = TincState(netname="t3o", config_dir=str(tmp_path), interface="t3o")
    run.bridge = "br-int"
    return run


HEALTHY = {"running": True, "pid": 10, "interface": "t3o", "interface_exists": True, "bridge": "br-int",
           "peers_connected": ["site2"], "peers_view": "TCP connections", "unnamed_connections": 0}


def test_undo_puts_the_port_back_into_its_bridge_and_says_what_cannot_be_undone(tmp_path):
    links = Links(master=None)
    done = R.undo(a_run(tmp_path, links), HEALTHY)
    assert done == ["put t3o back into br-int, as before the restart (read back)", R.NOT_UNDONE]
    assert links.master == "br-int"


def test_undo_with_nothing_to_put_back_fails_saying_so(tmp_path):
    with pytest.raises(core.UndoFailed) as err:
        R.undo(a_run(tmp_path, Links(master="br-int")), HEALTHY)
    assert str(err.value).startswith("nothing that got worse can be undone: not undone: the restart itself")
    assert err.value.undone == []


@pytest.mark.parametrize("links, words", [
    (Links(exists=False), "t3o cannot be put back into br-int: the interface does not exist"),
    (Links(master="br-other"), "t3o is in bridge br-other, not br-int as before; not moving it between bridges"),
    (Links(refuse=True), "the bridge membership of t3o could not be put back: "),
])
def test_undo_that_cannot_put_the_port_back(tmp_path, links, words):
    with pytest.raises(core.UndoFailed) as err:
        R.undo(a_run(tmp_path, links), HEALTHY)
    assert str(err.value).startswith(words), str(err.value)


def test_undo_takes_out_a_port_that_was_in_no_bridge_before(tmp_path):
    links = Links(master="br-int")
    done = R.undo(a_run(tmp_path, links), dict(HEALTHY, bridge=None))
    assert done[0] == "took t3o out of br-int: it was in no bridge before the restart (read back)"
    assert links.master is None


class Fixed(TincHealth):
    def __init__(self, run, snap):
        self.run, self.peers, self.snap = run, {"site2": ["192.0.2.2"]}, snap

    def snapshot(self):
        return self.snap


def test_storm_with_rollback_is_rolled_back_with_the_port_out(tmp_path):
    run = a_run(tmp_path, Links(master=None))
    run.report.ok = False
    run.report.storm = {"port": "t3o", "storm": True, "reasons": ["ARP rate on t3o reached 900/s"]}
    rec = core.record(core.Settings(enabled=True), R.desired(run.o))
    R._storm_backed_off(run, Fixed(run, dict(HEALTHY, bridge=None)), rec, 7.25)
    assert rec.last_result == "rolled_back" and rec.detected_after == 7.25
    assert rec.worse == ["ARP rate on t3o reached 900/s"]
    assert rec.undone == ["took t3o out of br-int, the safe state during a storm (read back); tincd left running "
                          "outside the bridge", R.NOT_UNDONE]
    assert rec.state_now == ("tincd running (pid 10); t3o in no bridge; peers connected: site2; out of its bridge "
                             "until the second layer-2 path is found")
    # the port still in the bridge: the back-off did not work
    rec = core.record(core.Settings(enabled=True), R.desired(run.o))
    R._storm_backed_off(run, Fixed(run, HEALTHY), rec, 7.25)
    assert rec.last_result == "rollback_failed" and "could not be taken out of br-int" in rec.undo_error


def test_health_judgement(tmp_path):
    health = Fixed(a_run(tmp_path, Links()), HEALTHY)
    assert health.compare(HEALTHY, HEALTHY) == []
    assert health.compare(HEALTHY, dict(HEALTHY, running=False, pid=None, interface_exists=False, bridge=None,
                                        peers_connected=[])) == [
        "tincd of t3o is not running (it ran before, pid 10)",
        "t3o is absent (it was in bridge br-int before)",
        "peer site2 not connected (connected before)"]
    # what was not healthy before is not held against the change
    down = dict(HEALTHY, running=False, bridge=None, peers_connected=[], unnamed_connections=2)
    assert health.compare(down, dict(down, unnamed_connections=2)) == []
    assert health.compare(down, dict(down, unnamed_connections=1)) == [
        "tincd has 1 connection(s) to addresses no host file names, 2 before"]
    assert health.watched(HEALTHY) == ["tincd of t3o runs (pid 10 before; a restart gives it a new one)",
                                       "t3o stays in bridge br-int",
                                       "peer site2 is connected again (TCP connections)"]


def test_rollback_settings_out_of_range_name_the_option():
    from ansible_collections.netmedic.network.plugins.module_utils.tinc.errors import TincStateError
    with pytest.raises(TincStateError, match="rollback_window"):
        R.ensure(RestartOptions("t3o"), core.Settings(enabled=True, window=float("nan")))
