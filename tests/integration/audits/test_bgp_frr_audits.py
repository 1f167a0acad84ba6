# -*- coding: utf-8 -*-
"""BGP session and FRR process audits against a real FRR pair (two netns + pathspaces, one veth), on every
lab FRR version (8.4 here, 10.3 and 10.7 in release containers: tests/lab/frrhost.py).

One lab per test (setup costs about 10 s); each test walks the session through
several states and checks the audit's findings in each.  The audits and the
modules run where the routers run (tests/lab/frr_call.py; Ansible's local
connection here, the podman connection into a container).
"""

import json
import time

import pytest

import frrhost
# frr_machine: a fixture
from frrfixtures import frr_machine, heavy_only, lab_on  # noqa: F401  pylint: disable=unused-import
from nmaud_helpers import PREFIX, ansible_module

from ansible_collections.netmedic.network.plugins.module_utils.core.findings import Finding

CONF = """frr defaults traditional
hostname {name}
router bgp {asn}
 bgp router-id {me}
 no bgp ebgp-requires-policy
 timers bgp 3 9
 neighbor {peer} remote-as {peer_asn}
 neighbor {peer} timers connect 1
 address-family l2vpn evpn
  neighbor {peer} activate
 exit-address-family
exit
"""
A, B = "10.99.0.1", "10.99.0.2"


@pytest.fixture
def lab(frr_machine):
    """This module's routers on every lab FRR version (the directory's ``lab`` runs on this host only)."""
    with lab_on(frr_machine, PREFIX) as the_lab:
        yield the_lab


def audit(router, name, opts, between=None):
    """The audit ``name`` run where ``router`` runs (it must apply there): its findings."""
    answer = router.machine.call("audits", only=[name], options={name: opts}, between=between)
    status = {r["name"]: r["status"] for r in answer["runs"]}
    assert status.get(name) == "ran", answer["runs"]
    return [Finding.from_dict(f) for f in answer["findings"]]


def module(router, name, args, check=False):
    """``netmedic.network.<name>`` through Ansible where ``router`` runs: its result."""
    if isinstance(router.machine, frrhost.LocalMachine):
        return ansible_module(router.name, name, args, check=check)
    res = router.machine.host.ansible("netmedic.network.%s" % name, args, check=check)
    res.setdefault("failed", False)
    return res


def process(router, name):
    """An FRR daemon of ``router`` as frr.processes sees it: pid, running, argv, age_seconds."""
    return router.machine.call("process", pathspace=router.name, name=name)


def pair(lab):
    r1 = lab.router("r1", CONF.format(name="r1", asn=65001, me=A, peer=B, peer_asn=65002))
    r2 = lab.router("r2", CONF.format(name="r2", asn=65002, me=B, peer=A, peer_asn=65001))
    lab.link(r1, "eth-r2", A + "/30", r2, "eth-r1", B + "/30")
    lab.start()
    r1.wait_bgp_established(B, timeout=90)
    return r1, r2


def bgp(router, between=None, **opts):
    opts.setdefault("pathspace", router.name)
    opts.setdefault("sample_interval", 0)
    return audit(router, "bgp", opts, between)


def ids(findings, peer=B):
    return sorted({f.id for f in findings if peer in f.subject or "vrf default" in f.subject})


def state(router, peer=B):
    data = json.loads(router.vtysh("show bgp neighbors %s json" % peer))
    return data[peer]["bgpState"], data[peer]["connectionsDropped"]


def wait(pred, timeout=60, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.2)
    raise AssertionError("timed out waiting for %s" % what)


def cycle(r1, r2):
    """Take r2's side of the link down until r1 drops the session, then bring it back up."""
    dropped = state(r1)[1]
    r2.exec("ip", "link", "set", "eth-r1", "down")
    wait(lambda: state(r1)[1] > dropped, 30, "r1 to drop the session")
    r2.exec("ip", "link", "set", "eth-r1", "up")


def test_bgp_established_flapping_flapped_and_down(lab):
    r1, r2 = pair(lab)

    # Established and steady (uptime threshold below the session's age): nothing to report,
    # even with a real second sample.
    wait(lambda: json.loads(r1.vtysh("show bgp neighbors %s json" % B))[B].get("bgpTimerUpMsec", 0) >= 3000,
         30, "the session to be 3 s old")
    f = bgp(r1, min_established_seconds=2, sample_interval=1)
    assert f == [], [x.to_dict() for x in f]
    evpn = json.loads(r1.vtysh("show bgp vrf all summary json"))["default"]
    assert {"ipv4Unicast", "l2VpnEvpn"} <= set(evpn)
    # the pair runs 'timers bgp 3 9': under a 10 s policy minimum
    f = bgp(r1, min_established_seconds=2, min_hold_time=10)
    assert [(x.id, x.evidence["hold_time_seconds"]) for x in f] == [("NM-BGP-006", 9.0)]

    # Flapping now: the link cycles while the audit waits between its two samples.
    flap = {"down": ["ip", "-n", r2.name, "link", "set", "eth-r1", "down"],
            "up": ["ip", "-n", r2.name, "link", "set", "eth-r1", "up"], "pathspace": r1.name, "peer": B}
    f = bgp(r1, between=flap, min_established_seconds=1, sample_interval=5)
    now = [x for x in f if x.id == "NM-BGP-004"]
    assert len(now) == 1 and now[0].severity == "critical" and now[0].subject == "peer %s (pathspace %s)" % (B, r1.name)
    assert now[0].evidence["connectionsDropped_second"] > now[0].evidence["connectionsDropped_first"]

    # Flapped a few times, back up: recent flap + drop count.
    r1.wait_bgp_established(B, timeout=60)
    for dummy in range(2):
        cycle(r1, r2)
        r1.wait_bgp_established(B, timeout=60)
    f = bgp(r1, max_connections_dropped=3)
    assert ids(f) == ["NM-BGP-002", "NM-BGP-003"]
    dropped = [x for x in f if x.id == "NM-BGP-003"][0]
    assert dropped.evidence["connectionsDropped"] == state(r1)[1] >= 3
    assert dropped.evidence["families"] == ["ipv4Unicast", "l2VpnEvpn"]

    # Link down and left down: not Established, every family has lost its only peer.
    r2.exec("ip", "link", "set", "eth-r1", "down")
    wait(lambda: state(r1)[0] != "Established", 30, "the session to go down")
    f = bgp(r1, max_connections_dropped=100)
    assert ids(f) == ["NM-BGP-001", "NM-BGP-007"]
    down = [x for x in f if x.id == "NM-BGP-001"][0]
    assert down.severity == "critical" and down.evidence["states"] != ["Established"]
    assert sorted(x.subject for x in f if x.id == "NM-BGP-007") == [
        "vrf default ipv4Unicast (pathspace %s)" % r1.name, "vrf default l2VpnEvpn (pathspace %s)" % r1.name]

    # The same through the preflight module, run by ansible inside r1's namespace.
    # Both routers in one call (pathspaces), as on a host running several FRR instances.
    res = module(r1, "preflight", {"checks": ["bgp", "frr_settings"], "options": {
        "bgp": {"pathspaces": [r1.name, r2.name], "sample_interval": 1},
        "frr_settings": {"pathspaces": [r1.name, r2.name]}}})
    assert res["changed"] is False and res.get("failed") is not True, res
    runs = {a["name"]: a["status"] for a in res["audits"]}
    assert runs["bgp"] == "ran" and runs["frr_settings"] == "ran"
    got = {(x["id"], x["subject"]) for x in res["findings"]}
    assert ("NM-BGP-001", "peer %s (pathspace %s)" % (B, r1.name)) in got
    assert ("NM-BGP-001", "peer %s (pathspace %s)" % (A, r2.name)) in got
    assert res["summary"]["critical"] >= 1


def settings(router, **opts):
    opts.setdefault("pathspace", router.name)
    return audit(router, "frr_settings", opts)


def test_frr_daemon_restarted_and_down(lab):
    heavy_only(lab.machine)
    r1, r2 = pair(lab)
    start = settings(r1, check_drift=True)
    assert {x.id for x in start} == {"NM-FRR-016"}  # just started: info only
    # watchfrr has run for > 10 s before bgpd is killed, so bgpd's restart is told apart from the start

    def wf_age():
        return process(r1, "watchfrr")["age_seconds"]

    wait(lambda: wf_age() > 12, 30, "watchfrr to be 12 s old")
    old = r1.kill("bgpd")
    r1.wait_restarted("bgpd", old, timeout=60)
    # until watchfrr has pushed bgpd's config back the audit rightly reports drift (NM-FRR-018)
    r1.wait_bgp_established(B, timeout=60)
    f = {x.id: x for x in settings(r1, check_drift=True)}
    assert set(f) == {"NM-FRR-015"}, [x.to_dict() for x in f.values()] and f["NM-FRR-015"].subject == "bgpd (pathspace %s)" % r1.name
    assert f["NM-FRR-015"].evidence["watchfrr_age_seconds"] > f["NM-FRR-015"].evidence["age_seconds"] + 10
    # frr.conf holds a line the running FRR lacks, after a restart: incident 000's signature (critical)
    r1.write_conf(r1.read_file("frr.conf") + "ip prefix-list NMAUD seq 5 permit 192.0.2.0/24\n")
    f = {x.id: x for x in settings(r1, check_drift=True)}
    assert set(f) == {"NM-FRR-015", "NM-FRR-018"}
    assert f["NM-FRR-018"].severity == "critical" and f["NM-FRR-018"].evidence["missing_from_running"] == 1
    assert f["NM-FRR-018"].evidence["first_differences"] == ["+ ip prefix-list NMAUD seq 5 permit 192.0.2.0/24"]
    # watchfrr gone, then bgpd gone: both are "enabled but not running"
    r1.kill("watchfrr")
    wait(lambda: not r1.running("watchfrr"), 10, "watchfrr to die")
    r1.kill("bgpd")
    wait(lambda: not r1.running("bgpd"), 10, "bgpd to die")
    f = settings(r1, check_drift=True)
    down = sorted(x.subject for x in f if x.id == "NM-FRR-014")
    assert down == ["bgpd (pathspace %s)" % r1.name, "watchfrr (pathspace %s)" % r1.name]
    assert all(x.severity == "critical" for x in f if x.id == "NM-FRR-014")


def _big_conf(lines):
    body = ["frr defaults traditional", "hostname big", "!"]
    i = 0
    while len(body) < lines - 4:
        body.append("ip prefix-list PL%d seq %d permit 10.%d.%d.0/24"
                    % (i // 1000, (i % 1000) * 5 + 5, (i // 250) % 250, i % 250))
        i += 1
    body += ["!", "router bgp 65100", " bgp router-id 10.0.0.1", "exit"]
    return "\n".join(body) + "\n"


def test_restart_timeout_too_short_for_20000_lines_and_the_fix(lab):
    heavy_only(lab.machine)
    r = lab.router("big", _big_conf(20000), watchfrr_options="-T 20")
    f = {x.id: x for x in settings(r)}
    timeout = f["NM-FRR-010"]
    assert timeout.severity == "critical" and timeout.incident == "000"
    assert len(r.read_file("frr.conf").splitlines()) == 20000
    assert timeout.evidence["config_lines"] == 19998 and timeout.evidence["restart_timeout_in_daemons_file"] == 20
    assert "lines per second" in timeout.evidence["model"] and timeout.evidence["estimated_load_seconds"] == 200.0
    assert timeout.fix.params == {"pathspace": r.name, "watchfrr_restart_timeout": 400}
    assert "NM-FRR-014" in f  # not started in this test: every enabled daemon is down

    # The fix module, as the finding says, through ansible (check, apply, again)
    args = dict(timeout.fix.params)
    before = r.read_file("daemons")
    res = module(r, "frr_daemons_options", args, check=True)
    assert res["changed"] is True and r.read_file("daemons") == before
    res = module(r, "frr_daemons_options", args)
    assert res["changed"] is True and res["restarted"] is False and r.machine.exists(res["backup_file"])
    assert r.read_file(res["backup_file"]) == before
    mode_uid = r.machine.sh(["stat", "-c", "%a %u", r.daemons_path]).split()
    assert mode_uid == ["640", r.machine.sh(["id", "-u", "frr"]).strip()]
    assert module(r, "frr_daemons_options", args)["changed"] is False
    # what frrinit.sh (bash) reads from the edited file
    out = r.machine.sh(["bash", "-c", '. "$1"; echo "$watchfrr_options|$zebra_options"', "x", r.daemons_path])
    assert out.strip() == "-T 400|-A 127.0.0.1 -s 90000000"
    assert "NM-FRR-010" not in {x.id for x in settings(r)}


def test_fix_module_restart_applies_the_new_timeout(lab):
    r = lab.router("rs", "frr defaults traditional\nhostname rs\n")
    r.start()
    args = {"pathspace": r.name, "watchfrr_restart_timeout": 60}
    res = module(r, "frr_daemons_options", args)
    # file changed, FRR not restarted: the running watchfrr still has the default
    assert res["changed"] and res["restarted"] is False and res["restart_needed"] is True
    assert res["running"]["watchfrr_restart_timeout"] == 20
    pending = {x.id: x for x in settings(r)}["NM-FRR-017"]
    assert pending.evidence["differences"] == {"watchfrr -T": {"daemons_file": 60, "running": 20}}
    # asked to restart (a change is needed to restart: a new value)
    res = module(r, "frr_daemons_options", dict(args, watchfrr_restart_timeout=90, restart=True))
    assert res["changed"] and res["restarted"] is True and res["restart_needed"] is False
    assert res["running"]["watchfrr_restart_timeout"] == 90
    wf = process(r, "watchfrr")
    assert wf["running"] and "-T" in wf["argv"] and wf["argv"][wf["argv"].index("-T") + 1] == "90"
    r.wait_up()
    assert "NM-FRR-017" not in {x.id for x in settings(r)}


def test_fix_module_never_runs_the_daemons_file_and_completes_a_bare_T(lab):
    """Issue 11, defects 5 and 6, against real FRR 8.4.4: check mode and the real run execute no line of
    the daemons file (check mode used to source it with bash); '-T' without a value becomes '-T 300'
    once (it became '-T -T 300', then '-T 300 300'), and frrinit.sh starts watchfrr with it."""
    r = lab.router("dopt", "frr defaults traditional\nhostname dopt\n", watchfrr_options="-d -T")
    marker = "/tmp/%s-sourced" % r.name
    r.machine.run(["rm", "-f", marker], check=False)
    clean = r.read_file("daemons")
    rogue = "touch %s\n" % marker
    r.write_file("daemons", clean + rogue)
    before = r.read_file("daemons")
    args = {"pathspace": r.name, "watchfrr_restart_timeout": 300}

    res = module(r, "frr_daemons_options", args, check=True)
    assert res["changed"] is True and res["changes"]["watchfrr_options"] == {"before": "-d -T", "after": "-d -T 300"}
    assert r.read_file("daemons") == before and not r.machine.exists(marker)
    res = module(r, "frr_daemons_options", args)
    assert res["changed"] is True and not r.machine.exists(marker)
    assert r.read_file("daemons") == before.replace('watchfrr_options="-d -T"', 'watchfrr_options="-d -T 300"')
    assert module(r, "frr_daemons_options", args)["changed"] is False

    # FRR's own scripts read the edited file: watchfrr runs with -T 300 (the rogue line removed first:
    # frrinit.sh, unlike netmedic, does run every line of the file)
    r.write_file("daemons", r.read_file("daemons").replace(rogue, ""))
    assert r.read_file("daemons") == clean.replace('"-d -T"', '"-d -T 300"')
    r.start()
    wf = process(r, "watchfrr")
    assert wf["running"] and wf["argv"][wf["argv"].index("-T") + 1] == "300"
    res = module(r, "frr_daemons_options", args)
    assert res["changed"] is False and res["running"]["watchfrr_restart_timeout"] == 300
    assert res["restart_needed"] is False
