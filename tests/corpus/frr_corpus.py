# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The FRR corpus harness: configs written by others, loaded, drifted, reconciled, judged (issue 14).

For each lab FRR version (tests/lab/frrhost.py: 8.4 on this host, 10.3 and
10.7 in release containers) and each config of the corpus
(``tests/corpus/frr/index.json``: ``{"file", "daemons", "features", "source"}``):

1. a router (tests/lab/frrlab.py) starts with the daemons the config needs
   (those that version has) and loads the config as an operator would,
   ``vtysh -f``; a line that version refuses makes the config *not accepted*
   (counted apart, with the first error line);
2. check mode on the router that runs exactly the config: it must plan
   nothing (``unchanged``: the issue's "an unchanged router gives
   changed: false and an empty plan, on every version");
3. the running config drifts, through vtysh on the live router, with a
   seeded RNG (the seed is printed; each config's own RNG is seeded with
   ``SEED:file``, so a config drifts the same whichever others run): about
   15 % of its lines removed by their ``no`` forms, foreign lines added
   (prefix-lists, a route-map, static routes, a neighbour's description),
   values changed (costs, timers, local-preference, ...);
4. our reconciler runs as the module does (tests/lab/frr_call.py, the
   default ``render: frr``), inside the router's machine; then the judge:
   that version's ``frr-reload.py --test`` (the intended file against the
   running router, minus its documented never-converging noise,
   tests/lab/frr_incident.py) sees nothing -> *converged*, else *residual*
   (its lines kept); our reconciler refusing -> *refused* (its reason kept).
   Also recorded: our own ``remaining`` after the run, and a second run in
   check mode (``idempotent``: changed=false and an empty plan).

Known results that are not our bug (FRR's or frr-reload.py's own limits) are
listed in ``tests/corpus/frr_known.json`` with their reason, and in
docs/frr_reconcile.md; :func:`unexplained` is what the test fails on.

CLI (``make frr-corpus`` runs every config on every version)::

    .venv/bin/python tests/corpus/frr_corpus.py [--versions 8.4,10.7] [--seed N] [--sample N] [--only FILE...]

prints a table per version and writes ``build/corpus-<version>.json``.
Needs root (namespaces) and the lab images (``make lab-image``; trixie:
``tests/lab/release_image.py build trixie``).  Test code, not shipped.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import re
import sys
import time
from typing import Callable, Dict, List, Optional, Sequence, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
LAB_DIR = os.path.join(REPO, "tests", "lab")
for _p in (LAB_DIR, os.path.join(REPO, "build", "dev")):
    if _p not in sys.path:
        sys.path.insert(0, _p)

# pylint: disable=wrong-import-position
import frr_incident as fi  # noqa: E402
import frrhost  # noqa: E402
import frrlab  # noqa: E402

from ansible_collections.netmedic.network.plugins.module_utils.frr.config import (  # noqa: E402
    FrrConfigError, parse)

CORPUS_DIR = os.path.join(HERE, "frr")
KNOWN_PATH = os.path.join(HERE, "frr_known.json")
DEFAULT_SEED = 14
PREFIX = "nmcorp-"
STATUSES = ("not_accepted", "converged", "residual", "refused", "error")

# Share of the running config's lines the drift removes (issue 14: "remove a share of lines").
REMOVE_SHARE = 0.15


@dataclasses.dataclass(frozen=True)
class Case:
    """One config of the corpus (an entry of index.json)."""

    file: str
    daemons: Tuple[str, ...]
    features: Tuple[str, ...] = ()
    source: str = ""
    corpus_dir: str = CORPUS_DIR

    @property
    def path(self) -> str:
        return os.path.join(self.corpus_dir, "configs", self.file)

    def text(self) -> str:
        with open(self.path, encoding="utf-8", errors="replace") as fh:
            return fh.read().replace("\r\n", "\n")


@dataclasses.dataclass
class Result:
    """What happened to one config on one version."""

    file: str
    version: str
    status: str = "error"                 # one of STATUSES
    detail: str = ""                      # the first error line / the refusal / what failed
    missing_daemons: List[str] = dataclasses.field(default_factory=list)
    unchanged_changed: Optional[bool] = None    # check mode on the router running exactly the config
    unchanged_plan: List[str] = dataclasses.field(default_factory=list)
    drift: Dict[str, object] = dataclasses.field(default_factory=dict)
    planned: Dict[str, int] = dataclasses.field(default_factory=dict)
    apply_errors: List[str] = dataclasses.field(default_factory=list)
    remaining: Optional[List[str]] = None
    residual: List[str] = dataclasses.field(default_factory=list)
    oracle_noise: List[str] = dataclasses.field(default_factory=list)   # frr-reload.py on the loaded router
    running_diff: Optional[List[str]] = None    # running config after the reconcile vs after loading the config
    idempotent: Optional[bool] = None           # second run, check mode: changed=false and an empty plan
    second_plan: List[str] = dataclasses.field(default_factory=list)
    seconds: float = 0.0

    @property
    def accepted(self) -> bool:
        return self.status != "not_accepted"


# ---------------------------------------------------------------- the corpus

def load_index(corpus_dir: str = CORPUS_DIR) -> List[Case]:
    """The corpus' configs (index.json), in its order."""
    with open(os.path.join(corpus_dir, "index.json"), encoding="utf-8") as fh:
        entries = json.load(fh)
    cases = []
    for e in entries:
        daemons = tuple(d for d in e.get("daemons", ()) if d in frrlab.KNOWN_DAEMONS)
        cases.append(Case(e["file"], daemons, tuple(e.get("features", ())), e.get("source", ""), corpus_dir))
    return cases


def sample(cases: Sequence[Case], count: int, seed: int) -> List[Case]:
    """``count`` configs chosen by ``seed`` (the same ones for the same corpus), in the corpus' order."""
    if count >= len(cases):
        return list(cases)
    chosen = set(random.Random(seed).sample(sorted(c.file for c in cases), count))
    return [c for c in cases if c.file in chosen]


def load_known(path: str = KNOWN_PATH) -> Dict[str, Dict[str, Dict[str, object]]]:
    """{version: {file: {"status", "lines" (residual lines, optional), "reason"}}}: results explained in
    docs/frr_reconcile.md (FRR's or frr-reload.py's limits, not our bug)."""
    if not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as fh:
        return {v: d for v, d in json.load(fh).items() if not v.startswith("_")}


# ---------------------------------------------------------------- the drift

# Leaf lines whose last number the drift changes (issue 14: "change values"), with a plausible range.
_VALUE_RULES = [
    (re.compile(r"^(ip ospf cost|ipv6 ospf6 cost|isis metric) \d+$"), 1, 65000),
    (re.compile(r"^(ip ospf (hello|dead)-interval) \d+$"), 1, 60),
    (re.compile(r"^(set local-preference|bgp default local-preference) \d+$"), 1, 1000),
    (re.compile(r"^(set metric) \d+$"), 1, 10000),
    (re.compile(r"^(maximum-paths(?: ibgp)?) \d+$"), 1, 64),
    (re.compile(r"^(distance bgp \d+ \d+) \d+$"), 1, 255),
    (re.compile(r"^(ip ospf priority|ipv6 ospf6 priority|isis priority) \d+$"), 0, 127),
    (re.compile(r"^(auto-cost reference-bandwidth) \d+$"), 1, 100000),
]
LOG_FILE_RE = re.compile(r"^\s*log file (/\S+)", re.M)
_TIMERS_RE = re.compile(r"^(timers bgp|neighbor \S+ timers) \d+ \d+$")
# Lines the drift leaves alone: not configuration commands, or removing them recreates the world.
# ([no] ip/ipv6 forwarding mirror the namespace's sysctls, compared only when the intended config states them.)
_KEEP_RE = re.compile(r"^(frr (version|defaults)|end$|exit|!|service integrated-vtysh-config|hostname |"
                      r"log |password|enable password|(no )?ipv6? forwarding$)")


def _block(path: Tuple[str, ...], command: str) -> List[str]:
    """Enter the contexts of ``path``, run ``command``, leave them: lines of a ``vtysh -f`` file."""
    return list(path) + [command] + ["exit"] * len(path)


def drift(running_text: str, rng: random.Random) -> Tuple[List[str], Dict[str, object]]:
    """The vtysh lines that make the router drift from ``running_text``, and what they do (counts, lines)."""
    try:
        cfg = parse(running_text, "running config")
    except FrrConfigError as exc:
        return [], {"error": "our parser cannot read the running config: %s" % exc}
    leaves = [e for e in cfg.entries if not cfg.is_context(e) and not _KEEP_RE.match(e.line)]
    out: List[str] = []
    removed, changed, added = [], [], []
    n_remove = int(round(len(leaves) * REMOVE_SHARE))
    for e in rng.sample(leaves, min(n_remove, len(leaves))):
        command = e.line[3:] if e.line.startswith("no ") else "no " + e.line
        out += _block(e.path, command)
        removed.append(" > ".join(e.path + (e.line,)))
    for e in leaves:
        for rx, low, high in _VALUE_RULES:
            m = rx.match(e.line)
            if m and rng.random() < 0.5:
                command = "%s %d" % (m.group(1), rng.randint(low, high))
                out += _block(e.path, command)
                changed.append(" > ".join(e.path + (command,)))
        m = _TIMERS_RE.match(e.line)
        if m and rng.random() < 0.5:
            keep = rng.randint(5, 60)
            command = "%s %d %d" % (m.group(1), keep, keep * 3)
            out += _block(e.path, command)
            changed.append(" > ".join(e.path + (command,)))
    plist = (rng.randint(1, 3), 5 * rng.randint(1, 9), rng.randint(1, 254))
    foreign = ["ip prefix-list NM-DRIFT-%d seq %d permit 192.0.2.%d/32" % plist,
               "ip route 198.51.100.%d/32 Null0" % rng.randint(1, 254)]
    if rng.random() < 0.5:
        foreign += ["route-map NM-DRIFT permit %d" % (10 * rng.randint(1, 5)),
                    "set local-preference %d" % rng.randint(1, 500), "exit"]
    bgp = sorted({e.path[0] for e in cfg.entries if e.path and e.path[0].startswith("router bgp ")})
    neighbor_re = re.compile(r"^neighbor \S+ (remote-as|peer-group|interface)")
    neighbors = [(e.path, e.line.split()[1]) for e in cfg.entries
                 if len(e.path) == 1 and e.path[0] in bgp and neighbor_re.match(e.line)]
    if neighbors:
        path, peer = rng.choice(neighbors)
        foreign += _block(path, "neighbor %s description nm-drift-%d" % (peer, rng.randint(1, 99)))
    if bgp and rng.random() < 0.5:
        foreign += _block((rng.choice(bgp),), "bgp default local-preference %d" % rng.randint(101, 999))
    out += foreign
    added = [line for line in foreign if line != "exit" and not line.startswith("router bgp ")]
    return out, {"removed": removed, "changed": changed, "added": added}


# ---------------------------------------------------------------- one config on one version

# How vtysh and the daemons say they did not take a line (a warning such as '"log monitor" is deprecated' or
# bfdd's "Echo mode works correctly for IPv4, but..." is not a refusal).
_LOAD_ERROR_RE = re.compile(
    r"% (?:\[\w+\] )?(?:Unknown command|Command incomplete|Ambiguous command|Configuration failed|Invalid|"
    r"Malformed|Specify|Can't|Cannot|Failed|Error|No such|Not allowed|.*\bnot running\b)|Failure to communicate|"
    r"can't open logfile|command ignored", re.I)


def load_errors(output: str) -> List[str]:
    """The lines of ``vtysh -f``'s output that report a line FRR did not take.  Its exit code is not enough:
    measured on 8.4.4, ``debug zebra srv6`` (unknown there) is reported and vtysh still exits 0."""
    return [line.strip() for line in output.splitlines() if _LOAD_ERROR_RE.search(line)]


def running_diff(loaded: str, now: str, limit: int = 40) -> List[str]:
    """The lines (``-`` only after loading, ``+`` only now) in which two running configs differ, ignoring the
    order of lines and FRR's ``!`` separators (at most ``limit``)."""
    def lines(text):
        skip = ("Building configuration", "Current configuration")
        return [ln.rstrip() for ln in text.splitlines() if ln.strip() not in ("!", "") and not ln.startswith(skip)]
    a, b = lines(loaded), lines(now)
    out = ["- " + ln for ln in a if ln not in set(b)] + ["+ " + ln for ln in b if ln not in set(a)]
    return out[:limit]


def _short(message: str) -> str:
    """The lines of a failure that say why (frr-reload.py logs a lot around its ERROR line)."""
    lines = message.splitlines()
    why = [ln.strip() for i, ln in enumerate(lines) if "ERROR" in ln or (i and "ERROR" in lines[i - 1])]
    return " | ".join(why)[:400] if why else message[-400:]


def _only_deprecations(output: str) -> bool:
    lines = [ln for ln in output.splitlines() if ln.strip()]
    return bool(lines) and all("deprecated" in ln.lower() for ln in lines)


def _call_reconcile(router: frrlab.Router, **options) -> Dict[str, object]:
    answer = router.machine.call("reconcile", pathspace=router.name, options=options)
    if not isinstance(answer, dict):
        raise frrhost.LabError("frr_call reconcile answered %r" % (answer,))
    return answer


def run_case(machine: frrhost.Machine, case: Case, seed: int, version: str, name: str) -> Result:
    """Load, check, drift, reconcile and judge one config on ``machine`` (a router named ``name``)."""
    t0 = time.monotonic()
    res = Result(case.file, version)
    daemons = [d for d in case.daemons if machine.has_daemon(d)]
    res.missing_daemons = [d for d in case.daemons if d not in daemons]
    router = frrlab.Router(name, "", daemons=daemons, machine=machine)
    try:
        _run_case(router, case, seed, res)
    except (frrhost.LabError, RuntimeError, OSError) as exc:
        res.status, res.detail = "error", _short(str(exc))
    finally:
        router.teardown()
        res.seconds = round(time.monotonic() - t0, 2)
    return res


def _run_case(router: frrlab.Router, case: Case, seed: int, res: Result) -> None:
    text = case.text()
    for path in LOG_FILE_RE.findall(text):
        # as on the router the config was written for: its log file can be opened (by the frr user)
        router.machine.sh(["install", "-D", "-m", "0640", "-o", "frr", "-g", "frr", "/dev/null", path], check=False)
    router.start(timeout=60)
    intended = router.write_file("intended.conf", text)
    for _attempt in range(3):
        loaded = router.load_file(intended)
        errors = load_errors(loaded.stdout + "\n" + loaded.stderr)
        if not any("datastore locked" in e for e in errors):
            break
        # FRR 10: mgmtd still held the datastore (seen once on 10.3 with 23-clab-cvx04-evpnmh-spine01.conf)
        router.wait_up(timeout=60)
    if errors or (loaded.returncode != 0 and not _only_deprecations(loaded.stdout + loaded.stderr)):
        res.status = "not_accepted"
        res.detail = errors[0] if errors else "vtysh -f exited %d" % loaded.returncode
        if res.missing_daemons:
            res.detail += " (FRR %s has no %s)" % (router.version, ", ".join(res.missing_daemons))
        return
    router.wait_up(timeout=60)   # FRR 10: mgmtd commits what vtysh -f pushed before configure works again

    # the router runs exactly the config: check mode must plan nothing
    first = _call_reconcile(router, src=intended, check_mode=True)
    if "error" in first:
        res.status, res.detail = "refused", first["error"]
        return
    res.unchanged_changed = bool(first["result"]["changed"])
    res.unchanged_plan = list(first["result"]["plan"]["commands"])

    # what frr-reload.py reports on this router that runs exactly the config: the oracle's own noise for it
    # (FRR #6062; e.g. a line FRR prints for a profile's value), not a difference the reconcile left
    res.oracle_noise = fi.frr_reload_residue(router.name, intended, machine=router.machine)
    loaded_running = router.running_config()

    # drift through vtysh, as on a live router
    rng = random.Random("%d:%s" % (seed, case.file))
    lines, res.drift = drift(loaded_running, rng)
    if lines:
        router.write_file("drift.conf", "\n".join(lines) + "\n")
        out = router.load_file(os.path.join(router.confdir, "drift.conf"))
        res.drift["vtysh_errors"] = len([ln for ln in out.stdout.splitlines() if "%" in ln])
        router.wait_up(timeout=60)

    done = _call_reconcile(router, src=intended)
    if "error" in done:
        res.status, res.detail = "refused", done["error"]
        res.apply_errors = list(done.get("data", {}).get("apply_errors") or [])
        return
    result = done["result"]
    res.planned = {"delete": result["plan"]["delete"], "add": result["plan"]["add"]}
    res.apply_errors = list(result.get("apply_errors") or [])
    res.remaining = list(result.get("remaining") or [])
    router.wait_up(timeout=60)

    noise = set(res.oracle_noise)
    res.residual = [line for line in fi.frr_reload_residue(router.name, intended, machine=router.machine)
                    if line not in noise]
    res.status = "converged" if not res.residual else "residual"
    # the second judge: the running config as FRR prints it, against the one the loaded config gave
    res.running_diff = running_diff(loaded_running, router.running_config())

    again = _call_reconcile(router, src=intended, check_mode=True)
    if "error" in again:
        res.idempotent, res.second_plan = False, ["refused: " + again["error"]]
    else:
        res.second_plan = list(again["result"]["plan"]["commands"])
        res.idempotent = again["result"]["changed"] is False and not res.second_plan


# ---------------------------------------------------------------- a version

def run_version(version: str, cases: Sequence[Case], seed: int, log: Callable[[str], None] = print,
                machine: Optional[frrhost.Machine] = None) -> List[Result]:
    """Every case on ``version`` (its machine, started on first use, is kept for the session)."""
    machine = machine or frrhost.machine(version)
    frrlab.cleanup_stale(PREFIX, machine)
    results = []
    for i, case in enumerate(cases):
        res = run_case(machine, case, seed, version, "%sc%d" % (PREFIX, i))
        log("  [%s] %-44s %-12s %5.1f s %s" % (version, case.file[:44], res.status, res.seconds, _flags(res)))
        results.append(res)
    return results


def _flags(res: Result) -> str:
    flags = []
    if res.unchanged_changed:
        flags.append("unchanged-router-planned:%d" % len(res.unchanged_plan))
    if res.remaining:
        flags.append("remaining:%d" % len(res.remaining))
    if res.idempotent is False:
        flags.append("second-run-planned:%d" % len(res.second_plan))
    if res.residual:
        flags.append("residual:%d" % len(res.residual))
    if res.running_diff:
        flags.append("running-differs:%d" % len(res.running_diff))
    if res.status in ("not_accepted", "refused", "error"):
        flags.append(res.detail[:120])
    return " ".join(flags)


def counts(results: Sequence[Result]) -> Dict[str, int]:
    """The table's figures for one version."""
    c = {s: sum(1 for r in results if r.status == s) for s in STATUSES}
    c["configs"] = len(results)
    c["accepted"] = len(results) - c["not_accepted"]
    c["idempotent"] = sum(1 for r in results if r.idempotent)
    c["unchanged_ok"] = sum(1 for r in results if r.unchanged_changed is False)
    c["remaining_empty"] = sum(1 for r in results if r.remaining == [])
    c["running_same"] = sum(1 for r in results if r.running_diff == [])
    c["oracle_noise"] = sum(1 for r in results if r.oracle_noise)
    return c


def table(version: str, results: Sequence[Result]) -> str:
    """One version's table: the counts, then a line per config that did not converge cleanly."""
    c = counts(results)
    out = ["FRR %s (%s): %d configs: accepted %d, converged %d, residual %d, refused %d, error %d, "
           "idempotent %d, unchanged router plans nothing %d, remaining empty %d, running config as loaded %d, "
           "not accepted %d (frr-reload.py noise on the loaded router: %d)"
           % (version, frrhost.machine(version).frr_version(), c["configs"], c["accepted"], c["converged"],
              c["residual"], c["refused"], c["error"], c["idempotent"], c["unchanged_ok"], c["remaining_empty"],
              c["running_same"], c["not_accepted"], c["oracle_noise"])]
    for r in results:
        if (r.status == "converged" and r.idempotent and not r.remaining and r.unchanged_changed is False
                and not r.running_diff):
            continue
        out.append("  %-44s %-12s %s" % (r.file[:44], r.status, _flags(r)))
        for line in (r.residual or [])[:8]:
            out.append("      residual %s" % line)
        for line in (r.remaining or [])[:4]:
            out.append("      remaining %s" % line)
        for line in (r.second_plan or r.unchanged_plan)[:4]:
            out.append("      plans %s" % line)
        for line in (r.running_diff or [])[:4]:
            out.append("      running %s" % line)
    return "\n".join(out)


def unexplained(results: Sequence[Result], known: Dict[str, Dict[str, Dict[str, object]]]) -> List[str]:
    """Results the test fails on: residual, refused, error, a plan on an unchanged router, a non-idempotent
    second run or a non-empty ``remaining``, unless frr_known.json explains it for that version and file."""
    bad = []
    for r in results:
        k = known.get(r.version, {}).get(r.file) or known.get("*", {}).get(r.file) or {}
        if r.status == "not_accepted":
            continue
        if k.get("status") == r.status and r.status != "converged":
            allowed = set(k.get("lines") or ())
            if not allowed or set(r.residual) <= allowed:
                continue
        problems = []
        if r.status != "converged":
            problems.append("%s: %s" % (r.status, r.detail or "; ".join(r.residual[:5])))
        if r.unchanged_changed:
            problems.append("check mode on the unchanged router planned %s" % r.unchanged_plan[:5])
        if r.status == "converged" and r.remaining:
            problems.append("remaining after converging: %s" % r.remaining[:5])
        if r.status == "converged" and r.idempotent is False:
            problems.append("second run (check mode) planned %s" % r.second_plan[:5])
        if problems:
            bad.append("FRR %s %s: %s" % (r.version, r.file, "; ".join(problems)))
    return bad


def write_json(path: str, version: str, seed: int, results: Sequence[Result], wall: float) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    data = {"version": version, "frr_version": frrhost.machine(version).frr_version(), "seed": seed,
            "wall_seconds": round(wall, 1), "counts": counts(results),
            "results": [dataclasses.asdict(r) for r in results]}
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=1, sort_keys=True)
        fh.write("\n")


# ---------------------------------------------------------------- CLI

def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    ap.add_argument("--versions", default=None, help="comma-separated lab FRR versions (default: "
                    "NETMEDIC_FRR_VERSIONS, else all: %s)" % ",".join(frrhost.VERSIONS))
    ap.add_argument("--seed", type=int, default=int(os.environ.get("NETMEDIC_CORPUS_SEED", DEFAULT_SEED)))
    ap.add_argument("--sample", type=int, default=0, help="only this many configs, chosen by the seed")
    ap.add_argument("--only", nargs="*", default=(), help="only these files of the corpus")
    ap.add_argument("--corpus", default=CORPUS_DIR, help="the corpus directory (index.json, configs/)")
    ap.add_argument("--out", default=os.path.join(REPO, "build"), help="where corpus-VERSION.json goes")
    args = ap.parse_args(argv)
    if args.versions:
        os.environ["NETMEDIC_FRR_VERSIONS"] = args.versions
    versions = frrhost.selected_versions()
    cases = load_index(args.corpus)
    if args.only:
        cases = [c for c in cases if c.file in args.only]
    if args.sample:
        cases = sample(cases, args.sample, args.seed)
    if not cases:
        print("frr_corpus: no configs selected", file=sys.stderr)
        return 2
    print("frr_corpus: %d configs, versions %s, seed %d" % (len(cases), ",".join(versions), args.seed))
    known = load_known()
    tables, bad = [], []
    t_all = time.monotonic()
    for version in versions:
        t0 = time.monotonic()
        results = run_version(version, cases, args.seed)
        wall = time.monotonic() - t0
        write_json(os.path.join(args.out, "corpus-%s.json" % version), version, args.seed, results, wall)
        tables.append(table(version, results) + "\n  (wall %.0f s, build/corpus-%s.json)" % (wall, version))
        bad += unexplained(results, known)
        frrhost.release(version)
    print("\n" + "\n\n".join(tables))
    print("\nseed %d, wall %.0f s; %d result(s) not explained by tests/corpus/frr_known.json"
          % (args.seed, time.monotonic() - t_all, len(bad)))
    for line in bad:
        print("  " + line)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
