# -*- coding: utf-8 -*-
"""frr-reload.py's known failures as regression tests of frr_reconcile, on every lab FRR version.

Each case comes from an FRRouting/frr issue or pull request where frr-reload.py
(FRR's own reconciler) went wrong on a real configuration (the references are
beside each case; the configurations here are our own, written after the
reports).  For each, against real FRR: the router goes to the case's start
state, is reconciled to the intended config, and

* converges: nothing in ``remaining``, no line refused by vtysh, a second run
  plans nothing (``changed: false``), and frr-reload.py ``--test`` of the same
  version sees nothing to do (where frr-reload.py itself reads the config
  right; the cases where it does not say so);
* does no collateral damage: the eBGP session to r2 (with BFD) and the OSPF
  adjacency over the same link stay up through the change, measured by
  bgpd's connectionsEstablished/connectionsDropped counters, the OSPF
  neighbour's upTimeInMsec and the BFD peer's session id and uptime before
  and after.

One pair of routers per version serves every case (they share the base
config; each case starts by reconciling to its start state).  #15709 and
#14439 (``interface X vrf Y`` flapping OSPF) need a kernel VRF device, and
this machine's kernel has no vrf driver (``ip link add red type vrf`` fails:
"Unknown device type"): the interface case below changes an interface that
carries an OSPF adjacency, and the VRF case itself runs in a qemu VM with the
Debian 12 kernel and FRR 8.4.4, ``make frr-vrf``
(tests/integration_vm_frr/test_frr_vrf_vm.py; not in ``make test``).
"""

import json
import time

import pytest

from frrfixtures import lab_on
from nmfrr_helpers import reconcile, residue

from ansible_collections.netmedic.network.plugins.module_utils.frr.vtysh import ReconcileError

PEER, ME = "10.99.1.2", "10.99.1.1"


def conf(top="", iface="", bgp="", af="", bfd="", tail="", name="r1", asn=65001, me=ME, peer=PEER, peer_asn=65002):
    """The base config with a case's lines in its contexts."""
    return ("frr defaults traditional\nhostname {name}\n{top}"
            "interface eth-x\n ip ospf area 0\n ip ospf hello-interval 1\n ip ospf dead-interval 4\n{iface}exit\n!\n"
            "router bgp {asn}\n bgp router-id {me}\n no bgp ebgp-requires-policy\n"
            " neighbor {peer} remote-as {peer_asn}\n neighbor {peer} bfd\n{bgp}"
            " !\n address-family ipv4 unicast\n  redistribute connected\n{af} exit-address-family\nexit\n!\n"
            "router ospf\n ospf router-id {me}\nexit\n!\n"
            "bfd\n peer {peer}\n{bfd} exit\n !\nexit\n!\n{tail}").format(
                name=name, top=top, iface=iface, asn=asn, me=me, peer=peer, peer_asn=peer_asn, bgp=bgp, af=af,
                bfd=bfd, tail=tail)


@pytest.fixture(scope="module")
def pair(frr_machine):
    with lab_on(frr_machine, "nmfrk-") as lab:
        r1 = lab.router("r1", conf(), daemons=["bgpd", "ospfd", "bfdd"])
        r2 = lab.router("r2", conf(name="r2", asn=65002, me=PEER, peer=ME, peer_asn=65001),
                        daemons=["bgpd", "ospfd", "bfdd"])
        lab.link(r1, "eth-x", ME + "/30", r2, "eth-x", PEER + "/30")
        lab.start()
        r1.wait_bgp_established(PEER, timeout=90)
        _wait(lambda: _health(r1)["ospf_up_ms"] > 0 and _health(r1)["bfd_up"], 30, "OSPF Full and BFD up")
        yield r1, r2


def _wait(cond, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.3)
    raise AssertionError("timed out waiting for " + what)


def _json(router, command):
    try:
        return json.loads(router.vtysh(command, check=False) or "{}")
    except ValueError:
        return {}


def _health(r1):
    """The sessions a change must not bounce: BGP (counters), OSPF (neighbour uptime), BFD (session id)."""
    bgp = _json(r1, "show bgp neighbors %s json" % PEER).get(PEER, {})
    ospf = (_json(r1, "show ip ospf neighbor json").get("neighbors") or {}).get(PEER) or [{}]
    bfd = [p for p in (_json(r1, "show bfd peers json") or []) if isinstance(p, dict) and p.get("peer") == PEER]
    return {"bgp_state": bgp.get("bgpState"), "bgp_established": bgp.get("connectionsEstablished"),
            "bgp_dropped": bgp.get("connectionsDropped"), "ospf_state": ospf[0].get("nbrState", ""),
            "ospf_up_ms": ospf[0].get("upTimeInMsec", 0) if str(ospf[0].get("nbrState", "")).startswith("Full")
            else 0,
            "bfd_up": bool(bfd) and bfd[0].get("status") == "up", "bfd_id": bfd[0].get("id") if bfd else None,
            "bfd_uptime": bfd[0].get("uptime", 0) if bfd else 0}


def _untouched(before, after):
    """Nothing bounced between the two health samples."""
    assert after["bgp_state"] == "Established", after
    assert (after["bgp_established"], after["bgp_dropped"]) == (before["bgp_established"], before["bgp_dropped"]), \
        (before, after)
    assert after["ospf_up_ms"] >= before["ospf_up_ms"] > 0, (before, after)      # the adjacency was not reset
    assert after["bfd_up"] and after["bfd_id"] == before["bfd_id"] and after["bfd_uptime"] >= before["bfd_uptime"], \
        (before, after)


def _to(r1, text, name):
    """Reconcile r1 to ``text`` (written to a file beside its frr.conf): the result and the file's path."""
    path = r1.write_file(name, text)
    return reconcile(r1, src=path), path


def _case(pair, start, intended, oracle=True):
    """Start state, then the intended config; asserts convergence and no collateral damage; the apply's result."""
    r1, _r2 = pair
    first = _to(r1, start, "start.conf")[0]
    assert first["remaining"] == [] and first.get("apply_errors", []) == [], first
    before = _health(r1)
    path = r1.write_file("intended.conf", intended)
    planned = reconcile(r1, src=path, check_mode=True)
    done = reconcile(r1, src=path)
    assert done["apply_errors"] == [] and done["remaining"] == [], done
    assert done["plan"]["commands"] == planned["plan"]["commands"]
    again = reconcile(r1, src=path, check_mode=True)
    assert again["changed"] is False and again["plan"]["commands"] == [], again["plan"]
    if oracle:
        assert residue(r1, path) == []
    time.sleep(1.5)          # a bounce shows in the counters within a BFD detect time (3 x 300 ms) and a hello
    _untouched(before, _health(r1))
    return done


def test_10453_an_invalid_file_is_refused_not_loaded_as_empty(pair):
    """FRRouting/frr#10453: frr-reload.py read a file vtysh could not parse as an empty config and deleted
    everything.  We refuse (nothing applied) on a syntax error, on bytes that are not text, on no lines."""
    r1, _r2 = pair
    reconcile(r1, content=conf())
    before, health = r1.running_config(), _health(r1)
    for name, text in (("syntax.conf", conf(bgp=" neighbor 10.0.9.9 remote-ass 1\n")),
                       ("binary.conf", "\x00\x01\x02frr\x00"), ("empty.conf", "! nothing\n")):
        path = r1.write_file(name, text)
        with pytest.raises(ReconcileError) as err:
            reconcile(r1, src=path)
        assert err.value.data.get("changed") is False, (name, err.value.data)
        assert "nothing was applied" in str(err.value) or "rejects the intended config" in str(err.value), name
    assert r1.running_config() == before
    _untouched(health, _health(r1))


def test_13302_18907_neighbour_and_vrf_route_addresses_are_not_substrings(pair):
    """FRRouting/frr#13302 (pull request) and #18907: frr-reload.py matched '66.66.66.6' inside '66.66.66.60' and
    removed the wrong neighbour's remote-as, or a VRF route of the other next hop."""
    bgp = (" neighbor ANLAN peer-group\n neighbor ANLAN remote-as internal\n"
           " neighbor 66.66.66.6 remote-as internal\n")
    routes = "vrf red\n ip route 10.66.0.0/16 66.66.66.6\n{}exit-vrf\n!\n"
    start = conf(bgp=bgp + " neighbor 66.66.66.60 peer-group ANLAN\n",
                 tail=routes.format(" ip route 10.66.0.0/16 66.66.66.60\n"))
    done = _case(pair, start, conf(bgp=bgp, tail=routes.format("")))
    running = pair[0].running_config()
    assert "neighbor 66.66.66.6 remote-as internal" in running and "66.66.66.60" not in running
    assert " ip route 10.66.0.0/16 66.66.66.6\n" in running
    assert not [c for c in done["plan"]["commands"] if "66.66.66.6 " in c + " " and "66.66.66.60" not in c]


def test_19102_continue_printed_as_on_match_goto(pair):
    """FRRouting/frr#19102: 'continue 10' is printed 'on-match goto 10', whose 'no' form FRR does not know."""
    maps = "route-map RM-C permit 9\n{}exit\n!\nroute-map RM-C permit 10\n set metric 10\nexit\n!\n"
    _case(pair, conf(), conf(tail=maps.format(" continue 10\n")), oracle=False)
    _case(pair, conf(tail=maps.format(" continue 10\n")), conf(tail=maps.format(" set metric 5\n")), oracle=False)
    assert "on-match goto" not in pair[0].running_config()


def test_13604_8594_static_routes_in_a_vrf_without_exit_vrf(pair):
    """FRRouting/frr#13604 and #8594: VRF static routes in a file without 'exit-vrf' (vtysh keeps the context
    until the next context keyword) were deleted or added at top level."""
    intended = conf(tail="vrf blue\n ip route 10.77.0.0/16 blackhole\n ip route 10.78.0.0/16 10.99.1.2\n!\n"
                         "route-map AFTER-VRF permit 10\nexit\n")
    _case(pair, conf(), intended)
    running = pair[0].running_config()
    assert "vrf blue\n ip route 10.77.0.0/16 blackhole\n ip route 10.78.0.0/16 10.99.1.2\n" in running


def test_17606_vrf_blackhole_route_arguments_in_another_order(pair):
    """FRRouting/frr#17606: 'ip route P blackhole 250 tag 210' in a VRF is printed 'blackhole tag 210 250';
    frr-reload.py deleted and re-added it, and it vanished on every second reload."""
    intended = conf(tail="vrf red\n ip route 10.0.0.0/8 blackhole 250 tag 210\nexit-vrf\n!\n")
    _case(pair, conf(), intended, oracle=False)
    for _run in range(2):
        assert reconcile(pair[0], src=pair[0].write_file("intended.conf", intended))["changed"] is False
        assert "10.0.0.0/8 blackhole" in pair[0].running_config()


def test_9707_distribute_list_before_its_access_list(pair):
    """FRRouting/frr#9707: a distribute-list was applied before the access-list it names existed."""
    intended = conf(top="access-list DL-OUT seq 5 permit 10.0.0.0/8\n!\n",
                    tail="router ospf\n distribute-list DL-OUT out connected\nexit\n")
    intended = intended.replace("router ospf\n ospf router-id %s\nexit\n" % ME, "")
    intended = intended.replace("router ospf\n distribute-list", "router ospf\n ospf router-id %s\n distribute-list" % ME)
    done = _case(pair, conf(), intended)
    script = done["plan"]["script"]
    assert script.index("access-list DL-OUT seq 5 permit 10.0.0.0/8") < script.index("distribute-list DL-OUT out")


def test_8337_a_neighbours_route_map_is_replaced_not_removed_first(pair):
    """FRRouting/frr#8337 (pull request): a changed neighbour route-map was removed with 'no' and added again:
    for a moment routes passed unfiltered (a leak; max-prefix tripped).  We replace it in one line."""
    maps = "route-map RM-OLD permit 10\n set local-preference 110\nexit\n!\nroute-map RM-NEW permit 10\n" \
           " set local-preference 120\nexit\n!\n"
    start = conf(af="  neighbor %s route-map RM-OLD in\n" % PEER, tail=maps)
    done = _case(pair, start, conf(af="  neighbor %s route-map RM-NEW in\n" % PEER, tail=maps))
    assert not [c for c in done["plan"]["commands"] if "no neighbor %s route-map" % PEER in c], done["plan"]["commands"]


NEIGHBOURS = (" neighbor PG peer-group\n neighbor PG remote-as 65100\n neighbor PG timers 3 9\n"
              " neighbor 10.0.5.1 peer-group PG\n neighbor 10.0.5.1 description member of PG\n"
              " neighbor 10.0.5.2 remote-as 65200\n neighbor 10.0.5.2 timers 3 9\n"
              " neighbor 10.0.5.2 password s3cret\n neighbor 10.0.5.2 description standalone\n")
NEIGHBOURS_AF = ("  neighbor PG route-map RM-PG in\n  neighbor 10.0.5.2 route-map RM-PG out\n"
                 "  neighbor 10.0.5.2 soft-reconfiguration inbound\n")
RM_PG = "route-map RM-PG permit 10\nexit\n!\n"


def test_8694_11080_14898_17847_neighbour_and_peer_group_deletes_in_order(pair):
    """FRRouting/frr#8694, #11080, #14898 and #17847: deleting neighbours and peer-groups in the wrong order
    fails with '% Specify remote-as or peer-group commands first' (a neighbour's lines after its remote-as,
    a member's after the group) and leaves half a neighbour."""
    start = conf(bgp=NEIGHBOURS, af=NEIGHBOURS_AF, tail=RM_PG)
    _case(pair, start, conf(tail=RM_PG))
    assert "10.0.5." not in pair[0].running_config() and "neighbor PG" not in pair[0].running_config()
    # a member leaves its group for a remote-as of its own; the group goes
    moved = conf(bgp=" neighbor 10.0.5.1 remote-as 65300\n neighbor 10.0.5.1 description on its own\n", tail=RM_PG)
    _case(pair, start, moved)
    running = pair[0].running_config()
    assert "neighbor 10.0.5.1 remote-as 65300" in running and "peer-group" not in running


def test_6819_bgp_network_lines_are_removed(pair):
    """FRRouting/frr#6819: 'network' lines of a BGP address-family were never removed."""
    _case(pair, conf(af="  network 10.50.0.0/16\n  network 10.51.0.0/16 route-map RM-N\n",
                     tail="route-map RM-N permit 10\nexit\n!\n"), conf(tail="route-map RM-N permit 10\nexit\n!\n"))
    assert "network 10.5" not in pair[0].running_config()


def test_17903_a_bgp_vrf_instance_is_removed_without_touching_the_default_one(pair):
    """FRRouting/frr#17903: 'no router bgp ASN vrf NAME' was not sent (or hit the default instance)."""
    vrf_bgp = "router bgp 65001 vrf red\n neighbor 10.7.7.7 remote-as 1\n !\n address-family ipv4 unicast\n" \
              "  network 10.70.0.0/16\n exit-address-family\nexit\n!\n"
    _case(pair, conf(), conf(tail=vrf_bgp))
    _case(pair, conf(tail=vrf_bgp), conf())
    running = pair[0].running_config()
    # (FRR 10 keeps printing an empty 'vrf red' / 'exit-vrf' once the VRF was named; 8.4 does not: normalised)
    assert "router bgp 65001 vrf red" not in running and "10.7.7.7" not in running
    assert "router bgp 65001\n" in running


def test_15709_14439_an_interface_change_does_not_flap_its_ospf_adjacency(pair):
    """FRRouting/frr#15709 and #14439: frr-reload.py rewrote 'interface X vrf Y' blocks and OSPF adjacencies
    flapped.  Without a kernel VRF here (see the module docstring), the interface that carries the adjacency
    changes: a description and a cost, nothing else, and the adjacency stays up.  With a real VRF:
    tests/integration_vm_frr/test_frr_vrf_vm.py (``make frr-vrf``)."""
    done = _case(pair, conf(iface=" description old\n ip ospf cost 10\n"),
                 conf(iface=" description core link to r2\n ip ospf cost 20\n"))
    assert sorted(done["plan"]["commands"]) == ["interface eth-x > description core link to r2",
                                                "interface eth-x > ip ospf cost 20"]


def test_4204_a_bfd_timer_change_does_not_bounce_the_peers(pair):
    """FRRouting/frr#4204: a BFD timer change was applied by removing and re-adding the peer (the sessions over
    it went down).  The timers change in place; BFD, BGP and OSPF stay up."""
    done = _case(pair, conf(), conf(bfd="  receive-interval 250\n  transmit-interval 250\n"))
    assert not [c for c in done["plan"]["commands"] if c.startswith(("no peer", "bfd > no peer"))], done["plan"]
    _case(pair, conf(bfd="  receive-interval 250\n  transmit-interval 250\n"), conf())


def test_6062_an_unchanged_router_is_changed_false(pair):
    """FRRouting/frr#6062: frr-reload.py --test showed a diff on an unchanged config.  Check mode on a router
    that runs the intended config (booted from it with vtysh -b, as watchfrr does) plans nothing."""
    r1, _r2 = pair
    intended = conf(bgp=NEIGHBOURS, af=NEIGHBOURS_AF, tail=RM_PG + "vrf red\n ip route 10.0.0.0/8 blackhole 250 "
                    "tag 210\nexit-vrf\n!\nroute-map RM-C permit 9\n continue 10\nexit\n!\n")
    first, path = _to(r1, intended, "unchanged.conf")
    assert first["remaining"] == []
    res = reconcile(r1, src=path, check_mode=True)
    assert res["changed"] is False and res["plan"]["commands"] == [] and res["remaining"] == []
    assert res["frr_version_tested"] is True and res["frr_version"] == r1.version
    reconcile(r1, content=conf())


def test_intended_config_written_differently_from_frrs_printing(pair):
    """Issue 14's independent check: lines written otherwise than FRR prints them ('address-family ipv4'
    without 'unicast', a network with host bits, a top-level VRF route, a default line) were deleted and
    re-added on every run.  Compared in FRR's own words they converge, and the second run is changed=false."""
    written = conf().replace(" address-family ipv4 unicast\n", " address-family ipv4\n")
    written = written.replace("  redistribute connected\n", "  redistribute connected\n  network 10.60.0.1/16\n")
    written += "ip route 10.61.0.0/16 blackhole vrf green\n!\nrouter ospf\n auto-cost reference-bandwidth 100000\nexit\n"
    done = _case(pair, conf(), written, oracle=False)
    assert done["compared_as"] == "frr", done
    running = pair[0].running_config()
    assert "  network 10.60.0.0/16\n" in running and "vrf green\n ip route 10.61.0.0/16 blackhole\n" in running
