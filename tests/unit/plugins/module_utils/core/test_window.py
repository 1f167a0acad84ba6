# -*- coding: utf-8 -*-
"""core.window: the densest burst and how its span is said (NM-BGP-010, NM-FLEET-001)."""

from ansible_collections.netmedic.network.plugins.module_utils.core.window import densest, within


def test_densest_is_the_longest_run_in_the_window_and_the_earliest_of_equals():
    events = [0, 1, 2, 50, 51, 52, 200]
    assert densest(events, float, 10) == [0, 1, 2]
    assert densest(events, float, 60) == [0, 1, 2, 50, 51, 52]
    assert densest([], float, 10) == []


def test_within_says_the_same_second_rather_than_within_0_s():
    assert within(0) == "in the same second"
    assert within(0.4) == "in the same second"
    assert within(0.6) == "within 1 s"
    assert within(36) == "within 36 s"
    assert within(58.4) == "within 58 s"
