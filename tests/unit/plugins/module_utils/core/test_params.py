import math

import pytest

from ansible_collections.netmedic.network.plugins.module_utils.core import params as P


@pytest.mark.parametrize("value,ok", [
    (1, True), (0.5, True), (None, True), (86400, True),
    (float("nan"), False), (float("inf"), False), (-float("inf"), False),
    (0, False), (-1, False), (1e308, False), (86401, False), (True, False), ("5", False),
])
def test_seconds(value, ok):
    msg = P.range_error("command_timeout", value, P.SECONDS)
    assert (msg is None) == ok
    if not ok:
        assert msg.startswith("command_timeout must be")


def test_messages_name_every_bad_option():
    errs = P.range_errors({"a": math.nan, "b": 5, "c": -2}, {"a": P.SECONDS, "b": (1, 10), "c": (0, None)})
    assert errs == ["a must be a finite number, got nan", "c must be at least 0, got -2"]


def test_open_ranges_are_described():
    assert P.range_error("x", 11, (None, 10)) == "x must be at most 10, got 11"
    assert P.range_error("x", 0.5, (1.0, 2.5)) == "x must be between 1 and 2.5, got 0.5"
