"""Run a module's main() in-process with arguments, as Ansible would, and return its result."""

import importlib
import json

import pytest
from ansible.module_utils.testing import patch_module_args


class ModuleResult(dict):
    @property
    def failed(self):
        return bool(self.get("failed"))


def _run(module_name, args, check_mode=False, diff=False, capsys=None):
    args = dict(args)
    args["_ansible_check_mode"] = check_mode
    args["_ansible_diff"] = diff
    mod = importlib.import_module("ansible_collections.netmedic.network.plugins.modules." + module_name)
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            mod.main()
    out = capsys.readouterr().out
    return ModuleResult(json.loads(out))


@pytest.fixture
def run_module(capsys):
    """``run_module('preflight', {...}, check_mode=False, diff=False)`` -> result dict."""
    def runner(module_name, args, check_mode=False, diff=False):
        return _run(module_name, args, check_mode, diff, capsys)
    return runner


@pytest.fixture
def argument_spec(monkeypatch):
    """``argument_spec('tinc_safe_restart')`` -> the argument_spec its main() builds (nothing else runs)."""
    def capture(module_name):
        mod = importlib.import_module("ansible_collections.netmedic.network.plugins.modules." + module_name)
        captured = {}

        class Capture:
            def __init__(self, argument_spec, **kw):
                captured.update(argument_spec)
                raise SystemExit(0)

        monkeypatch.setattr(mod, "AnsibleModule", Capture)
        with pytest.raises(SystemExit):
            mod.main()
        return captured
    return capture
