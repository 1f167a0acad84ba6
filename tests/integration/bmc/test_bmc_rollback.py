"""bmc_lan_mode's rollback against a real IPMI peer (issue 16): OpenIPMI's ipmi_sim over lanplus.

The fault: a BMC that stops answering the moment the mode change arrives (ipmi_sim stopped with
SIGSTOP as soon as it logs the set: the BMC moved to a port that is not cabled).  This host has
no /dev/ipmi0, so the in-band way back is not there: the module must say so, and say what the BMC
was set to.  (The in-band restore itself runs at unit level with a scripted BMC; under qemu with
a KCS interface it needs the VM path of the BMC vendors issue.)
"""

import time

from ansible_collections.netmedic.network.plugins.module_utils.bmc import rollback as bmc_rollback
from ansible_collections.netmedic.network.plugins.module_utils.bmc.tool import Ipmitool, Target
from ansible_collections.netmedic.network.plugins.module_utils.core import rollback
from test_bmc_lan_mode import _silence_after_set as silence_after_set

SETTINGS = rollback.Settings(enabled=True, window=4, settle=1)


def tool_for(bmc, timeout=2):
    p = bmc.module_params()
    return Ipmitool(Target(interface="lanplus", host=p["host"], port=p["port"], user=p["user"],
                           password=p["password"], cipher_suite=p["cipher_suite"]), timeout=timeout)


def test_a_bmc_that_stops_answering_after_the_change_is_reported(bmc_factory):
    bmc = bmc_factory(mode="failover")
    watcher = silence_after_set(bmc, None)
    start = time.monotonic()
    res = bmc_rollback.ensure(tool_for(bmc), "dedicated", SETTINGS, allow_remote_change=True,
                              reconnect_timeout=3, poll_interval=0.5)
    seconds = time.monotonic() - start
    watcher.join(10)
    rec = res.record
    assert rec.last_result == "rollback_failed" and res.outcome is None, res.error
    assert rec.worse[0].startswith("the BMC at 127.0.0.1:%d stopped answering over lanplus" % bmc.port)
    assert "in-band: this host has no usable local BMC device /dev/ipmi0" in rec.undo_error
    assert "It was set from failover to dedicated mode" in rec.undo_error
    assert rec.state_now.startswith("the BMC at 127.0.0.1:%d does not answer over lanplus; still worse than "
                                    "before the change" % bmc.port), rec.state_now
    assert res.error.startswith("ROLLBACK FAILED: the change made the host worse within")
    assert seconds < 60   # bounded: reconnect, the undo attempts, one window (no timing claim)
    bmc.resume()
    assert bmc.read_mode() == "dedicated" and bmc.set_calls() == ["dedicated"]   # independently: what was set


def test_a_bmc_that_comes_back_after_switching_ports_is_kept(bmc_factory):
    bmc = bmc_factory(mode="failover")
    watcher = silence_after_set(bmc, seconds=1.5)
    res = bmc_rollback.ensure(tool_for(bmc), "dedicated", SETTINGS, allow_remote_change=True,
                              reconnect_timeout=10, poll_interval=0.5)
    watcher.join(10)
    assert res.error is None and res.record.last_result == "applied" and res.outcome.changed
    assert res.record.after["mode"] == "dedicated" and res.record.watch_seconds < 4
    assert bmc.read_mode() == "dedicated"


def test_through_ansible_check_mode_says_what_would_be_watched(bmc_factory, ansible_module):
    bmc = bmc_factory(mode="failover")
    res = ansible_module(bmc, mode="dedicated", allow_remote_change=True, rollback=True, check=True)
    assert not res.get("failed"), res["_stdout"]
    rb = res["rollback"]
    assert rb["last_result"] == "would_change" and rb["before"]["guid"]
    assert rb["watched"] == ["the BMC at 127.0.0.1:%d keeps answering over lanplus (LAN mode failover now)" % bmc.port]
    assert bmc.set_calls() == [] and bmc.password not in res["_stdout"]


def test_through_ansible_a_good_change_with_rollback(bmc_factory, ansible_module):
    bmc = bmc_factory(mode="failover")
    res = ansible_module(bmc, mode="dedicated", allow_remote_change=True, rollback=True, rollback_settle=1)
    assert not res.get("failed"), res["_stdout"]
    assert res["rollback"]["last_result"] == "applied" and res["mode"] == "dedicated"
    assert bmc.read_mode() == "dedicated"
