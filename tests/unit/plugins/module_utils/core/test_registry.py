"""The area table (core/registry.py): one vocabulary from check id to audit name, area and options."""

import re

import pytest

from ansible_collections.netmedic.network.plugins.module_utils.core import audit as A
from ansible_collections.netmedic.network.plugins.module_utils.core import registry as R
from ansible_collections.netmedic.network.plugins.module_utils.core.findings import CHECK_ID_RE

AREAS = {"bond", "bmc", "tinc", "frr", "bgp", "ip6", "link"}


def test_the_table_has_every_area_once_in_run_order():
    assert [a.name for a in R.AUDITS] == list(R.registry())
    assert {a.area for a in R.AUDITS} == AREAS
    # the order the preflight has always run them in
    assert list(R.registry()) == ["bond", "bmc", "bgp", "frr_settings", "ip6_route_cache", "link_flaps", "tinc",
                                  "frr_drift"]


@pytest.mark.parametrize("audit", R.AUDITS, ids=lambda a: a.name)
def test_every_audit_has_an_area_and_its_checks_are_of_that_area(audit):
    assert audit.area in AREAS
    assert audit.name == audit.area or audit.name.startswith(audit.area + "_"), audit.name
    assert audit.checks, "%s declares no check" % audit.name
    for check_id, title in audit.checks.items():
        assert CHECK_ID_RE.match(check_id) and check_id.split("-")[1] == audit.area.upper(), check_id
        assert re.match(r"^NM-[A-Z0-9]+-[0-9]{3}$", check_id)
        assert title and "\n" not in title, check_id
    assert audit.description and "\n" not in audit.description
    assert set(audit.notes) <= set(audit.checks), "a note must be one of the audit's checks"


def test_check_ids_names_and_aliases_do_not_collide():
    ids = [i for a in R.AUDITS for i in a.checks]
    assert len(ids) == len(set(ids))
    assert not set(R.CORE_CHECKS) & set(ids)
    names = [a.name for a in R.AUDITS]
    aliases = [alias for a in R.AUDITS for alias in a.aliases]
    assert len(names) == len(set(names)) and len(aliases) == len(set(aliases))
    assert not set(aliases) & set(names)
    # an earlier name that is also an area would mean two things to `checks`
    assert not set(aliases) & AREAS
    # a name that is an area is that area's only audit (`bgp`), else `frr` would mean one audit of two
    for name in set(names) & AREAS:
        assert [a.name for a in R.AUDITS if a.area == name] == [name]
    assert R.canonical_names()["bonding"] == "bond" and R.canonical_names()["bond"] == "bond"


def test_every_option_has_a_description_and_a_valid_default():
    problems = {}
    for audit in R.AUDITS:
        for key, spec in audit.options.items():
            label = "options.%s.%s" % (audit.name, key)
            if not spec.description or "\n" in spec.description:
                problems.setdefault(audit.name, []).append(label + ": no one-line description")
            if spec.default is not None and A._option_value(label, spec.default, spec)[1]:
                problems.setdefault(audit.name, []).append(label + ": default does not fit the option")
    assert problems == {}


def test_notes_are_declared_by_the_audits():
    assert R.notes() == {"NM-LINK-006": "links_compared"}
