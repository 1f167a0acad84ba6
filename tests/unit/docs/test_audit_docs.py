# -*- coding: utf-8 -*-
"""`ansible-doc netmedic.network.preflight` lists every audit, its checks and its options, generated from
the audit table (core/registry.py) by tests/tools/audit_docs.py; this fails when the committed text drifts."""

import os
import sys

import yaml

from ansible_collections.netmedic.network.plugins.module_utils.core import registry as R
from ansible_collections.netmedic.network.plugins.modules import preflight

from support.paths import REPO

sys.path.insert(0, os.path.join(REPO, "tests", "tools"))

import audit_docs  # noqa: E402


def test_the_audit_table_in_the_preflight_docs_is_up_to_date():
    with open(os.path.join(REPO, audit_docs.MODULE), encoding="utf-8") as fh:
        current = fh.read()
    assert current == audit_docs.render(REPO), \
        "the audit table in plugins/modules/preflight.py is out of date: run .venv/bin/python tests/tools/audit_docs.py"


def test_every_audit_check_and_option_is_listed():
    doc = yaml.safe_load(preflight.DOCUMENTATION)
    text = "\n".join(doc["options"]["options"]["description"])
    for audit in R.AUDITS:
        assert "Audit V(%s) (area V(%s)" % (audit.name, audit.area) in text
        for alias in audit.aliases:
            assert "V(%s)" % alias in text
        for check_id, title in audit.checks.items():
            assert "V(%s) - %s" % (check_id, title) in text
        for key in audit.options:
            assert "V(options.%s.%s) (" % (audit.name, key) in text
    assert "V(NM-CORE-001) (any audit)" in text


def test_values_are_escaped_for_semantic_markup():
    assert audit_docs.value("a)b\\c") == "V(a\\)b\\\\c)"
    assert audit_docs.value(["lo"]) == 'V(["lo"])'
    from ansible_collections.netmedic.network.plugins.module_utils.core.audit import Option, integer
    assert audit_docs.option_kind(integer((1, 5), default=3)) == "integer, 1 to 5, default V(3)"
    assert audit_docs.option_kind(Option("str", choices=("pre", "post"), default="pre")) == \
        "string, one of V(pre), V(post), default V(pre)"
    assert audit_docs.option_kind(Option("list")) == "list of strings, no default"
