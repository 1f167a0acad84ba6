"""frr_reconcile: bad input gives a sentence, never a traceback (no FRR needed).

The module against real FRR daemons is in tests/integration/frr."""

import pytest


@pytest.mark.parametrize("args,msg", [
    ({"src": "/etc/frr/frr.conf", "content": "x"}, "mutually exclusive"),
    ({"command_timeout": 0}, "command_timeout must be a positive number"),
    ({"apply_timeout": -1}, "apply_timeout must be a positive number"),
    ({"pathspace": "../../etc"}, "is not a plain name"),
    ({"pathspace": "nmfrr-unit-no-such-space", "content": "router bgp 1\n"}, "has no daemons file"),
    ({"save": "perhaps"}, "save"),
])
def test_bad_input_fails_clearly(run_module, args, msg):
    res = run_module("frr_reconcile", args)
    assert res.failed and msg in res["msg"], res
    assert "Traceback" not in res["msg"]
