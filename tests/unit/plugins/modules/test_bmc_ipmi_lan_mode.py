"""ipmi_lan_mode: bad input gives a sentence, never a traceback (no BMC needed).

The module against a real BMC is in tests/integration/bmc."""

import os

import pytest


@pytest.mark.parametrize("args,msg", [
    ({"interface": "lanplus", "user": "u", "password": "pw-Long-1"}, "interface=lanplus needs host"),
    ({"interface": "lanplus", "host": "h", "password": "pw-Long-1"}, "interface=lanplus needs user"),
    ({"interface": "lanplus", "host": "h", "user": "u"}, "needs password"),
    ({"interface": "lanplus", "host": "h", "user": "u", "password": "pw-Long-1", "port": 70000}, "port must be"),
    ({"command_timeout": 0}, "must be positive"),
    ({"interface": "lanplus", "host": "h", "user": "u", "password": "pw-Long-1", "password_file": "/f"},
     "mutually exclusive"),
    ({"mode": "auto"}, "value of mode must be one of"),
])
def test_bad_input_fails_clearly(run_module, args, msg):
    res = run_module("ipmi_lan_mode", args)
    assert res.failed and msg in res["msg"], res
    assert "Traceback" not in res["msg"]


@pytest.mark.skipif(os.path.exists("/dev/ipmi0"), reason="this host has a real BMC")
def test_inband_without_a_bmc_device_is_explained(run_module):
    res = run_module("ipmi_lan_mode", {"mode": "dedicated"})
    assert res.failed
    assert "/dev/ipmi0" in res["msg"] and "ipmi_si" in res["msg"]


def test_password_never_in_a_failure(run_module):
    res = run_module("ipmi_lan_mode", {"interface": "lanplus", "host": "h", "user": "u", "password": "Sekr1t",
                                       "port": 0})
    assert res.failed and "Sekr1t" not in str(res)
