"""core/metrics.py: findings as Prometheus metrics, checked with a real parser (prometheus_client's)."""

import json
import os

import pytest
from prometheus_client.parser import text_string_to_metric_families

from ansible_collections.netmedic.network.plugins.module_utils.core import metrics as M
from support.fuzz import fuzz, json_cases

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "..", "..", "fixtures", "metrics", "preflight-report.json")
NOW = 1795238300.5


def report():
    with open(FIXTURE) as fh:
        return json.load(fh)


def samples(text):
    """{(name, frozenset(labels)): value} through prometheus_client's parser (raises on bad text)."""
    out = {}
    for family in text_string_to_metric_families(text):
        assert family.type == "gauge" and family.documentation
        for s in family.samples:
            key = (s.name, frozenset(s.labels.items()))
            assert key not in out, "duplicate series %r" % (key,)
            out[key] = s.value
    return out


def test_host_metrics_of_a_real_result():
    got = samples(M.host_metrics(report()["hosts"]["local"], now=NOW))
    assert got[("netmedic_finding", frozenset({"id": "NM-FRR-014", "severity": "critical", "subject": "zebra",
                                               "audit": "frr_settings"}.items()))] == 1
    assert got[("netmedic_findings", frozenset({"severity": "critical"}.items()))] == 3
    assert got[("netmedic_findings", frozenset({"severity": "info"}.items()))] == 0
    assert got[("netmedic_audit_status", frozenset({"audit": "bond", "status": "skipped"}.items()))] == 1
    assert got[("netmedic_audit_status", frozenset({"audit": "bond", "status": "ran"}.items()))] == 0
    assert got[("netmedic_audit_duration_seconds", frozenset({"audit": "frr_drift"}.items()))] > 0
    assert got[("netmedic_last_run_timestamp_seconds", frozenset())] == NOW


def test_fleet_metrics_label_each_host_and_say_which_gave_no_result():
    got = samples(M.fleet_metrics(report(), now=NOW))
    assert got[("netmedic_host_result", frozenset({"host": "gone"}.items()))] == 0
    assert got[("netmedic_host_result", frozenset({"host": "local"}.items()))] == 1
    assert got[("netmedic_findings", frozenset({"host": "local", "severity": "warning"}.items()))] == 1
    assert not [k for k in got if ("host", "gone") in k[1] and k[0] != "netmedic_host_result"]


def test_odd_subjects_are_escaped_and_repeats_add_up():
    odd = 'eth0 "uplink"\\n\nnext \udcff'
    res = {"findings": [{"id": "NM-LINK-001", "severity": "warning", "subject": odd}] * 2
           + [{"id": "NM-CORE-001", "severity": "warning", "subject": None}],
           "audits": [{"name": "link_flaps", "status": "ran", "duration": float("nan"), "checks": ["NM-LINK-001"]}]}
    got = samples(M.host_metrics(res, now=NOW))
    key = ("netmedic_finding", frozenset({"id": "NM-LINK-001", "severity": "warning", "audit": "link_flaps",
                                          "subject": 'eth0 "uplink"\\n\nnext \\udcff'}.items()))
    assert got[key] == 2
    assert got[("netmedic_finding", frozenset({"id": "NM-CORE-001", "severity": "warning", "audit": "core",
                                               "subject": ""}.items()))] == 1
    assert ("netmedic_audit_duration_seconds", frozenset({"audit": "link_flaps"}.items())) not in got


@pytest.mark.parametrize("bad, words", [
    ([], "must be the preflight module's result"),
    ({"findings": "none"}, "findings must be a list"),
    ({"findings": [], "audits": {"bond": 1}}, "audits must be a list"),
    ({"findings": [{"id": "NM-X-001", "severity": "fatal"}]}, "severity 'fatal'"),
])
def test_bad_results_are_own_errors(bad, words):
    with pytest.raises(M.MetricsInputError, match=words):
        M.host_metrics(bad)


def test_fuzz_metrics_always_parse_or_refuse():
    """Mutations of the real report: each either renders text prometheus_client parses, or is refused."""
    def render(doc):
        samples(M.fleet_metrics(doc, now=NOW))
        for host in (doc.get("hosts") or {}).values() if isinstance(doc, dict) and isinstance(doc.get("hosts"), dict) else ():
            if isinstance(host, dict):
                samples(M.host_metrics(host, now=NOW))

    tally = fuzz("metrics (fleet and host)", render, json_cases([report()], 2000, seed=17, as_text=False),
                 allowed=(M.MetricsInputError,))
    assert tally.unexpected == []
    assert tally.ok > 500
