"""Fuzz (issue 11): the `ip -j` readers of the IPv6 cache audit, the link audit's readers (sysfs text and
the counters that come back from the controller's report), the report builder (per-host results as
the controller receives them) and the finding schema loader; (issue 12) the postflight's comparison
with a preflight report read from disk, and the remediation plan over a report's findings.

Seeded mutations of real captured output (fixtures/nmaud: iproute2 6.1 JSON, a link snapshot and the
sysfs files of a namespace with veths, a bridge and a link without carrier).  The only acceptable
outcomes are a result or the reader's own error type; the tally lines are printed (pytest -s).
"""

import copy
import json
import os
import random
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.netmedic.network.plugins.module_utils.ip6 import audit as C
from ansible_collections.netmedic.network.plugins.module_utils.ip6 import cache as IC
from ansible_collections.netmedic.network.plugins.module_utils.ip6 import flush as IF
from ansible_collections.netmedic.network.plugins.module_utils.ip6 import sticky as IS
from ansible_collections.netmedic.network.plugins.module_utils.link import audit as L
from ansible_collections.netmedic.network.plugins.module_utils.link import counters as LC
from ansible_collections.netmedic.network.plugins.module_utils.link import snapshot as LS
from ansible_collections.netmedic.network.plugins.module_utils.core import compare as CMP
from ansible_collections.netmedic.network.plugins.module_utils.core import registry as REG
from ansible_collections.netmedic.network.plugins.module_utils.core import report as R
from ansible_collections.netmedic.network.plugins.module_utils.core.remediation import PlanError, plan
from ansible_collections.netmedic.network.plugins.module_utils.core.audit import AuditContext, run_audits
from ansible_collections.netmedic.network.plugins.module_utils.core.findings import Finding, FindingError
from ansible_collections.netmedic.network.plugins.module_utils.core.json_input import load_json

from support.fakes import FakeRunner, fixture
from support.fuzz import fuzz, json_cases, text_cases

CACHES = [fixture("ip6_cache_sticky.json"), fixture("ip6_cache_pmtu.json")]
FIB = fixture("ip6_fib.json")
SNAPSHOT = json.loads(fixture("link_snapshot.json"))
SYSFS = json.loads(fixture("link_sysfs.json"))


def sysfs_tree(root, values):
    """Write the captured sysfs files (value None: the file cannot be read, as carrier on a down link)."""
    for name, files in values.items():
        d = os.path.join(root, "sys", "class", "net", name)
        os.makedirs(d, exist_ok=True)
        for f, text in files.items():
            path = os.path.join(d, f)
            if f == "bridge":
                if text:
                    os.makedirs(path, exist_ok=True)
            elif text is None:
                continue  # carrier of a down veth: EINVAL, read as absent
            elif text == "EISDIR":
                os.makedirs(path, exist_ok=True)  # reading fails with an error Sysfs raises
            else:
                with open(path, "w", encoding="utf-8", errors="surrogateescape") as fh:
                    fh.write(text)


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("fuzzhost"))
    sysfs_tree(root, SYSFS)
    os.makedirs(os.path.join(root, "proc/sys/kernel/random"))
    with open(os.path.join(root, "proc/sys/kernel/random/boot_id"), "w") as fh:
        fh.write(SNAPSHOT["boot_id"] + "\n")
    os.makedirs(os.path.join(root, "proc/net"))
    with open(os.path.join(root, "proc/net/ipv6_route"), "w") as fh:
        fh.write("")
    return root


def with_odd_strings(cases, seed, as_text=True):
    """The cases, one in five with a string value replaced by one holding a newline, CR, NUL or escape."""
    rng = random.Random(seed)
    odd = ["fd00:1::2\nNM-FAKE-001", "x\r\ny", "eth0\x00", "\x1b[31mred", "\u2028", "a" * 300 + "\n"]
    for label, doc in cases:
        if isinstance(doc, str):
            try:
                doc = json.loads(doc)
            except ValueError:
                yield label, doc
                continue
        if rng.random() < 0.2:
            doc = copy.deepcopy(doc)
            spots = []
            stack = [doc]
            while stack:
                node = stack.pop()
                items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
                for key, value in items:
                    if isinstance(value, str):
                        spots.append((node, key))
                    stack.append(value)
            if spots:
                node, key = rng.choice(spots)
                node[key] = rng.choice(odd)
        yield label, json.dumps(doc) if as_text else doc


# ---------------------------------------------------------------- ip -j (IPv6 route cache audit, flush plan)

def test_fuzz_ip6_route_readers(host):
    def audit_with(cache_text, fib_text):
        ctx = AuditContext(root=host, runner=FakeRunner({"show cache": cache_text, "show table": fib_text}))
        for f in C.run(ctx):
            json.dumps(f.to_dict())

    def cache_case(text):
        audit_with(text, FIB)
        cache = IC.load_routes(text, "ip -6 -j route show cache")
        sticky = IS.sticky_entries(cache, IC.load_routes(FIB, "fib"))
        IF.flush_lines(sticky, cache)
        for e in cache:
            IC.describe_entry(e)

    def fib_case(text):
        audit_with(CACHES[0], text)
        cache = IC.load_routes(CACHES[0], "cache")
        IF.flush_lines(IS.sticky_entries(cache, IC.load_routes(text, "ip -6 -j route show table all")), cache)

    cache_docs = [json.loads(t) for t in CACHES]
    t1 = fuzz("ip -6 -j route show cache", cache_case, with_odd_strings(json_cases(cache_docs, 2500, seed=11), 11),
              allowed=(IC.RouteOutputError,))
    t2 = fuzz("ip -6 -j route show table all", fib_case,
              with_odd_strings(json_cases([json.loads(FIB)], 1500, seed=12), 12), allowed=(IC.RouteOutputError,))
    t3 = fuzz("ip -6 -j route show cache (text)", cache_case, text_cases(CACHES, 1500, seed=13),
              allowed=(IC.RouteOutputError,))
    assert t1.unexpected == [] and t2.unexpected == [] and t3.unexpected == []


@pytest.mark.parametrize("text", ["[" * 100000 + "]" * 100000, '{"a":' * 50000 + "1" + "}" * 50000,
                                  "[" * 900 + "]" * 900])
def test_deep_json_is_the_readers_own_error(host, text):
    """Issue 11: 100,000 nested brackets from `ip` raised RecursionError out of the audit."""
    with pytest.raises(IC.RouteOutputError, match="nested"):
        IC.load_routes(text, "ip -6 -j route show cache table all")
    ctx = AuditContext(root=host, runner=FakeRunner({"show cache": text, "show table": FIB}))
    [f] = C.run(ctx)
    assert f.id == "NM-IP6-009" and "nested" in f.summary
    with pytest.raises(ValueError, match="'vtysh' printed JSON nested"):
        load_json(text, "vtysh")


# ---------------------------------------------------------------- link audit

def test_fuzz_link_counters_from_the_report(host):
    ctx = AuditContext(root=host, runner=FakeRunner({}))
    links = LC.read_links(ctx.sysfs)
    boot = LC.boot_id(host)

    def case(baseline):
        for f in L.compare(LS.check_baseline(baseline), links, boot):
            json.dumps(f.to_dict())

    tally = fuzz("link counters (report -> postflight)", case,
                 with_odd_strings(json_cases([SNAPSHOT], 3000, seed=21, as_text=False), 21, as_text=False),
                 allowed=(LS.SnapshotError,))
    assert tally.unexpected == []


def test_fuzz_link_sysfs_text(tmp_path):
    import random
    rng = random.Random(22)
    root = str(tmp_path)
    sysfs_tree(root, SYSFS)
    names = sorted(SYSFS)

    def case(n):
        name = rng.choice(names)
        files = sorted(k for k in SYSFS[name] if k != "bridge")
        changed = {}
        for f in rng.sample(files, rng.randint(1, 3)):
            if rng.random() < 0.05:
                changed[f] = rng.choice([None, "EISDIR"])
            else:
                changed[f] = list(text_cases([SYSFS[name][f] or ""], 1, seed=n * 10 + len(f)))[-1][1]
        base = os.path.join(root, "sys", "class", "net", name)

        def put(files):
            for f in files:
                path = os.path.join(base, f)
                if os.path.isdir(path):
                    os.rmdir(path)
                elif os.path.exists(path):
                    os.unlink(path)
            sysfs_tree(root, {name: files})

        try:
            put(changed)
            # only the mutated interface is read (the others then count as gone: a path of its own)
            ctx = AuditContext(root=root, runner=FakeRunner({}),
                               options={"link_flaps": {"phase": "post", "baseline": SNAPSHOT, "interfaces": [name]}})
            for f in L.run(ctx):
                json.dumps(f.to_dict())
            json.dumps(ctx.snapshots)
        finally:
            put({f: SYSFS[name][f] for f in changed})

    tally = fuzz("link sysfs files", case, (("seed 22 case %d" % n, n) for n in range(1000)))
    assert tally.unexpected == []


# ---------------------------------------------------------------- report builder and finding schema

def real_results(host):
    """What the preflight module returns per host, from the audits run on the captured fixtures."""
    ctx = AuditContext(root=host, runner=FakeRunner({"show cache": CACHES[0], "show table": FIB}))
    found, runs = run_audits(ctx, [C.AUDIT, L.AUDIT])
    r1 = {"changed": False, "findings": [f.to_dict() for f in found], "audits": [r.to_dict() for r in runs],
          "snapshots": json.loads(json.dumps(ctx.snapshots)), "summary": {}, "schema_version": 1}
    return {"r1": r1, "r2": {"findings": [], "audits": [], "snapshots": {}}, "r3": None,
            "r4": {"msg": "Failed to connect to the host via ssh: Connection refused", "unreachable": True}}


def test_fuzz_report_builder(host):
    results = real_results(host)
    assert {f["id"] for f in results["r1"]["findings"]} >= {"NM-IP6-001", "NM-LINK-001"}

    def case(res):
        rep = R.build_report(res, generated="2026-11-21T05:14:06+00:00")
        again = json.loads(R.to_json(rep))
        assert R.same_content(rep, again)
        R.to_markdown(rep).encode("utf-8")
        ET.fromstring(R.to_junit(rep, fail_on="warning").encode("utf-8"))
        R.summary_line(rep)
        R.hosts_at_or_above(rep, "info")

    tally = fuzz("report builder (per-host results)", case,
                 with_odd_strings(json_cases([results], 2000, seed=31, as_text=False), 31, as_text=False),
                 allowed=(R.ReportInputError,))
    assert tally.unexpected == []


def test_fuzz_finding_schema_loader(host):
    findings = real_results(host)["r1"]["findings"]

    def case(data):
        f = Finding.from_dict(data)
        text = json.dumps(f.to_dict(), sort_keys=True)
        assert json.dumps(Finding.from_dict(json.loads(text)).to_dict(), sort_keys=True) == text

    tally = fuzz("finding schema loader", case,
                 with_odd_strings(json_cases(findings, 4000, seed=41, as_text=False), 41, as_text=False),
                 allowed=(FindingError,))
    assert tally.unexpected == []


def test_deep_json_from_vtysh_and_ip_link_is_the_readers_own_error():
    """audit_bgp and tinc_state parse outside JSON through json_input too (RecursionError was uncaught)."""
    from ansible_collections.netmedic.network.plugins.module_utils.bgp import audit as audit_bgp
    from ansible_collections.netmedic.network.plugins.module_utils.tinc import link as tinc_link
    deep = "[" * 100000 + "]" * 100000
    with pytest.raises(audit_bgp.BgpOutputError, match="nested"):
        audit_bgp.load_json(deep, "show bgp vrf all summary json")
    with pytest.raises(tinc_link.TincStateError, match="nested"):
        tinc_link.parse_ip_links(deep)


# ---------------------------------------------------------------- postflight comparison, remediation plan (issue 12)

def test_fuzz_comparison_with_a_preflight_report(host):
    """The baseline is a file on the controller, anything may be in it: a result or BaselineError."""
    results = real_results(host)
    now = R.build_report(results, generated="2026-11-21T05:14:06+00:00")
    baseline = json.loads(R.to_json(now))

    def case(doc):
        got = CMP.compare(doc, now, "preflight.json", REG.notes(), REG.canonical_names())
        json.loads(R.to_json(got, indent=4))
        for host_name in got["hosts"]:
            CMP.host_line(got, host_name, now, REG.notes())
        CMP.gate_message(CMP.new_at_or_above(got, "info"), "info")

    tally = fuzz("postflight comparison (baseline report)", case,
                 with_odd_strings(json_cases([baseline], 3000, seed=51, as_text=False), 51, as_text=False),
                 allowed=(CMP.BaselineError,))
    assert tally.unexpected == []


def test_fuzz_remediation_plan_over_report_findings(host):
    """remediate_report: the findings come from a JSON file through from_json, not through the schema."""
    findings = real_results(host)["r1"]["findings"]
    assert any((f["fix"] or {}).get("module") for f in findings)

    def case(doc):
        got = plan(doc, REG.AUDITS, areas=["ip6", "link"], tags=["all"],
                   module_params={"ipv6_route_cache_flush": {"command_timeout": 5}})
        json.dumps(got)

    tally = fuzz("remediation plan (report findings)", case,
                 with_odd_strings(json_cases([findings], 3000, seed=61, as_text=False), 61, as_text=False),
                 allowed=(PlanError,))
    assert tally.unexpected == []
