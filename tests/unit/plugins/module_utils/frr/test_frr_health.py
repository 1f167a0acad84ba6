# -*- coding: utf-8 -*-
"""frr/health.py and frr/rollback.py's pure parts (issue 16) on FRR 8.4.4's captured output (fixtures/nmrollback)."""

import json
import os

import pytest

from ansible_collections.netmedic.network.plugins.module_utils.bgp.audit import BgpOutputError, load_json
from ansible_collections.netmedic.network.plugins.module_utils.core import rollback
from ansible_collections.netmedic.network.plugins.module_utils.core.health import HealthError
from ansible_collections.netmedic.network.plugins.module_utils.frr import health as fh
from ansible_collections.netmedic.network.plugins.module_utils.frr.rollback import config_text, policy_settle
from support.fuzz import fuzz, json_cases
from support.paths import FIXTURES

FIX = os.path.join(FIXTURES, "nmrollback")


def load(name):
    with open(os.path.join(FIX, name)) as fh_:
        return json.load(fh_)


def snapshot():
    return {
        "daemons": {"zebra": True, "bgpd": True, "ospfd": True, "ospf6d": False, "isisd": True},
        "bgp": fh.bgp_sessions(load("bgp_summary.json")),
        "ospf": {"default 10.0.0.2 eth-b:192.0.2.1": "Full/DR"},
        "ospf6": {},
        "isis": fh.isis_adjacencies(load("isis_neighbor.json")),
        "routes": {"default ipv4 %s" % k: v for k, v in fh.route_counts(load("ip_route_summary.json")).items()},
    }


def test_parsers_read_frr_8_4_output():
    assert fh.bgp_sessions(load("bgp_summary.json")) == {
        "default 192.0.2.2": {"state": "Established", "prefixes": {"ipv4Unicast": 1}}}
    assert fh.ospf_neighbors(load("ospf_neighbor.json")) == {"default 10.0.0.2 eth-b:192.0.2.1": "2-Way/DROther"}
    assert fh.isis_adjacencies(load("isis_neighbor.json")) == {"X 0000.0000.0002 eth-b L2": "Up"}
    assert fh.route_counts(load("ip_route_summary.json")) == {"connected": 1, "static": 1, "ospf": 1, "ebgp": 1,
                                                              "ibgp": 0}
    assert fh.vrf_names("vrf red id 5 table 1001\nvrf blue id 6 table 1002\n") == ["default", "red", "blue"]
    assert fh.vrf_names("") == ["default"]


def test_nothing_changed_is_not_worse():
    h = fh.FrrHealth(target=None)
    assert h.compare(snapshot(), snapshot()) == []


def test_each_kind_of_worse():
    h = fh.FrrHealth(target=None, route_loss=0.2)
    before, after = snapshot(), snapshot()
    before["routes"]["default ipv4 ebgp"] = 10
    after["routes"]["default ipv4 ebgp"] = 8          # 20 %: not more than the share
    after["bgp"]["default 192.0.2.2"]["state"] = "Active"
    after["isis"] = {}
    after["ospf"]["default 10.0.0.2 eth-b:192.0.2.1"] = "Init/DROther"
    after["daemons"]["ospfd"] = False
    assert h.compare(before, after) == [
        "ospfd is not running (it ran before the change)",
        "BGP session default 192.0.2.2 is Active (Established before)",
        "OSPF adjacency default 10.0.0.2 eth-b:192.0.2.1 is Init/DROther (Full/DR before)",
        "ISIS adjacency X 0000.0000.0002 eth-b L2 is gone (Up before)"]
    after = snapshot()
    after["bgp"]["default 192.0.2.2"]["prefixes"]["ipv4Unicast"] = 0
    after["routes"]["default ipv4 ebgp"] = 0
    assert h.compare(before, after) == ["BGP session default 192.0.2.2 ipv4Unicast accepts 0 prefixes (1 before)",
                                        "default ipv4 ebgp routes: 0 (10 before)"]
    assert fh.FrrHealth(target=None, route_loss=1.0).compare(before, after) == []


def test_a_neighbour_the_change_removes_is_not_worse_a_session_down_before_is_ignored():
    h = fh.FrrHealth(target=None)
    before, after = snapshot(), snapshot()
    before["bgp"]["default 192.0.2.9"] = {"state": "Active", "prefixes": {}}
    del after["bgp"]["default 192.0.2.2"]
    after["routes"]["default ipv4 ebgp"] = 0   # its routes go with it: share counted (1 -> 0)
    assert h.compare(before, after) == ["default ipv4 ebgp routes: 0 (1 before)"]


def test_watched_and_describe():
    h = fh.FrrHealth(target=None)
    snap = snapshot()
    watched = h.watched(snap)
    assert watched[0] == "daemons keep running: zebra, bgpd, ospfd, isisd"
    assert "BGP sessions stay Established: default 192.0.2.2" in watched
    assert "isis adjacencies stay up: X 0000.0000.0002 eth-b L2" in watched
    assert h.describe(snap).startswith("daemons running: zebra, bgpd, ospfd, isisd; BGP 1/1 Established; ospf ")


def test_policy_changes_are_watched_at_least_the_route_map_delay_timer():
    s = rollback.Settings(enabled=True, window=60, settle=2)
    assert policy_settle(s, ["router bgp 1 > neighbor 192.0.2.2 description x"], "").settle == 2
    assert policy_settle(s, ["route-map NOTHING deny 10"], "").settle == 6
    assert policy_settle(s, ["no ip prefix-list PL seq 5 permit 10.0.0.0/8"], "").settle == 6
    assert policy_settle(s, ["route-map X permit 10 > set metric 5"], " bgp route-map delay-timer 20\n").settle == 21
    assert policy_settle(rollback.Settings(enabled=True, window=4, settle=2), ["route-map X deny 5"], "").settle == 4


PARSERS = {"bgp_summary.json": fh.bgp_sessions, "ospf_neighbor.json": fh.ospf_neighbors,
           "isis_neighbor.json": fh.isis_adjacencies, "ip_route_summary.json": fh.route_counts}


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_fuzz_health_parsers(name):
    parser = PARSERS[name]

    def one(text):
        parser(load_json(text, name))
    tally = fuzz("frr health %s" % name, one, json_cases([load(name)], 2000, seed=16),
                 allowed=(BgpOutputError, HealthError))
    print(tally.line())
    assert tally.unexpected == []


def test_the_captured_running_config_loses_vtysh_header_only():
    shown = "Building configuration...\n\nCurrent configuration:\n!\nfrr version 8.4.4\nrouter bgp 1\nexit\n!\nend\n"
    assert config_text(shown) == "!\nfrr version 8.4.4\nrouter bgp 1\nexit\n!\nend\n"
    assert config_text("router bgp 1\n") == "router bgp 1\n"
