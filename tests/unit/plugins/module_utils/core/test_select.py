"""What to audit (core/select.py): audit names, earlier names, areas, check ids and tags."""

import pytest

from ansible_collections.netmedic.network.plugins.module_utils.core import registry as R
from ansible_collections.netmedic.network.plugins.module_utils.core.audit import Audit
from ansible_collections.netmedic.network.plugins.module_utils.core.select import SelectionError, select, words


def audit(name, area, ids, aliases=()):
    return Audit(name, name, run=lambda ctx: [], area=area, aliases=aliases,
                 checks={"NM-%s-%03d" % (area.upper(), i): "check %d" % i for i in ids})


TABLE = [audit("bond", "bond", [1, 2], aliases=("bonding",)), audit("frr_settings", "frr", [10, 11]),
         audit("frr_drift", "frr", [1, 2]), audit("bgp", "bgp", [1])]
EVERY = {"NM-BOND-001", "NM-BOND-002", "NM-FRR-010", "NM-FRR-011", "NM-FRR-001", "NM-FRR-002", "NM-BGP-001"}


@pytest.mark.parametrize("checks, audits, ids", [
    ([], ("bond", "frr_settings", "frr_drift", "bgp"), EVERY),
    (["frr"], ("frr_settings", "frr_drift"), {"NM-FRR-010", "NM-FRR-011", "NM-FRR-001", "NM-FRR-002"}),
    (["frr_drift"], ("frr_drift",), {"NM-FRR-001", "NM-FRR-002"}),
    (["bonding"], ("bond",), {"NM-BOND-001", "NM-BOND-002"}),
    (["NM-FRR-001"], ("frr_drift",), {"NM-FRR-001"}),
    (["nm-frr-001"], ("frr_drift",), {"NM-FRR-001"}),
    (["NM-FRR-001", "bgp"], ("frr_drift", "bgp"), {"NM-FRR-001", "NM-BGP-001"}),
    # `ansible -a 'checks=[NM-FRR-001, bgp]'`: Ansible splits the text on commas
    (["[NM-FRR-001", " bgp]"], ("frr_drift", "bgp"), {"NM-FRR-001", "NM-BGP-001"}),
    (["['NM-FRR-001'", " 'bgp']"], ("frr_drift", "bgp"), {"NM-FRR-001", "NM-BGP-001"}),
    (["[]"], ("bond", "frr_settings", "frr_drift", "bgp"), EVERY),
])
def test_checks(checks, audits, ids):
    sel = select(TABLE, checks=checks)
    assert sel.audits == audits and sel.ids == ids


def test_skip_by_area_audit_or_check_id():
    assert select(TABLE, skip=["frr"]).audits == ("bond", "bgp")
    sel = select(TABLE, checks=["frr"], skip=["NM-FRR-001", "frr_settings"])
    assert sel.audits == ("frr_drift",) and sel.ids == {"NM-FRR-002"}
    assert select(TABLE, skip=["bond", "frr", "bgp"]).audits == ()


@pytest.mark.parametrize("tags, checks, audits", [
    (["all"], ["bgp"], ("bgp",)),                      # no --tags: checks choose
    (["all", "bond"], [], ("bond", "frr_settings", "frr_drift", "bgp")),
    (["bond"], ["bgp"], ("bond",)),                    # tags naming something choose instead of checks
    (["NM-FRR-011"], [], ("frr_settings",)),
    (["always", "nginx", "NM-XYZ-001"], ["bgp"], ("bgp",)),   # other roles' tags are ignored
    ([], ["bgp"], ("bgp",)),
])
def test_tags(tags, checks, audits):
    assert select(TABLE, checks=checks, tags=tags).audits == audits


def test_unknown_names_name_the_known_ones():
    with pytest.raises(SelectionError) as err:
        select(TABLE, checks=["frrr", "NM-FRR-003"], skip=[""])
    assert str(err.value) == (
        "checks: unknown audit, area or check id: 'frrr', 'NM-FRR-003'; skip: unknown audit, area or check id: ''. "
        "Known areas: bgp, bond, frr; audits: bond, frr_settings, frr_drift, bgp (earlier names: bonding); "
        "check ids: NM-BGP-001, NM-BOND-001, NM-BOND-002, NM-FRR-001, NM-FRR-002, NM-FRR-010, NM-FRR-011")


def test_words():
    assert words(["[NM-FRR-001]"]) == ["NM-FRR-001"]
    assert words(["[a", " b ", "c]"]) == ["a", "b", "c"]
    assert words(["[]", "", " "]) == ["", ""]
    assert words(['"bgp"', 3]) == ["bgp", "3"]


def test_the_real_table_runs_only_frr_drift_for_nm_frr_001():
    sel = select(R.AUDITS, checks=["[NM-FRR-001]"])
    assert sel.audits == ("frr_drift",) and sel.ids == {"NM-FRR-001"}
    assert select(R.AUDITS, tags=["ip6"]).audits == ("ip6_route_cache",)
    assert select(R.AUDITS, checks=["ipv6_route_cache"]).audits == ("ip6_route_cache",)


def test_fuzz_checks_skip_and_tags():
    """Whatever arrives in checks/skip/tags: a selection or SelectionError (tags never fail)."""
    from support.fuzz import fuzz, json_cases

    real = [["bgp", "[NM-FRR-001", "bonding]"], ["frr", "NM-LINK-001"], ["all", "bond", "site-tag"]]

    def case(doc):
        values = doc if isinstance(doc, list) else [doc]
        sel = select(R.AUDITS, checks=values, skip=values[:1])
        assert set(sel.audits) <= set(R.registry())
        select(R.AUDITS, tags=values)

    tally = fuzz("preflight checks/skip/tags", case, json_cases(real, 3000, seed=71, as_text=False),
                 allowed=(SelectionError,))
    assert tally.unexpected == []
