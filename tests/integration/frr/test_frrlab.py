# -*- coding: utf-8 -*-
"""The lab helper itself, on every lab FRR version: two routers, eBGP over a veth, a killed daemon, clean teardown."""

import frrlab

R1 = """frr defaults traditional
router bgp 65001
 bgp router-id 10.255.0.1
 no bgp ebgp-requires-policy
 neighbor 192.0.2.2 remote-as 65002
exit
"""
R2 = """frr defaults traditional
router bgp 65002
 bgp router-id 10.255.0.2
 no bgp ebgp-requires-policy
 neighbor 192.0.2.1 remote-as 65001
exit
"""


def _gone(machine, name):
    assert name not in machine.netns_list()
    assert not machine.exists("/etc/frr/%s" % name)
    assert not machine.exists("/var/run/frr/%s" % name)
    assert frrlab._pathspace_pids(name, machine=machine) == []


def test_two_routers_bgp_kill_and_teardown(frr_machine):
    with frrlab.Lab("nmfrr-", machine=frr_machine) as lab:
        r1 = lab.router("lab1", R1, daemons=["bgpd"])
        r2 = lab.router("lab2", R2, daemons=["bgpd"])
        lab.link(r1, "eth-lab2", "192.0.2.1/30", r2, "eth-lab1", "192.0.2.2/30")
        lab.start()
        assert "neighbor 192.0.2.2 remote-as 65002" in r1.running_config()
        assert "frr version %s" % frr_machine.frr_version() in r1.running_config()
        r1.wait_bgp_established("192.0.2.2", timeout=90)
        old = r1.kill("bgpd")
        assert r1.wait_restarted("bgpd", old, timeout=60) != old
        r1.wait_up()
        names = [r1.name, r2.name]
    for name in names:
        _gone(frr_machine, name)


def test_teardown_after_failure(frr_machine):
    name = None
    try:
        with frrlab.Lab("nmfrr-", machine=frr_machine) as lab:
            r = lab.router("lab3", "", daemons=[])
            name = r.name
            r.start()
            raise RuntimeError("test body fails")
    except RuntimeError:
        pass
    assert name
    _gone(frr_machine, name)
