"""The postflight says which sessions came back (core/sessions.py through core/compare.py, issue 15)."""

from ansible_collections.netmedic.network.plugins.module_utils.core import compare as C
from ansible_collections.netmedic.network.plugins.module_utils.core import sessions as S
from ansible_collections.netmedic.network.plugins.module_utils.core.report import build_report

A, B, X, Y = "peer 10.0.0.1", "peer 10.0.0.2", "peer 10.0.0.3", "peer 10.0.0.4"


def snap(**sessions):
    """{"bgp": snapshot} with sessions given as name=(up, established_epoch, connections_established)."""
    return {"bgp": {"format": "netmedic-bgp-sessions", "version": 1, "taken": 1.0, "sessions": {
        name.replace("_", " "): {"up": up, "state": "Established" if up else "Active", "established_epoch": epoch,
                                 "connections_established": count}
        for name, (up, epoch, count) in sessions.items()}}}


def report(snapshots):
    return build_report({"c02": {"findings": [], "snapshots": snapshots,
                                 "audits": [{"name": "bgp", "status": "ran", "checks": ["NM-BGP-001"]}]}},
                        generated="t")


def test_a_bounced_session_came_back_a_steady_one_did_not():
    before = snap(**{"peer_10.0.0.1": (True, 100, 1), "peer_10.0.0.2": (True, 100, 1)})
    now = snap(**{"peer_10.0.0.1": (True, 500, 1), "peer_10.0.0.2": (True, 100, 1)})  # FRR restarted: count 1 again
    got = S.compare(before, now)
    assert got == {"back": [A], "down": [], "still_down": [], "steady": 1, "compared": True}


def test_down_then_up_lost_since_and_still_down():
    before = snap(**{"peer_10.0.0.1": (False, 100, 3), "peer_10.0.0.2": (True, 100, 1),
                     "peer_10.0.0.3": (False, None, 0), "peer_10.0.0.4": (True, 100, 2)})
    now = snap(**{"peer_10.0.0.1": (True, 100, 3), "peer_10.0.0.2": (False, 100, 1),
                  "peer_10.0.0.3": (False, None, 0), "peer_10.0.0.4": (True, 100, 3)})
    got = S.compare(before, now)
    assert got == {"back": [A, Y], "down": [B], "still_down": [X], "steady": 0, "compared": True}
    assert S.line(got) == ("sessions back: peer 10.0.0.1, peer 10.0.0.4; down since the preflight: peer 10.0.0.2; "
                           "still down: peer 10.0.0.3")


def test_nothing_recorded_is_not_compared():
    assert S.compare(None, snap(**{"peer_10.0.0.1": (True, 1, 1)}))["compared"] is False
    assert S.compare({"link_flaps": {"interfaces": {}}}, {"bgp": "garbage"})["compared"] is False
    assert S.line({"compared": False}) == ""


def test_odd_values_do_not_crash():
    before = {"bgp": {"sessions": {A: {"up": "yes", "established_epoch": "x"}, B: "up", 3: {"up": True}}}}
    now = {"bgp": {"sessions": {A: {"up": True, "established_epoch": True, "connections_established": None},
                                "3": {"up": True, "connections_established": 2}}}}
    got = S.compare(before, now)
    assert got["back"] == [A] and got["steady"] == 1


def test_the_postflight_comparison_says_which_sessions_came_back():
    base = report(snap(**{"peer_10.0.0.1": (True, 100, 1)}))
    cur = report(snap(**{"peer_10.0.0.1": (True, 900, 1)}))
    got = C.compare(base, cur, "preflight.json", {}, {"bgp": "bgp"})
    assert got["hosts"]["c02"]["sessions"]["back"] == [A]
    line = C.host_line(got, "c02", cur, {})
    assert line == "new since the preflight: none; gone: none; sessions back: peer 10.0.0.1; down since the preflight: none"


def test_a_report_without_sessions_keeps_the_comparison_as_it_was():
    got = C.compare(report({}), report({}), "preflight.json", {}, {"bgp": "bgp"})
    assert "sessions" not in got["hosts"]["c02"]
    assert C.host_line(got, "c02", report({}), {}) == "new since the preflight: none; gone: none"
