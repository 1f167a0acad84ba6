"""tinc_safe_restart: argument handling and documentation (the real runs: tests/integration/tinc)."""

import pytest
import yaml

from ansible_collections.netmedic.network.plugins.modules import tinc_safe_restart as M


def test_missing_network_is_a_sentence(run_module, tmp_path):
    res = run_module("tinc_safe_restart", {"netname": "nmtincabsent", "config_dir": str(tmp_path / "nope")})
    assert res.failed and "no tinc.conf in" in res["msg"] and "right network name" in res["msg"]
    assert res["state_left"] == "nothing was changed" and res["changed"] is False


@pytest.mark.parametrize("args,words", [
    ({"netname": "../etc"}, "is not a tinc network name"),
    ({"netname": "t3o", "storm_arp_rate": -1}, "storm_arp_rate cannot be negative"),
    ({"netname": "t3o", "capture_seconds": 3}, "capture_seconds needs diagnostics_dir"),
    ({"netname": "t3o", "wait_timeout": 0}, "wait_timeout must be a positive"),
    ({"netname": "t3o", "capture_packets": 0}, "capture_packets must be a positive"),
    ({"netname": "t3o", "mode": "bounce"}, "value of mode must be one of"),
])
def test_bad_input(run_module, args, words):
    res = run_module("tinc_safe_restart", args)
    assert res.failed and words in res["msg"]
    assert "Traceback" not in res["msg"]


def test_documentation_matches_argument_spec(monkeypatch):
    captured = {}

    class Capture:
        def __init__(self, argument_spec, **kw):
            captured.update(argument_spec)
            raise SystemExit(0)

    monkeypatch.setattr(M, "AnsibleModule", Capture)
    with pytest.raises(SystemExit):
        M.main()
    doc = yaml.safe_load(M.DOCUMENTATION)["options"]
    assert set(doc) == set(captured)
    for name, spec in captured.items():
        d = doc[name]
        assert d.get("type", "str") == spec.get("type", "str"), name
        assert d.get("default") == spec.get("default"), name
        assert d.get("choices") == spec.get("choices"), name
        assert d.get("elements") == spec.get("elements"), name
        assert bool(d.get("required")) == bool(spec.get("required")), name
    yaml.safe_load(M.EXAMPLES)
    yaml.safe_load(M.RETURN)
