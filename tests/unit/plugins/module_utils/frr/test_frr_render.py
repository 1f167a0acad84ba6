# -*- coding: utf-8 -*-
"""frr.render and frr.compare (issue 14): what goes to the throwaway FRR instance, what the parser keeps, how
FRR's answer is read back, and the fall back to the parser.  The instance itself runs against real FRR in
tests/integration/frr (every lab version); here its answer is faked."""

import json
import os

import pytest

from support.fakes import FakeRunner, fixture
from support.fuzz import fuzz, text_cases
from ansible_collections.netmedic.network.plugins.module_utils.core.runner import Result
from ansible_collections.netmedic.network.plugins.module_utils.frr import compare as frr_compare
from ansible_collections.netmedic.network.plugins.module_utils.frr import render
from ansible_collections.netmedic.network.plugins.module_utils.frr.config import FrrConfigError, parse

# Written the way people write them (issue 14's independent check): abbreviations, a default line, an
# address-family without 'unicast', a network with host bits, a top-level static route in a VRF.
INTENDED = """frr defaults traditional
hostname edge1
log syslog informational
int eth0
 ip addr 10.1.1.1/24
 no shut
!
router bgp 65001
 neighbor 192.0.2.2 remote-as 65002
 address-family ipv4
  network 10.0.0.1/8
 exit-address-family
!
ip route 10.9.0.0/16 blackhole vrf red
ip prefix-list PL permit 10.0.0.0/8
ip prefix-list PL permit 10.1.0.0/16
route-map RM permit 10
 match ip address prefix-list PL
ip forwarding
"""
# What FRR 8.4.4 printed for INTENDED's sent part in the throwaway instance (tests/integration/frr).
RENDERED = """Building configuration...

Current configuration:
!
frr version 8.4.4
frr defaults traditional
hostname vm
no ipv6 forwarding
!
vrf red
 ip route 10.9.0.0/16 blackhole
exit-vrf
!
interface eth0
 ip address 10.1.1.1/24
exit
!
router bgp 65001
 neighbor 192.0.2.2 remote-as 65002
 !
 address-family ipv4 unicast
  network 10.0.0.0/8
 exit-address-family
exit
!
ip prefix-list NETMEDIC-RENDER-MARK seq 5 deny any
!
route-map RM permit 10
 match ip address prefix-list PL
exit
!
end
"""
RUNNING = RENDERED.replace("hostname vm", "hostname edge1").replace(
    "ip prefix-list NETMEDIC-RENDER-MARK seq 5 deny any", "ip prefix-list PL seq 5 permit 10.0.0.0/8\n"
    "ip prefix-list PL seq 10 permit 10.1.0.0/16").replace("no ipv6 forwarding\n", "log syslog informational\n")


def test_split_keeps_lists_logs_and_forwarding_for_the_parser_and_marks_where_they_were():
    parts = render.split(INTENDED)
    sent = parts.sent.splitlines()
    assert parts.kept == ["log syslog informational", "ip prefix-list PL permit 10.0.0.0/8",
                          "ip prefix-list PL permit 10.1.0.0/16", "ip forwarding"]
    # each run of parser-kept lines is one marker: FRR leaves a context there as it would have
    assert sent.count(render.MARKER) == 3
    assert sent[sent.index(" exit-address-family") + 2:sent.index(" exit-address-family") + 5] == [
        "ip route 10.9.0.0/16 blackhole vrf red", render.MARKER, "route-map RM permit 10"]
    assert " ip addr 10.1.1.1/24" in sent and "int eth0" in sent     # the rest goes as written
    assert parts.sent_lines == len([l for l in sent if l.strip() and l.strip()[0] not in "!#"])


def _fake_instance(answer, seconds=0.5):
    def runner(argv, timeout=None, env=None, input=None, check=False, cwd=None):
        runner.argv, runner.input = list(argv), input
        out = answer if isinstance(answer, str) else json.dumps(answer)
        return Result(list(argv), 0, out + "\n", "", seconds)
    return runner


def test_render_reads_frrs_answer_and_adds_the_parser_kept_lines(tmp_path):
    lib = tmp_path / "usr" / "lib" / "frr"
    lib.mkdir(parents=True)
    for d in ("zebra", "mgmtd"):
        (lib / d).write_text("")
        (lib / d).chmod(0o755)
    runner = _fake_instance({"running": RENDERED, "errors": [], "seconds": {"start": 0.2, "load": 0.1, "show": 0.05}})
    daemons = render.render_daemons(["zebra", "bgpd", "staticd", "mgmtd"], str(lib))
    assert daemons == ["zebra", "mgmtd", "bgpd", "staticd"]
    got = render.render(INTENDED, daemons, "traditional", runner=runner, frr_lib=str(lib), run_base=str(tmp_path))
    assert runner.argv[1] == "-c" and "def run(" in runner.argv[2]          # the child's own source
    args = json.loads(runner.argv[3])
    assert args["daemons"] == daemons and args["profile"] == "traditional" and args["run_base"] == str(tmp_path)
    assert runner.input == render.split(INTENDED).sent
    lines = got.config.lines()
    assert "router bgp 65001 > address-family ipv4 unicast > network 10.0.0.0/8" in lines
    assert "vrf red > ip route 10.9.0.0/16 blackhole" in lines and "interface eth0 > ip address 10.1.1.1/24" in lines
    # the instance's own lines (hostname, forwarding, the marker) are not the intended config's
    assert not [l for l in lines if l.startswith(("hostname", "no ipv6 forwarding", "ip prefix-list NETMEDIC"))]
    assert lines[-4:] == ["log syslog informational", "ip prefix-list PL permit 10.0.0.0/8",
                          "ip prefix-list PL permit 10.1.0.0/16", "ip forwarding"]
    assert got.seconds == {"start": 0.2, "load": 0.1, "show": 0.05, "total": 0.5}


@pytest.mark.parametrize("answer, words", [
    ({"error": "FRR daemon(s) bgpd exited at start"}, "bgpd exited at start"),
    ({"running": RENDERED, "errors": [{"line": 4, "error": "% Unknown command: xyz"}]}, "refused 1 line(s)"),
    ({"running": RENDERED.replace("router bgp 65001", "router bgp 65009")},
     "lost 1 context(s) of the intended config, first: router bgp 65001"),
    ("Traceback (most recent call last):", "printed no answer"),
    ([1, 2], "printed [1, 2]"),
])
def test_render_refuses_what_it_cannot_trust(tmp_path, answer, words):
    (tmp_path / "zebra").write_text("")
    (tmp_path / "zebra").chmod(0o755)
    with pytest.raises(render.RenderError, match=words.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")
                       .replace("]", r"\]")):
        render.render(INTENDED, ["zebra"], runner=_fake_instance(answer), frr_lib=str(tmp_path))


def test_a_rendering_without_the_ldp_contexts_is_not_trusted():
    """tests/corpus/frr/configs/44-frrdoc-ldp-vpls.conf (FRR's own LDP/VPLS example): the throwaway ldpd printed
    none of it, and the empty rendering made the reconcile refuse a drifted router ('no configuration lines')."""
    intended = parse("mpls ldp\n router-id 1.1.1.1\n!\nl2vpn ENG type vpls\n bridge br0\n!\n", "intended")
    assert render.lost_contexts(intended, parse("frr version 8.4.4\n", "rendered")) == [
        "mpls ldp", "l2vpn ENG type vpls"]


def test_render_needs_frr_and_a_known_profile(tmp_path):
    with pytest.raises(render.RenderError, match="FRR's daemons are not in"):
        render.render(INTENDED, ["zebra"], runner=FakeRunner({}), frr_lib=str(tmp_path))
    with pytest.raises(render.RenderError, match="unknown FRR defaults profile"):
        render.render(INTENDED, ["zebra"], profile="$(reboot)", runner=FakeRunner({}), frr_lib=str(tmp_path))
    (tmp_path / "zebra").write_text("")
    (tmp_path / "zebra").chmod(0o755)
    with pytest.raises(render.RenderError, match="could not start"):        # python missing, say
        render.render(INTENDED, ["zebra"], runner=FakeRunner({}), frr_lib=str(tmp_path))


def test_profile_of_the_running_config():
    assert render.profile_of(parse("frr version 10.3\nfrr defaults datacenter\n")) == "datacenter"
    assert render.profile_of(parse("frr version 10.3\nfrr defaults nonsense\n")) == "traditional"
    assert render.profile_of(parse("router bgp 1\n")) == "traditional"


def _compare(monkeypatch, answer, mode="frr", intended=INTENDED, running=RUNNING):
    calls = []

    def fake_render(text, daemons, profile, **kw):
        calls.append((daemons, profile))
        if isinstance(answer, Exception):
            raise answer
        return render.Rendered(render.combine(parse(answer), render.split(text).kept), {"total": 0.1}, 9)
    monkeypatch.setattr(render, "render", fake_render)
    return frr_compare.compare(intended, running, mode=mode, daemons=["zebra", "bgpd", "staticd"]), calls


def test_compare_renders_only_when_the_parser_sees_a_difference(monkeypatch):
    cmp, calls = _compare(monkeypatch, RENDERED)
    assert calls == [(["zebra", "bgpd", "staticd"], "traditional")]
    # in FRR's words the router runs the intended config: nothing to do (the parser alone planned changes)
    assert cmp.plan.empty and cmp.how["compared_as"] == "frr" and cmp.version == (8, 4, 4)
    assert not frr_compare.compare(INTENDED, RUNNING, mode="parser").plan.empty
    same, calls = _compare(monkeypatch, RENDERED, intended=RUNNING)      # no difference: nothing started
    assert calls == [] and same.plan.empty and same.how == {"compared_as": "parser",
                                                            "render": "not needed (no difference)"}


def test_compare_falls_back_to_the_parser_and_says_why(monkeypatch):
    cmp, calls = _compare(monkeypatch, render.RenderError("FRR daemon(s) bgpd exited at start"))
    assert calls and not cmp.plan.empty
    assert cmp.how == {"compared_as": "parser", "render_error": "FRR daemon(s) bgpd exited at start"}
    cmp, calls = _compare(monkeypatch, RENDERED, mode="parser")
    assert calls == [] and cmp.how == {"compared_as": "parser"}
    with pytest.raises(ValueError):
        frr_compare.compare(INTENDED, RUNNING, mode="both")


def test_again_compares_the_same_intended_config_with_a_new_running_config(monkeypatch):
    cmp, _calls = _compare(monkeypatch, RENDERED, running="frr version 10.3\n")
    assert not cmp.plan.empty
    assert cmp.again(RUNNING).empty


def test_instance_daemons_reads_the_daemons_file(tmp_path):
    (tmp_path / "etc" / "frr" / "r1").mkdir(parents=True)
    (tmp_path / "etc" / "frr" / "r1" / "daemons").write_text("bgpd=yes\nospfd=no\nbfdd=yes\n")
    assert frr_compare.instance_daemons(str(tmp_path), "r1") == ["zebra", "bgpd", "staticd", "bfdd"]
    (tmp_path / "usr" / "lib" / "frr").mkdir(parents=True)
    (tmp_path / "usr" / "lib" / "frr" / "mgmtd").write_text("")
    assert frr_compare.instance_daemons(str(tmp_path), "r1") == ["zebra", "mgmtd", "bgpd", "staticd", "bfdd"]
    assert frr_compare.instance_daemons(str(tmp_path), "nope") == []


def test_fuzz_split_and_combine():
    kitchen = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "integration", "frr", "kitchen_sink.conf")
    with open(kitchen) as fh:
        texts = [INTENDED, RENDERED, fh.read(), fixture(os.path.join("..", "frr_versions", "running_10.3.txt"))]

    def one(text):
        parts = render.split(text)
        return render.combine(parse(parts.sent), parts.kept)
    tally = fuzz("frr.render.split+combine", one, text_cases(texts, 3000, seed=1414), allowed=(FrrConfigError,))
    print(tally.line())
    assert tally.unexpected == []
