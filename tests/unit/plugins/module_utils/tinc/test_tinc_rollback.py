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
