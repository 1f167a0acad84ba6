"""bmc/health.py and bmc/rollback.py (issue 16) with a scripted BMC reachable over lanplus and in-band.

The lanplus channel dies when the mode becomes ``dead_mode`` (the BMC moved to a port that is not
cabled); the in-band path (``-I open``, /dev/ipmi0) keeps answering, unless there is no local device,
or it is another machine's BMC (another GUID).  The real ipmi_sim runs in tests/integration/bmc.
"""

import os

from ansible_collections.netmedic.network.plugins.module_utils.bmc import rollback as bmc_rollback
from ansible_collections.netmedic.network.plugins.module_utils.bmc.tool import Ipmitool, Target
from ansible_collections.netmedic.network.plugins.module_utils.core import rollback
from ansible_collections.netmedic.network.plugins.module_utils.core.runner import Result
from support.paths import FIXTURES

MC_INFO = open(os.path.join(FIXTURES, "bmc_real", "mc_info.txt")).read()
MODES = {"dedicated": 0, "shared": 1, "failover": 2}
GUID = "efcdab89-6745-23a1-efcd-ab89674523a1"


class Bmc:
    def __init__(self, mode="failover", dead_mode="dedicated", inband=True, inband_guid=GUID):
        self.mode, self.dead_mode, self.inband, self.inband_guid = mode, dead_mode, inband, inband_guid
        self.sets = []
        self.now = 0.0

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds

    def available(self, name):
        return True

    def __call__(self, argv, timeout=None, env=None, input=None, check=False, cwd=None):
        argv = list(argv)
        via = argv[argv.index("-I") + 1]
        i = argv.index("-I") + 2
        while i < len(argv) and argv[i].startswith("-"):
            i += 1 if argv[i] in ("-E", "-v") else 2
        args = argv[i:]
        if via == "open" and not self.inband:
            return Result(argv, 1, "", "Could not open device at /dev/ipmi0 or /dev/ipmi/0 or /dev/ipmidev/0: "
                                       "No such file or directory\n", 0.01)
        if via == "lanplus" and self.mode == self.dead_mode:
            # ipmitool says why only with -v (bmc/tool.py asks again with -v): a BMC that is silent
            why = "No response from remote controller\n" if "-v" in argv else ""
            return Result(argv, 1, "", why + "Error: Unable to establish IPMI v2 / RMCP+ session\n", 0.01)
        if args == ["mc", "info"]:
            return Result(argv, 0, MC_INFO, "", 0.01)
        if args == ["mc", "guid"]:
            return Result(argv, 0, "System GUID   : %s\n" % (self.inband_guid if via == "open" else GUID), "", 0.01)
        data = [int(a, 16) for a in args[1:]]
        if data == [0x30, 0x70, 0x0C, 0x00]:
            return Result(argv, 0, " %02x\n" % MODES[self.mode], "", 0.01)
        if data[:4] == [0x30, 0x70, 0x0C, 0x01]:
            self.mode = {v: k for k, v in MODES.items()}[data[4]]
            self.sets.append((via, self.mode))
            return Result(argv, 0, "\n", "", 0.01)
        return Result(argv, 1, "", "Invalid command\n", 0.01)


def tool(bmc):
    return Ipmitool(Target(interface="lanplus", host="192.0.2.50", user="admin", password="Secret-1"),
                    runner=bmc, timeout=2)


SETTINGS = rollback.Settings(enabled=True, window=6, settle=2)


def run(bmc, wanted="dedicated", settings=SETTINGS, **kw):
    return bmc_rollback.ensure(tool(bmc), wanted, settings, allow_remote_change=True, reconnect_timeout=0.3,
                               poll_interval=0.1, clock=bmc.clock, sleep=bmc.sleep, **kw)


def test_a_bmc_that_stops_answering_is_set_back_in_band():
    bmc = Bmc()
    res = run(bmc)
    rec = res.record
    assert rec.last_result == "rolled_back" and res.outcome is None
    assert rec.worse == ["the BMC at 192.0.2.50:623 stopped answering over lanplus (the BMC at 192.0.2.50:623 does "
                         "not answer (Error: Unable to establish IPMI v2 / RMCP+ session). Check the address, port, "
                         "network path and that IPMI over LAN is enabled on the BMC.)"]
    assert rec.undone == ["LAN mode set back to failover through open (read back)"]
    assert bmc.sets == [("lanplus", "dedicated"), ("open", "failover")] and bmc.mode == "failover"
    assert rec.state_now == "the BMC at 192.0.2.50:623 answers over lanplus, LAN mode failover; back as before the change"
    assert res.error.startswith("ROLLED BACK: the change made the host worse within 0.0 s")
    assert "Secret-1" not in repr(rec.to_result()) + res.error


def test_another_machines_bmc_in_band_is_left_alone_and_the_failure_said():
    bmc = Bmc(inband_guid="11111111-2222-3333-4444-555555555555")
    rec = run(bmc).record
    assert rec.last_result == "rollback_failed" and bmc.sets == [("lanplus", "dedicated")]
    assert "the local BMC (GUID 11111111-2222-3333-4444-555555555555) is not the BMC that was changed" in rec.undo_error
    assert "It was set from failover to dedicated mode" in rec.undo_error
    assert rec.state_now.startswith("the BMC at 192.0.2.50:623 does not answer over lanplus; still worse")


def test_no_local_device_and_a_silent_channel_is_rollback_failed():
    bmc = Bmc(inband=False)
    rec = run(bmc).record
    assert rec.last_result == "rollback_failed"
    assert "in-band: this host has no usable local BMC device /dev/ipmi0" in rec.undo_error
    assert "lanplus: the BMC at 192.0.2.50:623 does not answer" in rec.undo_error


def test_a_good_change_is_kept_after_the_settle_time():
    bmc = Bmc(dead_mode="nothing")
    res = run(bmc)
    assert res.error is None and res.outcome.changed and res.record.last_result == "applied"
    assert res.record.watch_seconds == 2.0 and bmc.sets == [("lanplus", "dedicated")]
    assert res.record.before["guid"] == GUID and res.record.after["mode"] == "dedicated"


def test_check_mode_and_rollback_off():
    bmc = Bmc()
    res = bmc_rollback.ensure(tool(bmc), "dedicated", SETTINGS, check_mode=True, allow_remote_change=True)
    assert res.record.last_result == "would_change" and bmc.sets == []
    assert res.record.watched == ["the BMC at 192.0.2.50:623 keeps answering over lanplus (LAN mode failover now)"]
    off = run(Bmc(), settings=rollback.Settings())
    assert off.record.last_result == "failed" and off.record.before is None and off.outcome is None
    assert "did not answer again within 0.3 s" in off.error


def test_refused_remote_change_is_failed_and_touches_nothing():
    bmc = Bmc()
    res = bmc_rollback.ensure(tool(bmc), "dedicated", SETTINGS)
    assert res.record.last_result == "failed" and "allow_remote_change" in res.error and bmc.sets == []
