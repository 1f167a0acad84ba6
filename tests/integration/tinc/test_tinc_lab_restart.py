"""tinc_safe_restart and the tinc audit against real tincd daemons in network namespaces.

The lab (tinclab.py): two hosts joined by an underlay veth, each with br-int,
a tinc switch-mode tap and a client behind the bridge.  No timed assertions:
outage figures are printed by tests/bench/tinc_outage.py.
"""

import os
import signal
import subprocess
import time

from tinclab import HOSTS, TincLab, pinger_result

B_CLIENT = HOSTS["b"]["client_ip"]


def steps(report):
    return [s["step"] for s in report["steps"]]


def test_restart_clients_reach_each_other_before_and_after(lab):
    assert lab.ping("a", B_CLIENT) == (3, 3)
    old_pid = lab.pid("a")
    r = lab.run_restart("a", storm_watch=1)
    assert r["ok"], r["msg"]
    assert r["changed"] is True
    assert steps(r)[:5] == ["inspect", "precheck", "detach", "stop", "start"]
    assert r["before"]["bridge"] == "br-int" and r["after"]["bridge"] == "br-int"
    assert r["after"]["pid"] != old_pid and r["after"]["running"]
    assert r["peers"]["connected"] == ["b"] and "SIGUSR1" in r["peers"]["source"]
    assert r["storm"]["storm"] is False and r["outage_seconds"] is not None
    assert "attached to bridge br-int" in r["state_left"]
    assert lab.ping("a", B_CLIENT) == (3, 3)
    assert lab.ping("b", HOSTS["a"]["client_ip"]) == (3, 3)


def test_reattaches_when_tinc_up_does_not(lab):
    lab.set_tinc_up("a", attaches=False)
    try:
        r = lab.run_restart("a", storm_watch=0.5)
        assert r["ok"], r["msg"]
        attach = [s for s in r["steps"] if s["step"] == "attach"]
        assert attach and "put nmtinc-ta back into br-int" in attach[0]["detail"]
        assert lab.master("a") == "br-int"
        assert lab.ping("a", B_CLIENT) == (3, 3)
    finally:
        lab.set_tinc_up("a", attaches=True)


def test_reload_loses_no_packets(lab):
    old_pid = lab.pid("a")
    pinger = lab.start_pinger("a", B_CLIENT, count=150, interval=0.01)
    r = lab.run_restart("a", mode="reload", storm_watch=0.5, precheck=0)
    sent, received, _gap = pinger_result(pinger)
    assert r["ok"], r["msg"]
    assert "detach" not in steps(r)
    assert r["after"]["pid"] == old_pid
    assert sent == 150 and received == sent, "reload lost %d of %d pings" % (sent - received, sent)


def test_broken_config_fails_cleanly_with_port_detached(lab, broken_config):
    r = lab.run_restart("a", wait_timeout=10, storm_watch=0.5)
    assert r["ok"] is False
    assert "Error reading RSA private key" in r["msg"]          # why, in tinc's words
    assert "State left: tincd NOT running" in r["msg"]
    assert "belongs in bridge br-int" in r["state_left"]
    assert r["after"]["running"] is False and r["after"]["bridge"] is None
    # the same failure through Ansible: a failed task with the sentence, no traceback
    res = lab.run_ansible("a", {"storm_watch": 0.5, "wait_timeout": 10})
    assert res["_status"] == "FAILED!" and "State left" in res["msg"] and "Traceback" not in str(res)
    # tincd is not running now: say how to start it (with its log file, as the lab runs it)
    r = broken_config.restore()
    assert "attach" in steps(r) and lab.master("a") == "br-int"
    assert lab.ping("a", B_CLIENT, count=2) == (2, 2)


def test_old_daemon_that_does_not_stop_gets_its_port_back(lab):
    pid = lab.pid("a")
    os.kill(pid, signal.SIGSTOP)  # a stopped process cannot act on SIGTERM
    try:
        r = lab.run_restart("a", stop_timeout=1, storm_watch=0.5)
        assert r["ok"] is False
        assert "did not exit within 1 s of SIGTERM; it was left running" in r["msg"]
        assert steps(r)[-2:] == ["detach", "attach"]
        assert r["after"]["bridge"] == "br-int" and r["after"]["pid"] == pid
        assert lab.master("a") == "br-int"
    finally:
        os.kill(pid, signal.SIGCONT)  # the pending SIGTERM now stops it
    lab.wait_gone(pid)
    r = lab.run_restart("a", storm_watch=0.5, tincd_command=lab.command("a"))
    assert r["ok"], r["msg"]
    lab.wait_connected(timeout=15)


def test_ansible_module_check_mode_and_restart(lab):
    pid = lab.pid("a")
    res = lab.run_ansible("a", {"storm_watch": 0.5}, check=True)
    assert res["_status"] == "CHANGED"
    assert any("take nmtinc-ta out of bridge br-int" in p for p in res["plan"])
    assert lab.pid("a") == pid and lab.master("a") == "br-int"

    res = lab.run_ansible("a", {"storm_watch": 0.5, "probe_addresses": [B_CLIENT]})
    assert res["_status"] == "CHANGED", res.get("msg")
    assert res["after"]["bridge"] == "br-int"
    assert "probe" in steps(res)
    assert lab.pid("a") != pid

    res = lab.run_ansible("a", {"mode": "bogus"})
    assert res["_status"] == "FAILED!" and "mode" in res["msg"]


def _start_time(pid):
    with open("/proc/%d/stat" % pid, "rb") as fh:
        return fh.read().rsplit(b")", 1)[1].split()[19]


def test_stale_pidfile_naming_a_sleep_is_refused(lab, tmp_path):
    """issue 11: a stale pidfile named a `sleep`; it got SIGTERM and `sleep` was run as tincd. Now: refused,
    the sleep and tincd untouched, the port left in the bridge."""
    sleeper = subprocess.Popen(["sleep", "300"])
    try:
        stale = tmp_path / "stale.pid"
        stale.write_text("%d\n" % sleeper.pid)
        time.sleep(0.05)  # let the child exec sleep
        tincd = lab.pid("a")
        before = {p: _start_time(p) for p in (sleeper.pid, tincd)}
        r = lab.run_restart("a", pidfile=str(stale), storm_watch=0.5)
        assert r["ok"] is False and r["changed"] is False and r["steps"] == []
        assert r["msg"].startswith("refusing to touch tinc network nmtinc: the pidfile %s names pid %d, which is "
                                   % (stale, sleeper.pid))
        assert "(sleep 300), not tincd of network nmtinc" in r["msg"]
        res = lab.run_ansible("a", {"pidfile": str(stale), "storm_watch": 0.5})
        assert res["_status"] == "FAILED!" and "refusing to touch tinc network nmtinc" in res["msg"]
        assert "Traceback" not in str(res)
        assert sleeper.poll() is None and lab.pid("a") == tincd
        assert {p: _start_time(p) for p in (sleeper.pid, tincd)} == before
        assert lab.master("a") == "br-int"
    finally:
        sleeper.kill()
        sleeper.wait()
    assert lab.ping("a", B_CLIENT) == (3, 3)


def test_pidfile_linked_to_the_other_hosts_tincd_is_refused(lab, tmp_path):
    """Same network name, other config directory (host b's tincd): not ours either."""
    link = tmp_path / "tinc.pid"
    os.symlink(lab.pidfile("b"), str(link))
    pids = {h: lab.pid(h) for h in HOSTS}
    before = {p: _start_time(p) for p in pids.values()}
    r = lab.run_restart("a", pidfile=str(link), mode="reload", storm_watch=0.5)
    assert r["ok"] is False and "names pid %d" % pids["b"] in r["msg"]
    assert "-c %s" % lab.conf("b") in r["msg"] and "not tincd of network nmtinc" in r["msg"]
    assert {h: lab.pid(h) for h in HOSTS} == pids and {p: _start_time(p) for p in pids.values()} == before


def test_audit_clean_lab_reports_only_stp_off(lab):
    found = lab.run_audit("a", arp_sample_seconds=0.5, kernel_log_window=1)
    assert [(f["id"], f["subject"]) for f in found] == [("NM-TINC-001", "nmtinc-ta")]


def test_audit_tinc_down_while_port_expected(lab):
    pid = lab.pid("a")
    os.kill(pid, 15)
    lab.wait_gone(pid)
    try:
        found = lab.run_audit("a", arp_sample_seconds=0)
        assert "NM-TINC-004" in {f["id"] for f in found}
        f = [f for f in found if f["id"] == "NM-TINC-004"][0]
        assert f["fix"]["module"] == "netmedic.network.tinc_safe_restart"
        assert f["fix"]["params"] == {"netname": "nmtinc", "bridge": "br-int"}
    finally:
        r = lab.run_restart("a", storm_watch=0.5, tincd_command=lab.command("a"))
    assert r["ok"], r["msg"]
    assert [s["step"] for s in r["steps"]][:3] == ["inspect", "start", "daemon"]
    lab.wait_connected(timeout=15)
    assert lab.ping("a", B_CLIENT) == (3, 3)


# Last of the lab tests: after a loop, tinc's learned MAC table can hold stale entries for a while.
def test_loop_is_detected_and_port_detached(lab, tmp_path):
    lab.inject_loop()
    seeders = lab.start_seeder(seconds=30)
    try:
        # the storm is live: the audit sees it
        found = {f["id"] for f in lab.run_audit("a", arp_sample_seconds=0.5)}
        assert {"NM-TINC-001", "NM-TINC-003"} <= found
        r = lab.run_restart("a", storm_watch=8, diagnostics_dir=str(tmp_path), capture_seconds=0.5,
                            capture_packets=200)
        assert r["ok"] is False
        assert r["storm_before"]["storm"] is True
        assert r["storm"]["storm"] is True and r["storm"]["reasons"]
        assert "storm on nmtinc-ta" in r["msg"] and "tincd left running outside the bridge" in r["msg"]
        assert steps(r)[-3:] == ["capture", "detach", "dumps"]
        assert r["after"]["running"] is True and r["after"]["bridge"] is None
        assert lab.master("a") is None
        pcap = [p for p in r["diagnostics"] if p.endswith("-nmtinc-ta.pcap")]
        dumps = [p for p in r["diagnostics"] if p.endswith("-dump.txt")]
        assert len(pcap) == 1 and len(dumps) == 1 and os.path.getsize(pcap[0]) > 24
        with open(dumps[0]) as fh:
            dump = fh.read()
        assert "Connections:" in dump and "Nodes:" in dump
        # with the port out, the audit says the port is missing from its bridge
        found = {f["id"] for f in lab.run_audit("a", arp_sample_seconds=0)}
        assert "NM-TINC-005" in found
    finally:
        for p in seeders:
            p.kill()
            p.wait()
        lab.remove_loop()
    r = lab.run_restart("a", bridge="br-int", storm_watch=1)
    assert r["ok"], r["msg"]
    # tinc's own MAC table may briefly hold what the loop taught it: wait for the first answer
    lab.wait_connected(timeout=15)
    assert lab.ping("a", B_CLIENT) == (3, 3)


def test_lab_cleans_up():
    lab = TincLab().setup()
    lab.teardown()
    from tinclab import sh
    assert not [n for n in sh(["ip", "netns", "list"]).stdout.split() if n.startswith("nmtinc-")]
