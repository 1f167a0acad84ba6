# -*- coding: utf-8 -*-
"""docs/roles.md is generated from the roles' argument specs and up to date; every role has an
example site playbook; the remediate role has one task per fix module the audits name, whose
parameters the module documents."""

import glob
import importlib
import json
import os
import re
import subprocess
import sys

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, os.path.join(REPO, "tests", "tools"))

import role_docs  # noqa: E402


def _roles():
    return sorted(os.path.basename(os.path.dirname(os.path.dirname(p)))
                  for p in glob.glob(os.path.join(REPO, "roles", "*", "meta", "argument_specs.yml")))


def test_roles_md_is_up_to_date():
    with open(os.path.join(REPO, "docs", "roles.md"), encoding="utf-8") as fh:
        current = fh.read()
    assert current == role_docs.render(REPO), \
        "docs/roles.md is out of date: run .venv/bin/python tests/tools/role_docs.py"


def test_every_role_and_option_is_documented():
    text = role_docs.render(REPO)
    for role in _roles():
        assert "## netmedic.network.%s\n" % role in text
        with open(os.path.join(REPO, "roles", role, "meta", "argument_specs.yml"), encoding="utf-8") as fh:
            specs = yaml.safe_load(fh)["argument_specs"]
        for entry in specs.values():
            for opt in entry.get("options") or {}:
                assert "| `%s` |" % opt in text, (role, opt)


def test_markup_is_converted():
    assert role_docs.markup("Runs M(netmedic.network.preflight) with O(x=1), C(vtysh -b) and V(never).") == \
        "Runs `netmedic.network.preflight` with `x=1`, `vtysh -b` and `never`."


def test_every_role_has_an_example_site_playbook_that_uses_it():
    for role in _roles():
        path = os.path.join(REPO, "docs", "examples", "site-%s.yml" % role)
        assert os.path.exists(path), "missing %s" % path
        with open(path, encoding="utf-8") as fh:
            assert "netmedic.network.%s" % role in fh.read()


def _module_options(name):
    mod = importlib.import_module("ansible_collections.netmedic.network.plugins.modules.%s" % name)
    doc = yaml.safe_load(mod.DOCUMENTATION)
    options = set(doc["options"])
    for fragment in doc.get("extends_documentation_fragment") or []:   # e.g. netmedic.network.rollback
        if not fragment.startswith("netmedic.network."):   # ansible.builtin.action_common_attributes: no options
            continue
        frag = importlib.import_module("ansible_collections.netmedic.network.plugins.doc_fragments."
                                       + fragment.split(".")[-1])
        options |= set(yaml.safe_load(frag.ModuleDocFragment.DOCUMENTATION)["options"])
    return options


def _module_file(name):
    """The module's name in this checkout: the current one, or (until a rename lands) its earlier one."""
    from ansible_collections.netmedic.network.plugins.module_utils.core.remediation import MODULE_ALIASES
    for candidate in [name] + [old for old, new in MODULE_ALIASES.items() if new == name]:
        if os.path.exists(os.path.join(REPO, "plugins", "modules", candidate + ".py")):
            return candidate
    return None


def test_remediate_has_one_task_per_fix_module_with_documented_parameters():
    from ansible_collections.netmedic.network.plugins.module_utils.core.remediation import FIX_ORDER, module_name
    fix_modules = set()
    for path in glob.glob(os.path.join(REPO, "plugins", "module_utils", "*", "audit*.py")):
        with open(path, encoding="utf-8") as fh:
            fix_modules.update(re.findall(r"[\"']netmedic\.network\.([a-z0-9_]+)[\"']", fh.read()))
    # role names match the pattern too: keep the names that are modules
    fix_modules = {module_name(m) for m in fix_modules if m != "preflight" and _module_file(module_name(m))}
    assert fix_modules and fix_modules <= set(FIX_ORDER), sorted(fix_modules - set(FIX_ORDER))
    pattern = os.path.join(REPO, "roles", "remediate", "tasks", "fix", "*.yml")
    files = {os.path.basename(p)[:-4]: p for p in glob.glob(pattern)}
    assert sorted(files) == sorted(FIX_ORDER)
    for name, path in files.items():
        with open(path, encoding="utf-8") as fh:
            [task] = yaml.safe_load(fh)
        keys = set(task["netmedic.network." + name])
        assert _module_file(name), "no module %s (nor an earlier name of it)" % name
        assert keys <= _module_options(_module_file(name)), (name, sorted(keys - _module_options(_module_file(name))))
        # the plan knows which findings each module repairs: no check ids in the tasks
        assert "NM-" not in yaml.safe_dump(task), path
    with open(os.path.join(REPO, "roles", "remediate", "tasks", "main.yml"), encoding="utf-8") as fh:
        assert all(t.get("tags") == ["always"] for t in yaml.safe_load(fh))


def test_ansible_doc_renders_every_role():
    roles = ["netmedic.network.%s" % r for r in _roles()]
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, "build", "dev"))
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-doc"), "-t", "role", "--json"]
                          + roles, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, env=env,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    docs = json.loads(proc.stdout)
    assert sorted(docs) == sorted(roles)
    for role, doc in docs.items():
        assert doc["entry_points"]["main"]["short_description"], role
