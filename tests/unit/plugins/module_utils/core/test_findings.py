import json

import pytest

from ansible_collections.netmedic.network.plugins.module_utils.core import findings as F


def make(**kw):
    base = dict(id="NM-BOND-001", severity=F.CRITICAL, summary="bond0 monitors ARP with arp_validate=none",
                evidence={"arp_validate": "none"}, subject="bond0", incident="004",
                fix=F.Fix(module="netmedic.network.bond_arp_validate", params={"bond": "bond0", "value": "all"}))
    base.update(kw)
    return F.Finding(**base)


def test_round_trip_through_json():
    f = make()
    again = F.Finding.from_dict(json.loads(json.dumps(f.to_dict())))
    assert again == f
    assert again.fix.params == {"bond": "bond0", "value": "all"}


def test_fix_as_dict_is_accepted():
    f = make(fix={"module": "m.n.o", "params": {"a": 1}})
    assert isinstance(f.fix, F.Fix) and f.fix.params == {"a": 1}


@pytest.mark.parametrize("bad_id", ["BOND-001", "NM-bond-001", "NM-BOND-1", "NM-BOND-0001", "", None, "NM--001"])
def test_bad_ids_are_refused(bad_id):
    with pytest.raises(F.FindingError, match="check id"):
        make(id=bad_id)


@pytest.mark.parametrize("kw, msg", [
    ({"severity": "fatal"}, "unknown severity"),
    ({"summary": ""}, "one-line summary"),
    ({"summary": "two\nlines"}, "one-line summary"),
    ({"incident": "999"}, "unknown incident"),
    ({"fix": "restart it"}, "fix must be"),
])
def test_schema_violations_are_clear(kw, msg):
    with pytest.raises(F.FindingError, match=msg):
        make(**kw)


def test_fix_needs_something_to_do():
    with pytest.raises(F.FindingError):
        F.Fix()


def test_from_dict_names_missing_keys():
    with pytest.raises(F.FindingError, match="severity, summary"):
        F.Finding.from_dict({"id": "NM-X1-001"})


def test_sort_count_worst():
    fs = [make(severity=F.INFO, id="NM-A1-001"), make(severity=F.CRITICAL, id="NM-B1-002"),
          make(severity=F.WARNING, id="NM-A1-003"), make(severity=F.CRITICAL, id="NM-A1-002")]
    assert [f.id for f in F.sort_findings(fs)] == ["NM-A1-002", "NM-B1-002", "NM-A1-003", "NM-A1-001"]
    assert F.count_by_severity(fs) == {"critical": 2, "warning": 1, "info": 1}
    assert F.worst_severity(fs) == F.CRITICAL
    assert F.worst_severity([]) is None


def test_at_least():
    assert F.at_least(F.CRITICAL, F.WARNING)
    assert F.at_least(F.WARNING, F.WARNING)
    assert not F.at_least(F.INFO, F.WARNING)


def test_findings_are_immutable_values():
    f = make()
    with pytest.raises(Exception):
        f.severity = F.INFO
    assert f.key == ("NM-BOND-001", "bond0")
