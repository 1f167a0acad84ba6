"""playbooks/tinc.yml with the netmedic.network.tinc role over two real tinc hosts (namespaces)."""

import os
import re

from tinclab import HOSTS


def test_restarts_one_host_at_a_time(lab):
    pids = {h: lab.pid(h) for h in HOSTS}
    rc, out = lab.run_playbook({"tinc_storm_watch": 0.5})
    assert rc == 0, out
    assert all(lab.pid(h) != pids[h] for h in HOSTS)
    # serial: 1 -> one play batch per host, a before b
    batches = re.findall(r"changed: \[(tinc-[ab])\]", out)
    assert batches == ["tinc-a", "tinc-b"] and out.count("PLAY [Restart tinc safely") == 2
    assert "attached to bridge br-int (outage" in out
    assert lab.ping("a", HOSTS["b"]["client_ip"]) == (3, 3)


def test_stops_at_the_first_failure(lab):
    conf = os.path.join(lab.conf("a"), "tinc.conf")
    with open(conf) as fh:
        good = fh.read()
    with open(conf, "a") as fh:
        fh.write("PrivateKeyFile = /nonexistent/rsa_key.priv\n")
    pid_b = lab.pid("b")
    try:
        rc, out = lab.run_playbook({"tinc_storm_watch": 0.5, "tinc_wait_timeout": 10})
        assert rc != 0
        assert "tinc restart of nmtinc failed" in out and "State left: tincd NOT running" in out
        assert "tinc-b" not in out.split("PLAY RECAP")[0]     # host b was never touched
        assert lab.pid("b") == pid_b
    finally:
        with open(conf, "w") as fh:
            fh.write(good)
    r = lab.run_restart("a", bridge="br-int", storm_watch=0.5, tincd_command=lab.command("a"))
    assert r["ok"], r["msg"]


def test_storm_fails_the_play_and_fetches_diagnostics(lab):
    """Last: the loop leaves tinc's learned MAC tables dirty for a while."""
    pid_b = lab.pid("b")
    fetch = os.path.join(lab.workdir, "fetched")
    lab.inject_loop()
    seeders = lab.start_seeder(seconds=40)
    try:
        rc, out = lab.run_playbook({"tinc_storm_watch": 8, "tinc_capture_seconds": 0.5, "tinc_capture_packets": 100,
                                    "tinc_diagnostics_dir": os.path.join(lab.workdir, "diag-host"),
                                    "tinc_fetch_dir": fetch})
        assert rc != 0, out[-3000:]
        assert "storm on nmtinc-ta" in out and "tincd left running outside the bridge" in out
        assert "Diagnostics fetched to" in out
        assert lab.master("a") is None and lab.pid("b") == pid_b
        fetched = []
        for dirpath, _dirs, files in os.walk(os.path.join(fetch, "tinc-a")):
            fetched += files
        assert any(f.endswith("-nmtinc-ta.pcap") for f in fetched), fetched
        assert any(f.endswith("-dump.txt") for f in fetched), fetched
    finally:
        for p in seeders:
            p.kill()
            p.wait()
        lab.remove_loop()
