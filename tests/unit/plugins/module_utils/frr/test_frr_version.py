# -*- coding: utf-8 -*-
"""frr.version (issue 14): the version from FRR's own output, which versions the reconciler trusts,
the default lines per version, and the version in the audits' evidence."""

import os

import pytest

from support.fakes import FakeRunner, fixture
from support.fuzz import fuzz, text_cases
from ansible_collections.netmedic.network.plugins.module_utils.core.findings import Finding
from ansible_collections.netmedic.network.plugins.module_utils.frr import version as v
from ansible_collections.netmedic.network.plugins.module_utils.frr.config import (
    normalise, parse, running_version)

SHOWN = {"8.4.4": (8, 4, 4), "10.3": (10, 3), "10.7.1": (10, 7, 1)}


def _versions_fixture(name):
    return fixture(os.path.join("..", "frr_versions", name))


@pytest.mark.parametrize("name, expect", sorted(SHOWN.items()))
def test_show_version_and_running_config_of_each_lab_version(name, expect):
    assert v.parse(_versions_fixture("show_version_%s.txt" % name)) == expect
    running = _versions_fixture("running_%s.txt" % name)
    assert v.parse(running) == expect
    assert running_version(parse(running)) == expect
    assert v.tested(expect) and v.untested_reason(expect) is None


@pytest.mark.parametrize("text, expect", [
    ("zebra version 10.3\nCopyright 1996-2005", (10, 3)),
    ("FRRouting 10.4.1_git (LR1.wue3) on Linux(6.6.100-vyos).", (10, 4, 1)),
    ("frr version 9.1-dev\n", (9, 1)),
    ("Hello, this is FRRouting (version 7.5).", (7, 5)),
    ("", None), (None, None), (b"frr version 8.4", None),
])
def test_parse_forms(text, expect):
    assert v.parse(text) == expect


@pytest.mark.parametrize("version, tested, refused", [
    ((8, 4, 4), True, None), ((10, 3), True, None), ((10, 7, 1), True, None),
    ((9, 1), False, None), ((10, 5, 2), False, None),            # between tested versions: trusted
    ((10, 8), False, "newer than the newest"), ((11, 0), False, "newer than the newest"),
    ((7, 5, 1), False, "older than the oldest"), (None, False, "did not say its version"),
])
def test_which_versions_the_reconciler_trusts(version, tested, refused):
    assert v.tested(version) is tested
    why = v.untested_reason(version)
    assert (why is None) if refused is None else (refused in why)


def test_nht_resolve_via_default_is_a_default_from_10_on():
    """Measured: FRR 10.3 and 10.7.1 print nothing for 'ip nht resolve-via-default' (the default), 8.4.4 prints it."""
    cfg = parse("ip nht resolve-via-default\nrouter ospf\n auto-cost reference-bandwidth 100000\n")
    assert normalise(cfg, True, version=(8, 4, 4)).lines() == ["ip nht resolve-via-default", "router ospf"]
    assert normalise(cfg, True, version=(10, 3)).lines() == ["router ospf"]
    assert normalise(cfg, True, version=(10, 7, 1)).lines() == ["router ospf"]
    assert ("", "ip nht resolve-via-default") not in v.default_lines(None)


def test_read_and_annotate():
    runner = FakeRunner({"show version": _versions_fixture("show_version_10.7.1.txt")})
    got = v.read(runner, "r1")
    assert got == (10, 7, 1) and runner.calls == ["vtysh -N r1 -c show version"]
    assert v.read(FakeRunner({})) is None                                   # vtysh missing
    assert v.read(FakeRunner({"show version": (1, "", "Exiting: failed to connect")})) is None
    findings = [Finding(id="NM-FRR-014", severity="critical", summary="x", evidence={"a": 1})]
    v.annotate(findings, (11, 0))
    assert findings[0].evidence == {"a": 1, "frr_version": "11.0", "frr_version_tested": False}


def test_mgmtd_from_9_on():
    assert not v.has_mgmtd((8, 4, 4)) and v.has_mgmtd((9, 0)) and v.has_mgmtd((10, 7, 1)) and not v.has_mgmtd(None)


def test_fuzz_version_parse():
    cases = text_cases([_versions_fixture("show_version_%s.txt" % n) for n in SHOWN] +
                       [_versions_fixture("running_%s.txt" % n) for n in SHOWN], 3000, seed=14)
    tally = fuzz("frr.version.parse", lambda t: v.untested_reason(v.parse(t)), cases)
    print(tally.line())
    assert tally.unexpected == []
