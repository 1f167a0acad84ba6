# -*- coding: utf-8 -*-
"""Fuzz suite of the FRR area (issue 11): seeded mutations of real inputs.

Each reader of outside data gets thousands of mutations of the repo's real
fixtures: the FRR config parser and planner (kitchen_sink.conf, the planner's
cases, the parser tests' running config), the daemons-file parser and editor
(Debian's FRR 8.4.4 file), the daemon option strings (as argv), and the three
FRR audits fed malformed vtysh answers and files (bgp: the JSON captured from
FRR 8.4.4; frr_settings and frr_drift: daemons file, frr.conf, running config,
/proc).  A parser may raise only its own error type; an audit may not raise
at all: a malformed answer is a finding with evidence.  Run with ``-s`` to see
the counts (quoted in the notes of issue 11).
"""

import json
import os
import random
import shlex

import yaml

from support.paths import FIXTURES
from ansible_collections.netmedic.network.plugins.module_utils.bgp import audit as audit_bgp
from ansible_collections.netmedic.network.plugins.module_utils.frr import audit_drift as audit_frr_drift
from ansible_collections.netmedic.network.plugins.module_utils.frr import audit_settings as audit_frr_settings
from ansible_collections.netmedic.network.plugins.module_utils.frr import daemons_file as fd
from ansible_collections.netmedic.network.plugins.module_utils.frr import daemon_argv as fo
from ansible_collections.netmedic.network.plugins.module_utils.frr import plan as frr_plan
from ansible_collections.netmedic.network.plugins.module_utils.core.audit import AuditContext
from ansible_collections.netmedic.network.plugins.module_utils.frr.config import FrrConfigError, parse
from support.fuzz import fuzz, json_cases, text_cases

from support.fakes import FakeRunner, fixture

from support.paths import REPO  # noqa: E402  pylint: disable=wrong-import-position
KITCHEN_SINK = os.path.join(REPO, "tests", "integration", "frr", "kitchen_sink.conf")


def _read(path):
    with open(path, encoding="utf-8") as fh:
        return fh.read()


def _config_fixtures():
    with open(os.path.join(FIXTURES, "frr_plan_cases.yml")) as fh:
        cases = yaml.safe_load(fh)
    from test_frr_config import RUNNING
    texts = [_read(KITCHEN_SINK), RUNNING]
    for case in cases:
        texts += [case["intended"], case["running"]]
    return texts


CONFIGS = _config_fixtures()
DAEMONS = [fixture("daemons.debian"),
           fixture("daemons.debian") + 'watchfrr_options="-d -T 20 -r \'/usr/lib/frr/watchfrr.sh restart %s\'"\n'
           "bgpd=yes\nospfd_instances=\"1,3\"\nospfd=yes\n",
           'zebra_options="-s 90000000"\r\nwatchfrr_options=\'-T\'  # tuned\r\nif true; then :; fi\r\n']
BGP = {name: json.loads(fixture(name)) for name in sorted(os.listdir(os.path.join(FIXTURES, "nmaud")))
       if name.startswith("bgp_")}


def _assert_findings(findings):
    """What an audit returns must be findings a report can carry: JSON, one-line summaries."""
    assert isinstance(findings, list)
    for f in findings:
        json.dumps(f.to_dict())


# ---------------------------------------------------------------- FRR config parser and planner

def test_fuzz_frr_config_parser():
    tally = fuzz("frr_config.parse", lambda text: parse(text).render(), text_cases(CONFIGS, 3000, seed=11),
                 allowed=(FrrConfigError,))
    assert tally.unexpected == []


def test_fuzz_frr_plan_of_mutated_pairs():
    rng = random.Random(12)

    def plan(pair):
        intended, running = pair
        p = frr_plan.compute(intended, running)
        p.script(), p.commands()

    cases = (((label, (text, rng.choice(CONFIGS))) for label, text in text_cases(CONFIGS, 1500, seed=12)))
    tally = fuzz("frr_plan.compute", plan, cases, allowed=(FrrConfigError,))
    assert tally.unexpected == []


# ---------------------------------------------------------------- daemons file and option strings

def _daemons_round(text):
    a = fd.parse_assignments(text)
    fd.enabled_daemons(a)
    for daemon in ("watchfrr", "zebra"):
        try:
            fo.option_value(fd.checked_options(a, daemon), fo.WATCHFRR_TIMEOUT_OPT)
        except fd.DaemonsFileError:
            pass
    new, changes = fd.plan_options(text, 300, 90000000)
    fd.verify_edit(text, new, {var: c["after"] for var, c in changes.items()})
    # the edit keeps every line it does not mean to change, and a second run changes nothing
    assert fd.plan_options(new, 300, 90000000) == (new, {})
    new_lines = set(fd.split_lines(new))
    for line in fd.split_lines(text):
        if not line.lstrip().startswith(("watchfrr_options=", "zebra_options=")):
            assert line in new_lines or line + "\n" in new_lines or line + "\r\n" in new_lines


def test_fuzz_daemons_file_parse_and_edit():
    tally = fuzz("frr daemons_file parse/plan/verify", _daemons_round, text_cases(DAEMONS, 1500, seed=21),
                 allowed=(fd.DaemonsFileError,))
    assert tally.unexpected == []


OPTION_STRINGS = ["-d -T 20 -r '/usr/lib/frr/watchfrr.sh restart %s' -s \"x y\" zebra bgpd",
                  "  -A 127.0.0.1 -s 90000000", "-T", "-dT20 --restart-timeout=30 -- -T 5", "-M fpm:netlink -s1"]


def _options_round(options):
    for opt in (fo.WATCHFRR_TIMEOUT_OPT, fo.ZEBRA_BUFSIZE_OPT):
        words = [w.value for w in fo.words(options)]
        if "\r" not in options and "\\" not in options:
            # what the shell's eval splits (for what we accept) is what shlex splits
            assert words == shlex.split(options)
        fo.option_value(options, opt)
        new = fo.set_option(options, opt, "300")
        assert fo.option_value(new, opt) == "300", (options, new)
        assert fo.set_option(new, opt, "300") == new


def test_fuzz_option_strings_as_argv():
    tally = fuzz("frr_options words/option_value/set_option", _options_round,
                 text_cases(OPTION_STRINGS, 3000, seed=22, steps=4), allowed=(fo.OptionsError,))
    assert tally.unexpected == []


# ---------------------------------------------------------------- audits

def _bgp_run(answers):
    summary, neighbors = answers
    runner = FakeRunner({"summary json": summary, "neighbors json": neighbors})
    ctx = AuditContext(root="/nonexistent", runner=runner, options={"bgp": {"sample_interval": 0, "overload_min_sessions": 1}})
    findings = audit_bgp.run(ctx)
    _assert_findings(findings)
    for f in findings:
        if f.id == "NM-BGP-009":
            assert f.evidence["error"] and f.evidence["commands"]
    for text in (summary, neighbors):
        try:
            readable = isinstance(json.loads(text), dict)
        except ValueError:
            readable = False
        if not readable:   # what vtysh said instead of JSON is a finding, with evidence
            assert [f for f in findings if f.id == "NM-BGP-009"], findings


def _pruned(doc, keep=("peers", "vrfName", "bgpState", "state", "peerState", "connectionsDropped", "inq", "outq",
                       "peerUptimeMsec", "bgpTimerUpMsec", "bgpTimerHoldTimeMsecs", "messageStats", "depthInq",
                       "adminShutDown", "failedPeers", "totalPeers", "ipv4Unicast", "l2VpnEvpn", "remoteAs",
                       # issue 15: what the overload check (bgp/overload.py) reads
                       "lastResetTimerMsecs", "lastNotificationReason", "lastErrorCodeSubcode", "lastResetDueTo",
                       "addressFamilyInfo", "updateGroupId", "routeReflectorClient", "routerId", "hostLocal",
                       "peerUptimeEstablishedEpoch", "connectionsEstablished")):
    """The fixture with only what the audit reads (so that most mutations hit it)."""
    if isinstance(doc, dict):
        return {k: _pruned(v) for k, v in doc.items()
                if k in keep or isinstance(v, dict) and ("." in k or k in ("default", "nmaud-red"))}
    return doc


def test_fuzz_audit_bgp_on_malformed_vtysh_json():
    sums = [v for k, v in BGP.items() if "_sum_" in k]
    nbrs = [v for k, v in BGP.items() if "_nbr_" in k]
    sums, nbrs = sums + [_pruned(d) for d in sums], nbrs + [_pruned(d) for d in nbrs]
    rng = random.Random(31)
    cases = []
    for label, text in json_cases(sums, 1500, seed=31):
        cases.append((label + " (summary)", (text, json.dumps(rng.choice(nbrs)))))
    for label, text in json_cases(nbrs, 1500, seed=32):
        cases.append((label + " (neighbors)", (json.dumps(rng.choice(sums)), text)))
    tally = fuzz("audit_bgp.run on mutated vtysh JSON", _bgp_run, cases)
    assert tally.unexpected == []


def test_fuzz_bgp_json_parsers_directly():
    """Issue 11: parse_neighbors raised 349 TypeErrors on mutated JSON (a VRF name that is an object...)."""
    sums = [v for k, v in BGP.items() if "_sum_" in k]
    nbrs = [v for k, v in BGP.items() if "_nbr_" in k]
    for name, parser, docs, seed in (("summary", audit_bgp.parse_summary, sums, 33),
                                     ("neighbors", audit_bgp.parse_neighbors, nbrs, 34)):
        docs = docs + [_pruned(d) for d in docs]
        tally = fuzz("audit_bgp.parse_%s" % name, parser,
                     json_cases(docs, 2000, seed=seed, as_text=False), allowed=(audit_bgp.BgpOutputError,))
        assert tally.unexpected == []


def _settings_ctx(root, running=None):
    return AuditContext(root=root, runner=FakeRunner({"show running-config": running or ""}),
                        options={"frr_settings": {"check_drift": running is not None}})


def _write(path, text, mode="w"):
    with open(path, mode, **({} if "b" in mode else {"encoding": "utf-8", "errors": "surrogateescape"})) as fh:
        fh.write(text)


def _fake_frr(root, conf):
    """A root where watchfrr (pid 100) and zebra (101) run, with frr.conf; see _fake_frr_inputs for the rest."""
    etc, run = os.path.join(root, "etc/frr"), os.path.join(root, "var/run/frr")
    for d in (etc, run, os.path.join(root, "proc/100"), os.path.join(root, "proc/101")):
        os.makedirs(d, exist_ok=True)
    _write(os.path.join(etc, "frr.conf"), conf)
    for pid, name in ((100, "watchfrr"), (101, "zebra")):
        _write(os.path.join(run, name + ".pid"), "%d\n" % pid)
        _write(os.path.join(root, "proc", str(pid), "stat"), "%d (%s) S %s 100 0\n" % (pid, name, " ".join(["0"] * 18)))
    _write(os.path.join(root, "proc/uptime"), "1000.00 1.00\n")


def _fake_frr_inputs(root, daemons, watchfrr_argv, zebra_argv):
    _write(os.path.join(root, "etc/frr/daemons"), daemons)
    for pid, name, argv in ((100, "watchfrr", watchfrr_argv), (101, "zebra", zebra_argv)):
        _write(os.path.join(root, "proc", str(pid), "cmdline"),
               ("\0".join(["/usr/lib/frr/" + name] + argv) + "\0").encode("utf-8", "surrogateescape"), "wb")


def test_fuzz_audit_frr_settings_on_mutated_files_argv_and_running_config(tmp_path):
    rng = random.Random(41)
    root = str(tmp_path)
    argvs = ["-d -F traditional -T 20 zebra bgpd staticd", "-d -A 127.0.0.1 -s 90000000", "-T", "-s"]
    _fake_frr(root, CONFIGS[0])

    def one(case):
        daemons, wf, zb, running = case
        _fake_frr_inputs(root, daemons, wf.split(" "), zb.split(" "))
        findings = audit_frr_settings.run(_settings_ctx(root, running))
        _assert_findings(findings)

    def cases():
        texts = text_cases(DAEMONS, 1000, seed=41)
        argv_texts = text_cases(argvs, 1000, seed=42, steps=4)
        running = text_cases(CONFIGS, 1000, seed=43)
        for (label, daemons), (_l2, wf), (_l3, run_text) in zip(texts, argv_texts, running):
            yield label, (daemons, wf, rng.choice(argvs), run_text if rng.random() < 0.5 else None)

    tally = fuzz("audit_frr_settings.run on mutated inputs", one, cases())
    assert tally.unexpected == []


def test_fuzz_audit_frr_drift_on_mutated_frr_conf_and_running_config(tmp_path):
    root = str(tmp_path)
    _fake_frr(root, CONFIGS[0])
    _fake_frr_inputs(root, DAEMONS[0], ["-d"], ["-d"])
    rng = random.Random(51)

    def one(case):
        conf, running = case
        _write(os.path.join(root, "etc/frr/frr.conf"), conf)
        findings = audit_frr_drift.run(AuditContext(root=root, runner=FakeRunner({"show running-config": running})))
        _assert_findings(findings)
        if any(f.id == "NM-FRR-004" for f in findings):
            assert all(f.evidence.get("error") for f in findings if f.id == "NM-FRR-004")

    cases = ((label, (text, rng.choice(CONFIGS)) if rng.random() < 0.5 else (rng.choice(CONFIGS), text))
             for label, text in text_cases(CONFIGS, 1000, seed=51))
    tally = fuzz("audit_frr_drift.run on mutated configs", one, cases)
    assert tally.unexpected == []
