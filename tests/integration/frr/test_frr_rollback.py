# -*- coding: utf-8 -*-
"""frr_reconcile's rollback against real FRR daemons (issue 16): real faults, real undo, on every lab FRR
version (8.4 on this host, 10.3 and 10.7 in their release containers: the directory's ``lab``).

Two routers (r1 AS 65001, r2 AS 65002) with a BGP session (r2 announces 10 prefixes) and an OSPF
point-to-point adjacency, fast timers so a session comes back in seconds.  The code under test,
frr_reconcile's rollback (module_utils frr.rollback.run, what the module's main() calls), runs inside
the machine of the routers (``machine.call``, tests/lab/frr_call.py) with that release's Python, vtysh
and FRR, as on a router.  Oracles independent of the module: FRR's own ``frr-reload.py --test`` of that
release (the running config equals the one captured before the change), vtysh's view of the session
(``BGP state = Established``) and of the prefixes.
"""

import json
import os
import time

import pytest

import frr_incident as fi
from ansible_collections.netmedic.network.plugins.module_utils.frr.rollback import config_text

R1 = """frr defaults traditional
hostname r1
interface eth-r2
 ip ospf network point-to-point
 ip ospf hello-interval 1
 ip ospf dead-interval 3
exit
router bgp 65001
 bgp router-id 10.255.0.1
 no bgp ebgp-requires-policy
 neighbor 192.0.2.2 remote-as 65002
 neighbor 192.0.2.2 timers 1 3
 neighbor 192.0.2.2 timers connect 1
exit
router ospf
 ospf router-id 10.255.0.1
 network 192.0.2.0/30 area 0
exit
"""

R2 = """frr defaults traditional
hostname r2
interface eth-r1
 ip ospf network point-to-point
 ip ospf hello-interval 1
 ip ospf dead-interval 3
exit
router bgp 65002
 bgp router-id 10.255.0.2
 no bgp ebgp-requires-policy
 neighbor 192.0.2.1 remote-as 65001
 neighbor 192.0.2.1 timers 1 3
 neighbor 192.0.2.1 timers connect 1
 address-family ipv4 unicast
  redistribute static
 exit-address-family
exit
router ospf
 ospf router-id 10.255.0.2
 network 192.0.2.0/30 area 0
exit
""" + "".join("ip route 10.20.%d.0/24 Null0\n" % i for i in range(10))

ROLLBACK = {"rollback": True, "rollback_window": 8, "rollback_settle": 2}


@pytest.fixture
def routers(lab):
    r1 = lab.router("r1", R1, daemons=["bgpd", "ospfd"])
    r2 = lab.router("r2", R2, daemons=["bgpd", "ospfd"])
    lab.link(r1, "eth-r2", "192.0.2.1/30", r2, "eth-r1", "192.0.2.2/30")
    r1.start()
    r2.start()
    r1.wait_bgp_established("192.0.2.2", timeout=60)
    _wait(lambda: _prefixes(r1) == 10 and _ospf_full(r1), 60, "10 prefixes and OSPF Full on r1")
    return r1, r2


def _wait(cond, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.2)
    raise AssertionError("not within %s s: %s" % (timeout, what))


def _prefixes(r):
    data = json.loads(r.vtysh("show bgp summary json", check=False) or "{}")
    return ((data.get("ipv4Unicast") or {}).get("peers") or {}).get("192.0.2.2", {}).get("pfxRcd")


def _ospf_full(r):
    return "Full" in r.vtysh("show ip ospf neighbor", check=False)


def module(router, args, check=False, timeout=180):
    """frr_reconcile with ``args`` (the module's options) on ``router``'s machine: its result, ``failed`` and
    ``msg`` as the module's main() returns them (it fails with the outcome's error), ``_seconds`` the call's."""
    args = dict(args)
    settings = {"enabled": args.pop("rollback", False), "window": args.pop("rollback_window", 60),
                "settle": args.pop("rollback_settle", 5)}
    route_loss = args.pop("rollback_route_loss", 0.2)
    answer = router.machine.call("rollback", timeout=timeout, request=dict(args, check_mode=check),
                                 settings=settings, route_loss=route_loss)
    res = dict(answer["result"], _seconds=answer["seconds"])
    if answer["error"]:
        res.update(failed=True, msg=answer["error"])
    return res


def _captured(r):
    """The running config now, in a file for frr-reload.py --test (the oracle)."""
    return r.write_file("captured.conf", config_text(r.running_config()))


def _assert_back(r1, captured):
    assert r1.bgp_peer_state("192.0.2.2") == "Established"
    assert fi.frr_reload_residue(r1.name, captured, machine=r1.machine) == []


def test_wrong_remote_as_drops_the_session_and_is_rolled_back(routers):
    r1, _r2 = routers
    captured = _captured(r1)
    intended = R1.replace("neighbor 192.0.2.2 remote-as 65002", "neighbor 192.0.2.2 remote-as 65099")
    res = module(r1, dict(ROLLBACK, content=intended, pathspace=r1.name))
    rb = res["rollback"]
    assert res["failed"] and res["changed"] and rb["last_result"] == "rolled_back", res.get("msg")
    assert "BGP session default 192.0.2.2 is " in rb["worse"][0] and "(Established before)" in rb["worse"][0]
    assert rb["detected_after"] <= 9 and rb["undone"][-1] == "the running config equals the captured one again"
    assert rb["state_now"].endswith("back as before the change"), rb["state_now"]
    assert res["msg"].startswith("ROLLED BACK: the change made the host worse within")
    _assert_back(r1, captured)
    assert "remote-as 65002" in r1.running_config()


def test_a_route_map_that_denies_everything_is_rolled_back(routers):
    r1, _r2 = routers
    captured = _captured(r1)
    intended = R1.replace(" neighbor 192.0.2.2 timers connect 1\n",
                          " neighbor 192.0.2.2 timers connect 1\n address-family ipv4 unicast\n"
                          "  neighbor 192.0.2.2 route-map NOTHING in\n exit-address-family\n") \
        + "route-map NOTHING deny 10\nexit\n"
    res = module(r1, dict(ROLLBACK, content=intended, pathspace=r1.name))
    rb = res["rollback"]
    assert res["failed"] and rb["last_result"] == "rolled_back", res.get("msg")
    assert "BGP session default 192.0.2.2 ipv4Unicast accepts 0 prefixes (10 before)" in rb["worse"]
    assert any(w.startswith("default ipv4 ebgp routes: 0 (10 before)") for w in rb["worse"]), rb["worse"]
    _assert_back(r1, captured)
    _wait(lambda: _prefixes(r1) == 10, 20, "the 10 prefixes back")
    assert "NOTHING" not in r1.running_config()


def test_a_good_change_is_kept_and_costs_only_the_settle_time(routers):
    r1, _r2 = routers
    intended = R1.replace(" neighbor 192.0.2.2 timers 1 3\n",
                          " neighbor 192.0.2.2 description r2 uplink\n neighbor 192.0.2.2 timers 1 3\n")
    plain = module(r1, dict(content=R1, pathspace=r1.name))         # nothing to change: the cost of a run
    res = module(r1, dict(ROLLBACK, content=intended, pathspace=r1.name, rollback_window=60))
    rb = res["rollback"]
    assert not res.get("failed") and res["changed"] and rb["last_result"] == "applied", res.get("msg")
    assert rb["worse"] == [] and rb["undone"] == [] and rb["watch_seconds"] < 6, rb
    assert "description r2 uplink" in r1.running_config()
    assert rb["before"]["bgp"]["default 192.0.2.2"]["prefixes"] == {"ipv4Unicast": 10}
    assert any(k.startswith("default 10.255.0.2 eth-r2") for k in rb["before"]["ospf"]), rb["before"]["ospf"]
    print("good change with rollback: %.1f s (watch %.1f s); a run that changes nothing: %.1f s"
          % (res["_seconds"], rb["watch_seconds"], plain["_seconds"]))


def test_check_mode_says_what_would_be_watched_and_changes_nothing(routers):
    r1, _r2 = routers
    before = r1.running_config()
    res = module(r1, dict(ROLLBACK, content=R1.replace("65002", "65099"), pathspace=r1.name), check=True)
    rb = res["rollback"]
    assert not res.get("failed") and res["changed"] and rb["last_result"] == "would_change"
    assert "BGP sessions stay Established: default 192.0.2.2" in rb["watched"]
    assert any(w.startswith("ospf adjacencies stay up: default 10.255.0.2") for w in rb["watched"])
    assert r1.running_config() == before


WRAPPER = """#!/bin/sh
# vtysh for the test: the second 'vtysh -f' (the undo's apply) first kills watchfrr and bgpd
case " $* " in *" -C "*) ;; *" -f "*)
  n=$(cat %(count)s 2>/dev/null || echo 0); n=$((n+1)); echo $n > %(count)s
  if [ $n -eq 2 ]; then kill -9 $(cat %(run)s/watchfrr.pid) $(cat %(run)s/bgpd.pid); sleep 0.5; fi;;
esac
exec vtysh "$@"
"""


def test_the_undo_failing_says_exactly_what_state_the_host_is_in(routers):
    r1, _r2 = routers
    wrapper = os.path.join(r1.confdir, "vtysh-wrapper")     # on the routers' machine
    r1.machine.write_file(wrapper, WRAPPER % {"count": os.path.join(r1.confdir, "wrapper-count"), "run": r1.rundir},
                          mode=0o755, frr_owned=False)
    intended = R1.replace("neighbor 192.0.2.2 remote-as 65002", "neighbor 192.0.2.2 remote-as 65099")
    res = module(r1, dict(ROLLBACK, content=intended, pathspace=r1.name, vtysh=str(wrapper)))
    rb = res["rollback"]
    assert res["failed"] and rb["last_result"] == "rollback_failed", res.get("msg")
    assert res["msg"].startswith("ROLLBACK FAILED: the change made the host worse")
    assert "daemons not running: bgpd" in rb["undo_error"], rb["undo_error"]
    assert "still differ from the captured one" in rb["undo_error"]
    assert rb["state_now"].startswith("daemons running: zebra, ospfd"), rb["state_now"]
    assert "bgpd is not running (it ran before the change)" in rb["state_now"]
    assert not r1.running("bgpd")      # independently: what the module says is what the host is in
