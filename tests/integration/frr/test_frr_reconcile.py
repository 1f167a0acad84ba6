# -*- coding: utf-8 -*-
"""frr_reconcile against real FRR daemons in network namespaces, on every lab FRR version (8.4, 10.3, 10.7).

The oracle is FRR's own ``frr-reload.py --test``: after we reconcile, it must
see nothing to add or delete except its documented never-converging noise
(frr_incident.frr_reload_residue filters exactly that noise).
"""

import json
import os
import time

import pytest

import frr_incident as fi
from frrfixtures import heavy_only
from nmfrr_helpers import ansible, assert_converged, is_local, playbook, reconcile

from ansible_collections.netmedic.network.plugins.module_utils.frr.vtysh import ReconcileError


def test_incident_replay_watchfrr_killed_the_push(lab):
    """Incident 000 for real: watchfrr's restart timeout (-T 1) kills vtysh -b half-way.

    8,000 lines keep this test short; the benchmark replays 20,000 lines with -T 3.
    """
    heavy_only(lab.machine)
    conf = fi.incident_config(8000, per_list=40)
    r = lab.router("inc", conf, daemons=["bgpd", "ospfd"], watchfrr_options="-T 1")
    r.start(timeout=60)
    # wait until watchfrr has given up on the push (the running config stops growing)
    prev = -1
    for _attempt in range(60):
        time.sleep(0.5)
        n = len(r.running_config().splitlines())
        if n == prev:
            break
        prev = n
    running = r.running_config()
    # the tail never arrived (the push runs at about 2,000 lines/s here: 1 s is far too short)
    assert "\nroute-map TRANSIT-IN permit 10\n" not in running

    before = running
    planned = reconcile(r, check_mode=True)
    assert planned["changed"] is True and planned["plan"]["add"] > 2000 and planned["plan"]["delete"] == 0
    assert r.running_config() == before                  # check mode changed nothing
    assert any(d["name"] == "bgpd" and d["restarted_recently"] for d in planned["daemons"])

    done = reconcile(r)
    assert done["changed"] is True
    assert done["apply_errors"] == [] and done["remaining"] == []
    assert r.machine.exists(done["backup_file"])
    assert "route-map TRANSIT-IN permit 10" in r.running_config()
    assert_converged(r, r.conf_path)


def test_missing_maps_changed_costs_and_running_only_lines(lab):
    conf = fi.incident_config(1500, per_list=50, interfaces=("lo", "eth1"))
    r = lab.router("drift", fi.truncate(conf, 0.6), daemons=["bgpd", "ospfd"])
    lab.dummy(r, "eth1")
    r.start()
    r.write_file("intended.conf", conf)
    # drift by hand after the partial load: a cost changed, lines only in running,
    # a neighbour using a route-map and a prefix-list that the intended config does not have
    r.configure("interface lo", "ip ospf cost 999", "exit",
                "ip prefix-list JUNK seq 5 permit 192.0.2.0/24",
                "route-map OLD permit 10", "match ip address prefix-list JUNK", "exit",
                "router bgp 65001", "neighbor 203.0.113.9 remote-as 64999",
                "address-family ipv4 unicast", "neighbor 203.0.113.9 route-map OLD in", "exit", "exit",
                "bgp community-list standard CUSTOMER seq 10 deny 65001:100")
    intended = os.path.join(r.confdir, "intended.conf")
    planned = reconcile(r, src=intended, check_mode=True)
    script = planned["plan"]["script"]
    # dependency order: the neighbour goes before the route-map it uses, the map before its list
    assert script.index("no neighbor 203.0.113.9 route-map OLD in") < script.index("no route-map OLD permit 10") \
        < script.index("no ip prefix-list JUNK")
    assert " ip ospf cost 100\n" in script and "no ip ospf cost 999" not in script  # replaced, not deleted
    # the community-list entry with a changed line at the same seq is replaced in place
    assert "bgp community-list standard CUSTOMER seq 10 permit 65001:200" in script
    assert "no bgp community-list standard CUSTOMER seq 10" not in script

    done = reconcile(r, src=intended, save=True)
    assert done["remaining"] == [] and done["apply_errors"] == []
    assert done["saved"] is True
    saved = r.read_file("frr.conf")
    assert "route-map TRANSIT-OUT permit 10" in saved and "JUNK" not in saved
    assert_converged(r, intended)


def test_bgp_peer_groups_route_maps_and_lists_with_and_without_seq(lab):
    r1_conf = """frr defaults traditional
router bgp 65001
 bgp router-id 10.255.0.1
 neighbor CORE peer-group
 neighbor CORE remote-as external
 neighbor 192.0.2.2 peer-group CORE
 address-family ipv4 unicast
  network 10.1.0.0/16
  neighbor CORE route-map OLD-OUT out
  neighbor CORE route-map OLD-IN in
 exit-address-family
exit
ip prefix-list OLD seq 5 permit 10.0.0.0/8 le 24
bgp community-list standard OLDC seq 5 permit 65001:1
route-map OLD-OUT permit 10
 match ip address prefix-list OLD
exit
route-map OLD-IN permit 10
exit
"""
    r2_conf = """frr defaults traditional
router bgp 65002
 bgp router-id 10.255.0.2
 no bgp ebgp-requires-policy
 neighbor 192.0.2.1 remote-as 65001
 address-family ipv4 unicast
  network 10.2.0.0/16
 exit-address-family
exit
"""
    intended = """frr defaults traditional
router bgp 65001
 bgp router-id 10.255.0.1
 neighbor CORE peer-group
 neighbor CORE remote-as external
 neighbor 192.0.2.2 peer-group CORE
 address-family ipv4 unicast
  network 10.1.0.0/16
  neighbor CORE route-map NEW-OUT out
  neighbor CORE route-map NEW-IN in
 exit-address-family
exit
ip prefix-list NEW permit 10.0.0.0/8 le 24
ip prefix-list NEW permit 172.16.0.0/12 le 24
ip prefix-list NEW seq 100 deny any
bgp community-list standard CUST permit 65001:100
bgp community-list standard CUST seq 20 permit 65001:200
bgp community-list expanded PRIV permit ^6451[2-9]:
route-map NEW-OUT permit 10
 match ip address prefix-list NEW
 set community 65001:100 additive
exit
route-map NEW-IN permit 10
 match ip address prefix-list NEW
 set local-preference 150
exit
route-map NEW-IN permit 20
 match community CUST
exit
"""
    r1 = lab.router("bgp1", r1_conf, daemons=["bgpd"])
    r2 = lab.router("bgp2", r2_conf, daemons=["bgpd"])
    lab.link(r1, "eth-bgp2", "192.0.2.1/30", r2, "eth-bgp1", "192.0.2.2/30")
    lab.start()
    r1.wait_bgp_established("192.0.2.2", timeout=90)
    path = r1.write_file("intended.conf", intended)

    done = reconcile(r1, src=path)
    assert done["remaining"] == [] and done["apply_errors"] == []
    script = done["plan"]["script"]
    assert script.index("route-map NEW-IN permit 10") < script.index("neighbor CORE route-map NEW-IN in") \
        < script.index("no route-map OLD-IN permit 10")
    assert "no neighbor CORE route-map OLD-IN in" not in script   # replaced in place
    running = r1.running_config()
    assert "ip prefix-list NEW seq 5 permit 10.0.0.0/8 le 24" in running
    assert "ip prefix-list NEW seq 10 permit 172.16.0.0/12 le 24" in running
    assert "bgp community-list standard CUST seq 5 permit 65001:100" in running
    assert "OLD" not in running
    r1.wait_bgp_established("192.0.2.2", timeout=90)
    assert_converged(r1, path)


def test_refuses_invalid_config_and_dead_daemons(lab):
    r = lab.router("refuse", "frr defaults traditional\nip prefix-list A seq 5 permit 10.0.0.0/8\n",
                   daemons=["bgpd", "ospfd"])
    r.start()
    before = r.running_config()
    with pytest.raises(ReconcileError) as err:
        reconcile(r, content="ip prefix-list A seq 5 permit 10.0.0.0/8\nrouter bgp 65001\n neighbor 192.0.2.1 remote-ass 1\n")
    assert "FRR rejects the intended config" in str(err.value)
    assert err.value.data["validation_errors"]

    # watchfrr gone, then ospfd: a half-dead FRR must not be reconciled
    r.kill("watchfrr")
    r.kill("ospfd")
    time.sleep(0.3)
    intended = "ip prefix-list A seq 5 permit 10.0.0.0/8\nip prefix-list B seq 5 permit 10.0.0.0/8\n"
    planned = reconcile(r, content=intended, check_mode=True)      # planning still works
    assert planned["plan"]["commands"] == ["ip prefix-list B seq 5 permit 10.0.0.0/8"]
    with pytest.raises(ReconcileError) as err:
        reconcile(r, content=intended)
    assert "ospfd" in str(err.value) and "not running" in str(err.value)
    assert r.running_config() == before


def test_ansible_module_check_diff_apply_idempotent(lab):
    r = lab.router("ans", "frr defaults traditional\nip prefix-list A seq 5 permit 10.0.0.0/8\n"
                   "route-map RM permit 10\n match ip address prefix-list A\nexit\n", daemons=["bgpd"])
    r.start()
    intended = ("ip prefix-list A permit 10.0.0.0/8\nip prefix-list A permit 10.1.0.0/16\n"
                "route-map RM permit 10\n match ip address prefix-list A\n set local-preference 200\n")
    args = {"pathspace": r.name, "content": intended}
    res = ansible(r, "frr_reconcile", args, check=True, diff=True)
    assert res["changed"] is True and not res.get("failed")
    assert res["plan"]["commands"] == ["ip prefix-list A seq 10 permit 10.1.0.0/16",
                                       "route-map RM permit 10 > set local-preference 200"]
    assert "+ set local-preference 200" in res["unified_diff"]
    if is_local(r):   # the diff callback's output (ansible's side, the same on every version)
        assert "+ set local-preference 200" in res["_printed_diff"]
    assert "local-preference" not in r.running_config()
    assert res["ansible_facts"]["netmedic_frr"]["daemons"]

    res = ansible(r, "frr_reconcile", args)
    assert res["changed"] is True and res["remaining"] == [] and not res.get("failed")
    res = ansible(r, "frr_reconcile", args)
    assert res["changed"] is False and res["plan"]["commands"] == []

    res = ansible(r, "frr_reconcile", {"pathspace": r.name, "content": "route-map RM permit 10\n match ipx address prefix-list A\n"})
    assert res["failed"] is True and "rejects the intended config" in res["msg"]
    res = ansible(r, "frr_reconcile", {"pathspace": "../etc", "content": ""})
    assert res["failed"] is True and "pathspace" in res["msg"]


def test_playbook_role_check_then_apply(lab, tmp_path):
    r = lab.router("play", "frr defaults traditional\ninterface lo\n ip ospf cost 5\nexit\n", daemons=["ospfd"])
    r.start()
    r.write_file("intended.conf", "interface lo\n ip ospf cost 50\n!\nrouter ospf\n network 10.0.0.0/8 area 0\n")
    extra_vars = {"frr_pathspace": r.name, "frr_src": os.path.join(r.confdir, "intended.conf")}
    rc, check = playbook(r, tmp_path, extra_vars, "--check", "--diff")
    assert rc == 0, check
    assert "would run 3 vtysh command(s): 1 running line(s) to remove or replace, 3 to add (check mode)" \
        in check
    assert "+ ip ospf cost 50" in check
    assert "ip ospf cost 5\n" in r.running_config()
    rc, done = playbook(r, tmp_path, extra_vars)
    assert rc == 0, done
    assert "changed=1" in done and "ran 3 vtysh command(s)" in done
    assert "ip ospf cost 50" in r.running_config()
    rc, again = playbook(r, tmp_path, extra_vars)
    assert "FRR already runs the intended config" in again and "changed=0" in again


def test_playbook_role_only_the_daemons_options(lab, tmp_path):
    """The role's second job alone (frr_reconcile=false and a value): the daemons file gets -T, and the running
    config is left alone although it differs from frr.conf; FRR is not restarted (frr_restart is false)."""
    r = lab.router("opts", "frr defaults traditional\nip prefix-list A seq 5 permit 10.0.0.0/8\n", daemons=["bgpd"])
    r.start()
    r.configure("ip prefix-list STRAY seq 5 permit 192.0.2.0/24")
    watchfrr = r.pid("watchfrr")
    daemons = r.read_file("daemons")
    extra_vars = {"frr_pathspace": r.name, "frr_reconcile": False, "frr_watchfrr_restart_timeout": 300}
    rc, check = playbook(r, tmp_path, extra_vars, "--check", "--diff")
    assert rc == 0, check
    assert '+watchfrr_options="-T 300"' in check and r.read_file("daemons") == daemons
    rc, done = playbook(r, tmp_path, extra_vars)
    assert rc == 0, done
    assert "changed=1" in done and "apply at the next FRR restart" in done
    assert 'watchfrr_options="-T 300"' in r.read_file("daemons")
    assert "STRAY" in r.running_config() and r.pid("watchfrr") == watchfrr
    rc, again = playbook(r, tmp_path, extra_vars)
    assert rc == 0 and "changed=0" in again, again


KITCHEN_SINK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kitchen_sink.conf")


def test_kitchen_sink_config_converges_and_a_booted_router_shows_no_drift(lab):
    """A realistic frr.conf (vrf, bgp vrf instance, peer-groups, IPv6 neighbours, OSPF areas and
    defaults, redistribute with route-maps, on-match, large communities, line vty): reconciled
    from an empty FRR it converges; a router booted from the same file shows no drift."""
    with open(KITCHEN_SINK) as fh:
        conf = fh.read()
    routers = []
    for name, start_conf in (("sink1", "frr defaults traditional\n"), ("sink2", conf)):
        r = lab.router(name, start_conf, daemons=["bgpd", "ospfd"])
        lab.dummy(r, "eth1")
        # (the lab kernel has no vrf driver: FRR keeps 'vrf red' as configuration only)
        routers.append(r)
    lab.start()
    r1, r2 = routers
    path = r1.write_file("intended.conf", conf)
    done = reconcile(r1, src=path)
    assert done["apply_errors"] == [] and done["remaining"] == []
    assert_converged(r1, path)
    # the boot push of r2 (vtysh -b) is asynchronous: wait for its last lines
    for _attempt in range(40):
        if "exec-timeout 0 0" in r2.running_config() and "route-map CORE-IN permit 20" in r2.running_config():
            break
        time.sleep(0.5)
    booted = reconcile(r2, check_mode=True)
    assert booted["plan"]["commands"] == [] and booted["changed"] is False


def test_module_refusals_report_changed_false_and_apply_nothing(lab):
    """Issue 11, defect 7, against real FRR 8.4.4: refusals (a daemon down, an empty intended config, a
    missing backup_dir, a NaN timeout) fail with changed=false and leave the running config alone."""
    r = lab.router("refmod", "frr defaults traditional\nip prefix-list A seq 5 permit 10.0.0.0/8\n",
                   daemons=["bgpd", "ospfd"])
    r.start()
    before = r.running_config()
    intended = "ip prefix-list A seq 5 permit 10.0.0.0/8\nip prefix-list B seq 5 permit 10.0.0.0/8\n"

    # check mode validates the content on vtysh's stdin (-C -f /dev/stdin) and plans
    res = ansible(r, "frr_reconcile", {"pathspace": r.name, "content": intended}, check=True)
    assert res["changed"] is True and res["plan"]["commands"] == ["ip prefix-list B seq 5 permit 10.0.0.0/8"]
    res = ansible(r, "frr_reconcile",
                  {"pathspace": r.name, "content": intended + "router bgp 65001\n neighbor 192.0.2.1 remote-ass 1\n"},
                  check=True)
    assert res["failed"] and res["changed"] is False and "FRR rejects the intended config" in res["msg"]

    r.kill("ospfd")
    time.sleep(0.3)
    res = ansible(r, "frr_reconcile", {"pathspace": r.name, "content": intended})
    assert res["failed"] and res["changed"] is False, res
    assert "ospfd" in res["msg"] and "not running" in res["msg"] and "nothing was applied" in res["msg"]
    res = ansible(r, "frr_reconcile", {"pathspace": r.name, "content": "! rendered from an empty template\n", "require_daemons": False})
    assert res["failed"] and res["changed"] is False and "no configuration lines" in res["msg"]
    res = ansible(r, "frr_reconcile", {"pathspace": r.name, "content": intended, "require_daemons": False,
                                       "backup_dir": os.path.join(r.confdir, "no-such-dir")})
    assert res["failed"] and res["changed"] is False and "backup_dir" in res["msg"] and "does not exist" in res["msg"]
    assert "Traceback" not in json.dumps(res)
    res = ansible(r, "frr_reconcile", {"pathspace": r.name, "content": intended, "command_timeout": "nan"})
    assert res["failed"] and "command_timeout must be a finite number" in res["msg"]
    assert r.running_config() == before

    # the same with the refusals lifted: applied, changed=true
    res = ansible(r, "frr_reconcile", {"pathspace": r.name, "content": intended, "require_daemons": False, "backup_dir": r.confdir})
    assert res["changed"] is True and res["remaining"] == [] and not res.get("failed")
    assert "ip prefix-list B seq 5 permit 10.0.0.0/8" in r.running_config()
