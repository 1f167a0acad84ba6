# -*- coding: utf-8 -*-
"""docs/roles.md is generated from the roles' argument specs and up to date; every role has an
example site playbook; the remediate role maps every fix module the audits name onto a task
whose parameters the module documents."""

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
    return set(yaml.safe_load(mod.DOCUMENTATION)["options"])


def test_remediate_maps_every_fix_module_with_documented_parameters():
    fix_modules = set()
    for path in glob.glob(os.path.join(REPO, "plugins", "module_utils", "*", "audit*.py")):
        with open(path, encoding="utf-8") as fh:
            fix_modules.update(re.findall(r"[\"']netmedic\.network\.([a-z0-9_]+)[\"']", fh.read()))
    # role names match the pattern too: keep the names that are modules
    fix_modules = {m for m in fix_modules if m != "preflight"
                   and os.path.exists(os.path.join(REPO, "plugins", "modules", m + ".py"))}
    assert fix_modules
    with open(os.path.join(REPO, "roles", "remediate", "tasks", "main.yml"), encoding="utf-8") as fh:
        tasks = yaml.safe_load(fh)
    mapped = {}
    for task in tasks:
        for key, args in task.items():
            if key.startswith("netmedic.network."):
                mapped[key.split(".")[-1]] = set(args or {})
    assert fix_modules <= set(mapped), "remediate has no task for %s" % sorted(fix_modules - set(mapped))
    for name, keys in mapped.items():
        if name == "preflight":
            continue
        assert keys <= _module_options(name), (name, sorted(keys - _module_options(name)))


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
