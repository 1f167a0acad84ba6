# -*- coding: utf-8 -*-
"""FRR config parser and normaliser, and a seeded fuzzer for malformed input."""

import os
import random

import pytest

from support.paths import FIXTURES
from ansible_collections.netmedic.network.plugins.module_utils.frr import config as frr_config
from ansible_collections.netmedic.network.plugins.module_utils.frr import plan as frr_plan
from ansible_collections.netmedic.network.plugins.module_utils.frr.config import (
    Entry, FrrConfigError, normalise, parse)

RUNNING = """Building configuration...

Current configuration:
!
frr version 8.4.4
frr defaults traditional
hostname vm
service integrated-vtysh-config
!
interface eth0
 description uplink
 ip ospf cost 10
 link-params
  enable
 exit-link-params
exit
!
router bgp 65001
 bgp router-id 10.0.0.1
 neighbor PG peer-group
 neighbor 192.0.2.2 peer-group PG
 !
 address-family ipv4 unicast
  network 10.0.0.0/8
  neighbor PG route-map RM in
 exit-address-family
 !
 address-family l2vpn evpn
  vni 100
   rd 1:100
  exit-vni
  advertise-all-vni
 exit-address-family
exit
!
router bgp 65001 vrf red
 bgp router-id 10.0.0.1
exit
!
ip prefix-list PL seq 5 permit 10.0.0.0/8
!
route-map RM permit 10
 match ip address prefix-list PL
exit
!
key chain K
 key 1
  key-string s
 exit
exit
!
line vty
 exec-timeout 0 0
exit
!
end
"""


def test_running_config_structure():
    cfg = parse(RUNNING)
    lines = cfg.lines()
    assert "interface eth0 > ip ospf cost 10" in lines
    assert "interface eth0 > link-params > enable" in lines
    assert "router bgp 65001 > address-family ipv4 unicast > neighbor PG route-map RM in" in lines
    assert "router bgp 65001 > address-family l2vpn evpn > vni 100 > rd 1:100" in lines
    assert "router bgp 65001 > address-family l2vpn evpn > advertise-all-vni" in lines
    assert "router bgp 65001 vrf red > bgp router-id 10.0.0.1" in lines
    assert "ip prefix-list PL seq 5 permit 10.0.0.0/8" in lines
    assert "route-map RM permit 10 > match ip address prefix-list PL" in lines
    assert "key chain K > key 1 > key-string s" in lines
    assert "line vty > exec-timeout 0 0" in lines
    assert cfg.kind(("router bgp 65001", "address-family ipv4 unicast")) == "address-family"
    assert cfg.kind(("key chain K", "key 1")) == "key"


def test_render_round_trip():
    cfg = parse(RUNNING)
    again = parse(cfg.render())
    assert sorted(again.entries) == sorted(cfg.entries)


def test_contexts_merge_and_duplicates_collapse():
    cfg = parse("interface eth0\n ip ospf cost 1\n!\ninterface eth0\n description x\n ip ospf cost 1\n")
    assert cfg.lines() == ["interface eth0", "interface eth0 > ip ospf cost 1", "interface eth0 > description x"]


def test_hand_written_layouts():
    text = ("router bgp 1\n"
            "neighbor 192.0.2.1 remote-as 2\n"     # unindented: stays in router bgp
            "ip prefix-list A seq 5 permit any\n"  # top-level-only: closes it
            "interface eth0\n"
            "  ip ospf cost 3\n"
            "router ospf\n"                        # a top-level context closes interface
            " network 10.0.0.0/8 area 0\n"
            "! comment\n"
            "log syslog\n")
    assert parse(text).lines() == [
        "router bgp 1", "router bgp 1 > neighbor 192.0.2.1 remote-as 2",
        "ip prefix-list A seq 5 permit any",
        "interface eth0", "interface eth0 > ip ospf cost 3",
        "router ospf", "router ospf > network 10.0.0.0/8 area 0",
        "log syslog"]


def test_indented_bang_is_a_comment_column0_bang_closes():
    cfg = parse("router bgp 1\n neighbor A peer-group\n !\n neighbor B peer-group\n!\nlog syslog\n")
    assert cfg.lines() == ["router bgp 1", "router bgp 1 > neighbor A peer-group",
                           "router bgp 1 > neighbor B peer-group", "log syslog"]


def test_prefix_list_host_bits_are_cleared_as_frr_prints_them():
    """tests/corpus/frr/configs/19-frrk8s-unnumbered.conf (frr-k8s, written by others): 'permit 192.170.1.0/22'
    is printed by FRR as 'permit 192.170.0.0/22'; check mode on the unchanged router planned it on every run."""
    intended = parse("ip prefix-list net0-allowed-ipv4 seq 2 permit 192.170.1.0/22\n"
                     "ipv6 prefix-list V6 seq 5 permit 2001:db8::1/64 le 128\n", "intended")
    running = parse("ip prefix-list net0-allowed-ipv4 seq 2 permit 192.170.0.0/22\n"
                    "ipv6 prefix-list V6 seq 5 permit 2001:db8::/64 le 128\n", "running config")
    assert frr_plan.compute_parsed(intended, running).empty


def test_log_and_debug_lines_compare_as_frr_prints_them():
    """tests/corpus/frr/configs/63-waynedovey-metallb-upstream.conf (MetalLB's upstream router): on 8.4.4, 10.3 and
    10.7.1 check mode on the unchanged router planned these on every run, and they stayed in ``remaining``."""
    intended = parse("log file /tmp/frr.log debugging\ndebug bgp updates\ndebug bgp neighbor\n"
                     "log syslog informational\n", "intended")
    running = parse("log file /tmp/frr.log\nlog syslog informational\ndebug bgp neighbor-events\n"
                    "debug bgp updates in\ndebug bgp updates out\n", "running config")
    assert frr_plan.compute_parsed(intended, running).empty
    # a level that is not the default, and a debug line of its own, still count
    assert not frr_plan.compute_parsed(parse("log file /tmp/frr.log informational\n", "intended"), running).empty
    assert not frr_plan.compute_parsed(parse("debug bgp updates in\n", "intended"),
                                       parse("debug bgp updates in\ndebug bgp updates out\n", "r")).empty


def test_advertise_pip_is_the_evpn_default():
    """tests/corpus/frr/configs/57-dbono711-srv6-pe1.conf (written by others) on FRR 10.7.1: 'advertise-pip' in a
    VRF's l2vpn evpn address-family is the default and not printed; when the throwaway bgpd could not render the
    config, check mode on the unchanged router planned it."""
    intended = parse("router bgp 65000 vrf RED\n bgp router-id 10.0.0.1\n address-family l2vpn evpn\n"
                     "  advertise-pip\n exit-address-family\nexit\n", "intended")
    running = parse("frr version 10.7.1\nrouter bgp 65000 vrf RED\n bgp router-id 10.0.0.1\nexit\n", "running config")
    assert frr_plan.compute_parsed(intended, running).empty
    # one that is not the default is still compared, and a router-level default stays a router-level one
    assert not frr_plan.compute_parsed(parse(
        "router bgp 65000 vrf RED\n bgp router-id 10.0.0.1\n address-family l2vpn evpn\n  no advertise-pip\n",
        "intended"), running).empty
    assert not frr_plan.compute_parsed(parse(
        "router bgp 65000 vrf RED\n bgp router-id 10.0.0.1\n address-family ipv4 unicast\n"
        "  bgp default local-preference 100\n", "intended"), running).empty


def test_column0_bang_before_an_indented_line_keeps_the_context():
    """tests/corpus/frr/configs/63-waynedovey-metallb-upstream.conf (MetalLB's upstream router, written by others):
    '!' in column 0 inside 'router bgp', then an indented address-family, which FRR loads into router bgp.  It was
    refused ("belongs inside a router context")."""
    text = ("router bgp 64500\n neighbor 192.168.1.100 remote-as 64500\n!\n address-family ipv4 unicast\n"
            "  neighbor 192.168.1.100 activate\n exit-address-family\n!\nip prefix-list A seq 5 permit any\n")
    assert parse(text).lines() == [
        "router bgp 64500", "router bgp 64500 > neighbor 192.168.1.100 remote-as 64500",
        "router bgp 64500 > address-family ipv4 unicast",
        "router bgp 64500 > address-family ipv4 unicast > neighbor 192.168.1.100 activate",
        "ip prefix-list A seq 5 permit any"]


@pytest.mark.parametrize("text,where,why", [
    ("hostname a\nip route 1.0.0.0/8 \x00 x\n", "line 2", "control character"),
    ("x" * 5000 + "\n", "line 1", "at most 4096"),
    ("address-family ipv4 unicast\n", "line 1", "inside a router"),
    ("key 1\n", "line 1", "inside a key-chain"),
])
def test_errors_name_the_line(text, where, why):
    with pytest.raises(FrrConfigError) as err:
        parse(text, source="/etc/frr/frr.conf")
    assert "/etc/frr/frr.conf %s:" % where in str(err.value)
    assert why in str(err.value)


def test_not_text():
    with pytest.raises(FrrConfigError):
        parse(b"router bgp 1")


def test_normalisations_are_documented():
    names = [n for n, _why in frr_config.NORMALISATIONS]
    assert len(names) == len(set(names)) >= 10


def test_list_seq_rules_follow_frr():
    cfg = normalise(parse(
        "ip prefix-list A seq 12 permit 1.0.0.0/8\nip prefix-list A permit 2.0.0.0/8\n"
        "access-list B seq 12 permit 1.0.0.0/8\naccess-list B permit 2.0.0.0/8\n"
        "bgp community-list standard C seq 12 permit 1:1\nbgp community-list standard C permit 1:2\n"
        "bgp as-path access-list D seq 12 permit _1_\nbgp as-path access-list D permit _2_\n"
        "bgp community-list 1 permit 1:3\n"), intended=True)
    assert cfg.lines() == [
        "ip prefix-list A seq 12 permit 1.0.0.0/8", "ip prefix-list A seq 17 permit 2.0.0.0/8",
        "access-list B seq 12 permit 1.0.0.0/8", "access-list B seq 17 permit 2.0.0.0/8",
        "bgp community-list standard C seq 12 permit 1:1", "bgp community-list standard C seq 15 permit 1:2",
        "bgp as-path access-list D seq 12 permit _1_", "bgp as-path access-list D seq 15 permit _2_",
        "bgp community-list 1 seq 5 permit 1:3"]


def test_activate_kept_without_default_ipv4_unicast():
    text = ("router bgp 1\n no bgp default ipv4-unicast\n neighbor A remote-as 2\n"
            " address-family ipv4 unicast\n  neighbor A activate\n exit-address-family\n")
    assert "router bgp 1 > address-family ipv4 unicast > neighbor A activate" in \
        normalise(parse(text), intended=True).lines()


def test_forwarding_only_compared_when_stated():
    running = parse("no ip forwarding\nno ipv6 forwarding\n")
    assert normalise(running, False, {}).lines() == []
    assert normalise(running, False, {"ipv6": "ipv6 forwarding"}).lines() == ["no ipv6 forwarding"]


# ---------------------------------------------------------------- fuzzing

SEEDS = [RUNNING, open(os.path.join(FIXTURES, "frr_plan_cases.yml")).read()]
ALPHABET = ["\n", " ", "  ", "!", "exit", "end", "exit-address-family", "router bgp", "address-family ipv4",
            "interface", "route-map X permit", "key", "vni 1", "seq", "no ", "\t", "\x00", "\x1b", "é", "\r",
            "ip prefix-list", "permit", "999999999999", "::", "2001:DB8::/200", "/", "link-params", "peer"]


def _mutate(rng, text):
    chars = list(text)
    for _attempt in range(rng.randint(1, 12)):
        op = rng.random()
        pos = rng.randint(0, len(chars))
        if op < 0.3 and chars:
            del chars[pos:pos + rng.randint(1, 40)]
        elif op < 0.6:
            chars[pos:pos] = list(rng.choice(ALPHABET))
        elif op < 0.8 and chars:
            a = rng.randint(0, len(chars) - 1)
            chars[pos:pos] = chars[a:a + rng.randint(1, 80)]
        else:
            lines = "".join(chars).splitlines(True)
            rng.shuffle(lines)
            chars = list("".join(lines))
    return "".join(chars)


def test_fuzz_parser_never_tracebacks():
    rng = random.Random(20261121)
    errors = 0
    for i in range(1500):
        a = _mutate(rng, rng.choice(SEEDS))
        b = _mutate(rng, rng.choice(SEEDS))
        try:
            ia, rb = frr_config.parse_normalised(a, b)
        except FrrConfigError as exc:
            errors += 1
            msg = str(exc)
            assert "line" in msg or "expected text" in msg
            assert "\n" not in msg.split(":", 1)[0]
            continue
        p = frr_plan.plan(frr_plan.diff(ia, rb))
        p.script()
        frr_plan.unified(p.diff)
    assert 0 < errors < 1500  # both outcomes exercised


def test_plan_of_own_rendering_is_empty_under_fuzz():
    rng = random.Random(7)
    for _attempt in range(300):
        try:
            cfg = normalise(parse(_mutate(rng, RUNNING)), intended=False)
        except FrrConfigError:
            continue
        again = normalise(parse(cfg.render()), intended=False)
        assert set(again.entries) == set(cfg.entries)
        assert isinstance(cfg.entries[0] if cfg.entries else Entry((), "x"), Entry)


def test_default_values_are_not_expected_in_running():
    text = ("router ospf\n auto-cost reference-bandwidth 100000\n network 10.0.0.0/8 area 0\n"
            "router ospf vrf red\n auto-cost reference-bandwidth 100000\n"
            "interface eth0\n ip ospf hello-interval 10\n ip ospf dead-interval 40\n"
            "router bgp 1\n bgp default local-preference 100\n")
    assert normalise(parse(text), intended=True).lines() == [
        "router ospf", "router ospf > network 10.0.0.0/8 area 0",
        "router ospf vrf red",
        "interface eth0", "interface eth0 > ip ospf dead-interval 40", "router bgp 1"]
