"""Unit tests of the tinc logic: parsers, discovery, storm watch, plan and audit on fake trees.

Fakes (a command runner, a /proc + /sys tree, a clock) are allowed here only;
the real proof is tests/integration/tinc (real tincd in network namespaces).
"""

import json
import os

import pytest

from support.fakes import FakeRunner
from support.paths import FIXTURES
from ansible_collections.netmedic.network.plugins.module_utils.core import procfs
from ansible_collections.netmedic.network.plugins.module_utils.core.audit import AuditContext, run_audits
from ansible_collections.netmedic.network.plugins.module_utils.core.sysfs import Sysfs
from ansible_collections.netmedic.network.plugins.module_utils.tinc import audit as audit_tinc
from ansible_collections.netmedic.network.plugins.module_utils.tinc import conf as C
from ansible_collections.netmedic.network.plugins.module_utils.tinc import counters
from ansible_collections.netmedic.network.plugins.module_utils.tinc import dumps
from ansible_collections.netmedic.network.plugins.module_utils.tinc import kernel_log as K
from ansible_collections.netmedic.network.plugins.module_utils.tinc import pidfile
from ansible_collections.netmedic.network.plugins.module_utils.tinc import state as S
from ansible_collections.netmedic.network.plugins.module_utils.tinc.errors import TincStateError
from ansible_collections.netmedic.network.plugins.module_utils.tinc.options import RestartOptions
from ansible_collections.netmedic.network.plugins.module_utils.tinc.restart import safe_restart
from ansible_collections.netmedic.network.plugins.module_utils.tinc.sampling import watch_storm
from ansible_collections.netmedic.network.plugins.module_utils.tinc.storm import StormThresholds
from ansible_collections.netmedic.network.plugins.module_utils.tinc.tinc_log import log_tail

FIX = os.path.join(FIXTURES, "tinc")
with open(os.path.join(FIX, "cases.json")) as _fh:
    CASES = json.load(_fh)


def links_runner(links):
    """The shared fake runner answering ``ip -j -d link show`` with ``links``."""
    return FakeRunner({"ip -j": json.dumps(list(links))})


def write(root, rel, text):
    path = os.path.join(str(root), rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as fh:
        fh.write(text)
    return path


def fake_host(root, pid=4242, running=True, stp=0, tinc_up=None, attached=True):
    """A root with /etc/tinc/t3o, a pidfile, /proc/PID and br-int; returns (runner, links)."""
    write(root, "etc/tinc/t3o/tinc.conf", "Name = a\nMode = switch\nDeviceType = tap\nInterface = t3o\n"
                                          "ConnectTo = b\n")
    write(root, "etc/tinc/t3o/hosts/b", "Address = 192.0.2.2\n")
    if tinc_up:
        write(root, "etc/tinc/t3o/tinc-up", tinc_up)
    write(root, "run/tinc.t3o.pid", "%d\n" % pid)
    if running:
        write(root, "proc/%d/stat" % pid, "%d (tincd) S 1 1 1 0" % pid)
        write(root, "proc/%d/comm" % pid, "tincd\n")
        write(root, "proc/%d/cmdline" % pid, "tincd\0-n\0t3o\0")
    write(root, "sys/class/net/br-int/bridge/stp_state", "%d\n" % stp)
    link = {"ifname": "t3o", "flags": ["UP"], "linkinfo": {"info_kind": "tun", "info_slave_kind": "bridge"}}
    if attached:
        link["master"] = "br-int"
    else:
        link["linkinfo"].pop("info_slave_kind")
    links = [link, {"ifname": "br-int", "flags": ["UP"], "linkinfo": {"info_kind": "bridge"}}]
    return links_runner(links)


# ---------------------------------------------------------------- parsers

@pytest.mark.parametrize("case", CASES["tinc_conf"])
def test_parse_tinc_conf(case):
    assert C.parse_tinc_conf(case["text"]) == case["expect"]


@pytest.mark.parametrize("case", CASES["cmdline_option"])
def test_cmdline_option(case):
    assert procfs.argv_option(case["argv"], case["long"], case["short"]) == case["expect"]


@pytest.mark.parametrize("case", CASES["kmsg"])
def test_kmsg_and_loop_message(case):
    rec = K.parse_kmsg(case["raw"])
    assert rec.seconds == pytest.approx(case["seconds"])
    assert "\n" not in rec.message
    assert bool(K.own_address_messages([rec], case["port"])) is case["loop"]


def test_parse_dumps_from_log():
    with open(os.path.join(FIX, "dump_connections_nodes.log")) as fh:
        lines = fh.read().splitlines()
    conns = dumps.parse_connections(lines)
    assert [(c.name, c.address, c.active) for c in conns] == [
        ("b", "10.99.0.2 port 56711", True), ("c", "10.99.0.3 port 655", False)]
    nodes = dumps.parse_nodes(lines)
    assert [(n.name, n.reachable) for n in nodes] == [("a", True), ("b", True), ("c", False)]
    assert dumps.parse_connections(lines[:2]) is None  # an unfinished dump is no dump
    assert log_tail(lines[-2:], 1) == "End of nodes."


def test_hex_ip_and_established_peers(tmp_path):
    assert procfs._hex_ip("0100007F") == "127.0.0.1"
    assert procfs._hex_ip("0000000000000000FFFF00000200000A") == "10.0.0.2"
    assert procfs._hex_ip("00000000000000000000000001000000") == "::1"
    fd = tmp_path / "proc" / "7" / "fd"
    fd.mkdir(parents=True)
    os.symlink("socket:[111]", str(fd / "5"))
    os.symlink("socket:[222]", str(fd / "6"))
    os.symlink("/dev/net/tun", str(fd / "4"))
    head = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
    write(tmp_path, "proc/7/net/tcp", head +
          "   0: 0100630A:028F 0200630A:DD17 01 00000000:00000000 00:00000000 00000000 0 0 111 1\n"
          "   1: 0100630A:028F 0300630A:DD18 0A 00000000:00000000 00:00000000 00000000 0 0 222 1\n"
          "   2: 0100630A:028F 0400630A:DD19 01 00000000:00000000 00:00000000 00000000 0 0 333 1\n")
    assert procfs.established_tcp_remotes(7, str(tmp_path)) == ["10.99.0.2"]


def test_process_alive_ignores_zombies(tmp_path):
    write(tmp_path, "proc/5/stat", "5 (tincd) Z 1 1")
    write(tmp_path, "proc/6/stat", "6 (tinc d) S 1 1")
    assert procfs.alive(5, str(tmp_path)) is False
    assert procfs.alive(6, str(tmp_path)) is True
    assert procfs.alive(7, str(tmp_path)) is False
    assert procfs.alive(None, str(tmp_path)) is False


def test_read_pidfile_formats(tmp_path):
    assert pidfile.read_pidfile(write(tmp_path, "a.pid", "123\n")) == 123
    assert pidfile.read_pidfile(write(tmp_path, "b.pid", "123 ABCDEF 127.0.0.1 port 655\n")) == 123
    assert pidfile.read_pidfile(write(tmp_path, "c.pid", "garbage")) is None
    assert pidfile.read_pidfile(str(tmp_path / "missing.pid")) is None


# ---------------------------------------------------------------- discovery

def test_discover_plain_daemon_in_bridge(tmp_path):
    runner = fake_host(tmp_path)
    st = S.discover("t3o", runner, root=str(tmp_path))
    assert (st.interface, st.bridge, st.bridge_stp, st.pid, st.running, st.management) == \
        ("t3o", "br-int", False, 4242, True, "plain")
    assert st.connect_to == ["b"] and st.mode == "switch"
    assert st.describe() == "tincd running (pid 4242, plain); t3o attached to bridge br-int"


def test_discover_finds_daemon_with_other_pidfile(tmp_path):
    runner = fake_host(tmp_path, running=False)
    write(tmp_path, "proc/99/stat", "99 (tincd) S 1 1")
    write(tmp_path, "proc/99/comm", "tincd\n")
    write(tmp_path, "proc/99/cmdline", "tincd\0-n\0t3o\0--pidfile=/elsewhere.pid\0")
    st = S.discover("t3o", runner, root=str(tmp_path))
    assert st.pid == 99 and st.running and st.pidfile == "/elsewhere.pid"


@pytest.mark.parametrize("bad", ["../etc", "t3o;rm", "", "x" * 65])
def test_discover_rejects_bad_netname(tmp_path, bad):
    with pytest.raises(TincStateError):
        S.discover(bad, FakeRunner({}), root=str(tmp_path))


# ---------------------------------------------------------------- storm watch

class FakeArp:
    error = None

    def __init__(self):
        self.total = 0

    def read(self):
        return self.total

    def close(self):
        pass


def test_watch_storm_stops_at_first_storm_sample(tmp_path):
    sysfs = Sysfs(str(tmp_path))
    for name in counters.COUNTERS:
        write(tmp_path, "sys/class/net/t3o/statistics/%s" % name, "0\n")
    arp = FakeArp()
    now = [0.0]
    rates = iter([10, 20, 5000, 5000])  # ARP frames per 0.25 s sample

    def sleep(dt):
        now[0] += dt
        arp.total += next(rates)

    rep = watch_storm("t3o", 5.0, StormThresholds(arp_rate=200), sysfs, clock=lambda: now[0], sleep=sleep,
                      arp_counter=arp)
    assert rep.storm is True and len(rep.samples) == 3
    assert rep.max_arp_rate == 20000.0 and "ARP rate on t3o reached 20000/s" in rep.reasons[0]
    assert "kernel log not watched" in rep.notes


def test_watch_storm_quiet_runs_the_whole_window(tmp_path):
    sysfs = Sysfs(str(tmp_path))
    for name in counters.COUNTERS:
        write(tmp_path, "sys/class/net/t3o/statistics/%s" % name, "0\n")
    now = [0.0]

    def sleep(dt):
        now[0] += dt

    rep = watch_storm("t3o", 1.0, StormThresholds(), sysfs, clock=lambda: now[0], sleep=sleep,
                      arp_counter=FakeArp())
    assert rep.storm is False and len(rep.samples) == 4 and rep.seconds == pytest.approx(1.0)


# ---------------------------------------------------------------- the sequence

def test_check_mode_reports_the_plan_and_changes_nothing(tmp_path):
    runner = fake_host(tmp_path)
    opts = RestartOptions(netname="t3o", root=str(tmp_path), config_dir=str(tmp_path / "etc/tinc/t3o"))
    rep = safe_restart(opts, check_mode=True, runner=runner)
    assert rep.ok and rep.changed
    assert rep.plan[0] == "take t3o out of bridge br-int"
    assert rep.plan[1].startswith("stop tincd pid 4242") and rep.plan[2] == "start: tincd -n t3o"
    assert "peers b connected" in rep.plan[3] and rep.plan[4] == "put t3o back into br-int unless tinc-up did"
    assert runner.calls == ["ip -j -d link show"]  # only looked


@pytest.mark.parametrize("opts,error", [
    ({"mode": "reload"}, "not running, so it cannot be reloaded"),
    ({"bridge": "br-other"}, None),
    ({"mode": "bounce"}, "mode must be restart or reload"),
    ({"capture_seconds": 2.0}, "capture_seconds needs diagnostics_dir"),
])
def test_refusals_before_touching_anything(tmp_path, opts, error):
    runner = fake_host(tmp_path, running=False)
    base = {"netname": "t3o", "root": str(tmp_path), "config_dir": str(tmp_path / "etc/tinc/t3o")}
    base.update(opts)
    try:
        rep = safe_restart(RestartOptions(**base), runner=runner)
    except TincStateError as exc:
        assert error in str(exc)
        return
    if error is None:  # port in br-int, br-other given
        error = "is in bridge br-int, not in br-other"
    assert rep.ok is False and error in rep.msg and rep.state_left == "nothing was changed"
    assert not [c for c in runner.calls if c.startswith("ip link set")]


# ---------------------------------------------------------------- audit

@pytest.mark.parametrize("case", CASES["tinc_up"])
def test_expected_bridge_from_tinc_up(tmp_path, case):
    fake_host(tmp_path, tinc_up=case["text"])
    st = S.TincState(netname="t3o", config_dir=str(tmp_path / "etc/tinc/t3o"), interface="t3o")
    assert audit_tinc.expected_bridge(AuditContext(root=str(tmp_path)), st) == case["expect"]


def test_expected_bridge_from_ifupdown(tmp_path):
    fake_host(tmp_path)
    write(tmp_path, "etc/network/interfaces", "auto br-int\niface br-int inet manual\n  bridge_ports eth1 t3o\n")
    st = S.TincState(netname="t3o", config_dir=str(tmp_path / "etc/tinc/t3o"), interface="t3o")
    assert audit_tinc.expected_bridge(AuditContext(root=str(tmp_path)), st) == "br-int"


def test_audit_stp_off_and_daemon_down(tmp_path):
    runner = fake_host(tmp_path, running=False, attached=False,
                       tinc_up="#!/bin/sh\nip link set $INTERFACE master br-int up\n")
    ctx = AuditContext(root=str(tmp_path), runner=runner, options={"tinc": {"arp_sample_seconds": 0}})
    assert audit_tinc.applies(ctx)
    found = audit_tinc.run(ctx)
    assert [(f.id, f.severity, f.subject) for f in found] == [("NM-TINC-004", "critical", "t3o")]
    assert found[0].fix.params == {"netname": "t3o", "bridge": "br-int"} and found[0].incident == "001"


def test_audit_attached_without_stp_and_missing_port(tmp_path):
    runner = fake_host(tmp_path)
    ctx = AuditContext(root=str(tmp_path), runner=runner, options={"tinc": {"arp_sample_seconds": 0}})
    assert [f.id for f in audit_tinc.run(ctx)] == ["NM-TINC-001"]
    runner = fake_host(tmp_path, attached=False, tinc_up="#!/bin/sh\nbrctl addif br-int $INTERFACE\n")
    ctx = AuditContext(root=str(tmp_path), runner=runner, options={"tinc": {"arp_sample_seconds": 0}})
    found = audit_tinc.run(ctx)
    assert [f.id for f in found] == ["NM-TINC-005"]
    assert "missing from bridge br-int" in found[0].summary


def test_audit_does_not_apply_without_tinc(tmp_path):
    assert audit_tinc.applies(AuditContext(root=str(tmp_path))) is False
    assert set(audit_tinc.AUDIT.checks) == {"NM-TINC-00%d" % i for i in range(1, 6)}


@pytest.mark.parametrize("show,running,management,pid", [
    ("ActiveState=active\nMainPID=4242\nLoadState=loaded\n", True, "systemd", 4242),
    ("ActiveState=inactive\nMainPID=0\nLoadState=loaded\n", False, "systemd", None),   # start it via systemd
    ("ActiveState=inactive\nMainPID=0\nLoadState=not-found\n", False, "plain", None),
])
def test_discover_systemd_management(tmp_path, show, running, management, pid):
    runner = fake_host(tmp_path, running=running)
    runner.answers["systemctl show"] = show
    (tmp_path / "run" / "systemd" / "system").mkdir(parents=True)
    st = S.discover("t3o", runner, root=str(tmp_path))
    assert (st.management, st.pid, st.running) == (management, pid, running)
    plan = safe_restart(RestartOptions(netname="t3o", root=str(tmp_path)), check_mode=True, runner=runner).plan
    assert ("systemctl restart tinc@t3o.service" in plan) is (management == "systemd")


def test_stopped_network_goes_back_into_the_tinc_up_bridge(tmp_path):
    runner = fake_host(tmp_path, running=False, attached=False,
                       tinc_up="#!/bin/sh\nip link set $INTERFACE up\nip link set $INTERFACE master br-int\n")
    plan = safe_restart(RestartOptions(netname="t3o", root=str(tmp_path)), check_mode=True, runner=runner).plan
    assert plan[0] == "start: tincd -n t3o"
    assert "put t3o back into br-int unless tinc-up did" in plan
    assert any(p.startswith("watch t3o for a storm") for p in plan)


@pytest.mark.parametrize("opts,words", [
    ({"arp_sample_seconds": "nan"}, "arp_sample_seconds must be a finite number"),
    ({"arp_sample_seconds": float("inf")}, "arp_sample_seconds must be a finite number"),
    ({"arp_sample_seconds": 1e308}, "arp_sample_seconds must be between 0 and 60"),
    ({"arp_rate": -1}, "arp_rate must be between"),
    ({"kernel_log_window": float("nan")}, "kernel_log_window must be a finite number"),
])
def test_audit_numeric_options_are_checked(tmp_path, opts, words):
    """issue 11: a NaN sample made time.sleep raise, an infinite one hung the preflight."""
    runner = fake_host(tmp_path)
    findings, runs = run_audits(AuditContext(root=str(tmp_path), runner=runner, options={"tinc": opts}),
                                [audit_tinc.AUDIT])
    assert [r.status for r in runs] == ["failed"] and "options.tinc: " + words in runs[0].error
    assert runner.calls == []


def test_audit_follows_the_area_conventions():
    """Issue 12: area set, every option declared with default and description, read through AUDIT.option,
    FIX_MODULE the one name of the fix module, no function-local imports."""
    import ast
    import inspect as pyinspect
    audit = audit_tinc.AUDIT
    assert (audit.name, audit.area) == ("tinc", "tinc")
    assert audit_tinc.FIX_MODULE == "netmedic.network.tinc_safe_restart"
    for key, spec in audit.options.items():
        assert spec.description, key
        assert spec.default is not None or key == "networks", key
    assert audit_tinc.options(AuditContext()) == {"arp_sample_seconds": 1.0, "arp_rate": 200.0,
                                                  "kernel_log_window": 3600.0}
    source = pyinspect.getsource(audit_tinc)
    assert "ctx.opt(" not in source and "DEFAULTS" not in source
    tree = ast.parse(source)
    local = [n.lineno for f in ast.walk(tree) if isinstance(f, ast.FunctionDef)
             for n in ast.walk(f) if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert local == []
