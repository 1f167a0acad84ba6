"""core/health.py (the watch loop) and core/rollback.py (the guard, the record): issue 16."""

import pytest

from ansible_collections.netmedic.network.plugins.module_utils.core import rollback
from ansible_collections.netmedic.network.plugins.module_utils.core.health import Health, HealthError, watch


class Clock:
    """A fake monotonic clock; sleep() advances it."""

    def __init__(self):
        self.now = 100.0
        self.slept = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


class Sessions(Health):
    """Health scripted by time: ``states`` maps a start time (seconds after t0) to the set of sessions up."""

    def __init__(self, clock, states, t0=100.0):
        self.clock, self.states, self.t0 = clock, sorted(states.items()), t0

    def snapshot(self):
        up = None
        for start, value in self.states:
            if self.clock() - self.t0 >= start:
                up = value
        if isinstance(up, Exception):
            raise up
        return {"up": sorted(up)}

    def compare(self, before, after):
        return ["session %s is down" % s for s in before["up"] if s not in after["up"]]

    def watched(self, before):
        return ["session %s stays up" % s for s in before["up"]]

    def describe(self, snapshot):
        return "up: %s" % (", ".join(snapshot["up"]) or "none")


def test_a_good_change_costs_the_settle_time_not_the_window():
    clock = Clock()
    health = Sessions(clock, {0: {"a", "b"}})
    seen = watch(health, {"up": ["a", "b"]}, window=60, settle=2, interval=0.5, clock=clock, sleep=clock.sleep)
    assert seen.healthy and seen.seconds == 2.0 and seen.healthy_after == 0.0
    assert sum(clock.slept) == 2.0


def test_a_session_that_bounces_and_comes_back_is_waited_for_then_settled():
    clock = Clock()
    health = Sessions(clock, {0: {"a"}, 3: {"a", "b"}})
    seen = watch(health, {"up": ["a", "b"]}, window=60, settle=2, interval=0.5, clock=clock, sleep=clock.sleep)
    assert seen.healthy and seen.healthy_after == 3.0 and seen.seconds == 5.0


def test_a_break_after_a_healthy_start_restarts_the_settle_time():
    clock = Clock()
    health = Sessions(clock, {0: {"a", "b"}, 1: {"a"}})
    seen = watch(health, {"up": ["a", "b"]}, window=10, settle=2, interval=0.5, clock=clock, sleep=clock.sleep)
    assert not seen.healthy and seen.worse == ["session b is down"] and seen.seconds == 10.0


def test_never_longer_than_the_window_and_settle_above_the_window_watches_it_all():
    clock = Clock()
    health = Sessions(clock, {0: {"a"}})
    seen = watch(health, {"up": ["a"]}, window=3, settle=99, interval=0.7, clock=clock, sleep=clock.sleep)
    assert seen.healthy and seen.seconds == pytest.approx(3.0)
    assert max(clock.slept) <= 0.7


def test_health_that_cannot_be_read_is_worse():
    clock = Clock()
    health = Sessions(clock, {0: HealthError("vtysh: bgpd is not running")})
    seen = watch(health, {"up": ["a"]}, window=2, settle=1, clock=clock, sleep=clock.sleep)
    assert seen.worse == ["the health could not be read: vtysh: bgpd is not running"] and seen.after is None


def _guard(health, clock, undo, settings=None):
    settings = settings or rollback.Settings(enabled=True, window=10, settle=2)
    rec = rollback.record(settings, {"what": "x"})
    rollback.before(settings, health, rec)
    return rollback.guard(settings, health, rec, undo, clock=clock, sleep=clock.sleep)


def test_guard_good_change_is_applied_and_nothing_undone():
    clock = Clock()
    undone = []
    rec = _guard(Sessions(clock, {0: {"a"}}), clock, lambda: undone.append(1) or ["x"])
    assert rec.last_result == "applied" and not rec.stop_batch and undone == []
    assert rec.healthy_after == 0.0 and rec.watch_seconds == 2.0
    assert rec.watched == ["session a stays up"] and rec.before == rec.after == {"up": ["a"]}


def test_guard_worse_change_is_undone_and_the_health_watched_back():
    clock = Clock()
    health = Sessions(clock, {0: {"a"}, 0.2: set()})

    def undo():
        health.states.append((clock() - 100.0 + 1, {"a"}))   # back one second after the undo
        return ["config restored"]
    rec = _guard(health, clock, undo)
    assert rec.last_result == "rolled_back" and rec.stop_batch
    assert rec.worse == ["session a is down"] and rec.undone == ["config restored"]
    assert rec.detected_after == 10.0
    assert rec.state_now == "up: a; back as before the change"
    msg = rec.message()
    assert msg.startswith("ROLLED BACK: the change made the host worse within 10.0 s (session a is down)")
    assert "Undone: config restored. State now: up: a; back as before the change" in msg


def test_guard_failed_undo_says_what_was_done_and_the_state_now():
    clock = Clock()
    health = Sessions(clock, {0: {"a"}, 0.2: set()})

    def undo():
        raise rollback.UndoFailed("bgpd died during the undo", ["runtime value restored"])
    rec = _guard(health, clock, undo)
    assert rec.last_result == "rollback_failed" and rec.stop_batch
    assert rec.undone == ["runtime value restored"] and rec.undo_error == "bgpd died during the undo"
    assert rec.state_now == "up: none; still worse than before the change: session a is down"
    assert "undoing it failed: bgpd died during the undo" in rec.message()


def test_rollback_off_takes_no_snapshot_and_never_undoes():
    clock = Clock()
    settings = rollback.Settings()
    rec = rollback.record(settings, "x")
    rollback.before(settings, Sessions(clock, {0: HealthError("not read")}), rec)
    rollback.guard(settings, None, rec, lambda: pytest.fail("no undo without rollback"))
    assert rec.to_result() == {
        "enabled": False, "desired": "x", "last_result": "applied", "before": None, "after": None, "window": None,
        "watched": [], "worse": [], "undone": [], "state_now": None, "detected_after": None, "healthy_after": None,
        "watch_seconds": None, "undo_error": None}


def test_unreadable_health_before_refuses_the_change():
    clock = Clock()
    settings = rollback.Settings(enabled=True)
    with pytest.raises(HealthError, match="the health before the change cannot be read"):
        rollback.before(settings, Sessions(clock, {0: HealthError("no vtysh")}), rollback.record(settings, "x"))
