"""Every numeric option of every module: nan, inf and huge values fail naming the option (issue 11).

ansible-core's int check raised OverflowError on "inf" (a traceback); float options took nan and
inf silently.  params.new_module is the one way modules are built, so one table covers all.
"""

import importlib
import os

import pytest
import yaml

MODULES = sorted(f[:-3] for f in os.listdir(os.path.join(os.path.dirname(__file__), "..", "..", "..", "..",
                                                         "plugins", "modules")) if f.endswith(".py"))


def _numeric_options(name):
    mod = importlib.import_module("ansible_collections.netmedic.network.plugins.modules." + name)
    doc = yaml.safe_load(mod.DOCUMENTATION)
    options = dict(doc.get("options") or {})
    for fragment in doc.get("extends_documentation_fragment") or []:   # e.g. netmedic.network.rollback
        if not fragment.startswith("netmedic.network."):   # ansible.builtin.action_common_attributes: no options
            continue
        frag = importlib.import_module("ansible_collections.netmedic.network.plugins.doc_fragments."
                                       + fragment.split(".")[-1])
        options.update(yaml.safe_load(frag.ModuleDocFragment.DOCUMENTATION)["options"])
    return [(opt, spec["type"]) for opt, spec in options.items() if spec.get("type") in ("int", "float")]


# The least each module needs so that a bad number is the only thing wrong.
REQUIRED = {"tinc_safe_restart": {"netname": "t3o"}, "frr_daemons_options": {"watchfrr_restart_timeout": 300}}

CASES = [(m, opt, kind, bad) for m in MODULES for opt, kind in _numeric_options(m)
         for bad in ("inf", "-inf", "nan", "1e308", "99999999999999999999")]


def test_the_table_is_not_empty():
    assert len({(m, o) for m, o, _k, _b in CASES}) >= 15


@pytest.mark.parametrize("module,option,kind,bad", CASES, ids=["%s.%s=%s" % (m, o, b) for m, o, _k, b in CASES])
def test_non_finite_and_huge_numbers_fail_naming_the_option(run_module, exec_log, module, option, kind, bad):
    res = run_module(module, dict(REQUIRED.get(module, {}), **{option: bad}))
    assert res.failed, res
    assert option in res["msg"], res["msg"]
    assert "Traceback" not in str(res) and "exception" not in res
    assert exec_log.commands == [] and exec_log.signals == []
