# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sliced runs: each slice's partial report, and the merge of the slices into the fleet's results.

AWX / Automation Platform scale a job template out by job slicing: the inventory's hosts,
sorted by name, are dealt into N slices (slice k gets hosts k-1, k-1+N, ...) and each slice
runs the whole playbook as its own job, on any execution node.  The playbook is not told
its slice: a job's meta variables are ``awx_job_id``, ``awx_workflow_job_id`` (the workflow
the slices run in), ``awx_job_template_name``... but not the slice number or count, which
are fields of the job in the API only (awx/main/models/unified_jobs.py ``awx_meta_vars``,
jobs.py, inventory.py ``get_sliced_hosts``; AWX at commit e21dd0a, Oct 2024).  So:

- a slice is named by the operator (``preflight_slice: "{{ awx_job_id }}"`` on the job
  template) and its run by ``awx_workflow_job_id``, shared by the slices of one launch;
- the merge does not count slices: it takes the partial reports of one run and checks that
  every target host is in exactly one of them.  A target host that no slice reported is a
  host without result, as an unreachable host is in one unsliced run.

A partial report carries the per-host results as the report module takes them (less
Ansible's bookkeeping), not a built report.  The merge hands their union to the one report
builder (``preflight_report``), so the merged JSON, Markdown, JUnit, fleet checks and
metrics are those of one unsliced run by construction, and are computed only there.
"""

from __future__ import annotations

import os
import re
from typing import Any, Dict, List, Mapping, NamedTuple, Optional, Sequence, Tuple

from ansible_collections.netmedic.network.plugins.module_utils.core.fileops import FileOpError, read_text
from ansible_collections.netmedic.network.plugins.module_utils.core.findings import kind_of
from ansible_collections.netmedic.network.plugins.module_utils.core.json_input import load_json

KIND = "netmedic.network partial report"
PARTIAL_VERSION = 1
# A slice or run name becomes part of a file name: nothing that could leave the directory.
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
# What Ansible adds to a registered result and the report never reads: the module's own
# arguments (every option, large) and internal flags.
_BOOKKEEPING = ("invocation",)
NOT_REPORTED = "no slice reported this host (its slice's job failed before writing its partial report, or did not run)"


class PartialError(ValueError):
    """A partial report, or the set of them, that cannot be merged; ``str()`` says which file and why."""


class Merged(NamedTuple):
    results: Dict[str, Any]          # host -> result (or the NOT_REPORTED stand-in), for the report module
    slices: List[Dict[str, Any]]     # per partial merged: slice, path, hosts, generated
    run: str
    missing_hosts: List[str]         # target hosts that no slice reported
    ignored_hosts: List[str]         # hosts of the partials that are not targets now (--limit)
    other_runs: List[str]            # runs whose partials were left alone


def name_error(option: str, value: Any) -> Optional[str]:
    """Why ``value`` cannot name a slice or run (it is part of a file name), or None."""
    if not isinstance(value, str) or not _NAME.match(value):
        return ("%s must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit "
                "(it names the partial report's file), got %r" % (option, value))
    return None


def partial_path(json_path: str, slice_name: str) -> str:
    """``reports/preflight.json`` and slice ``7`` -> ``reports/preflight.slice-7.json``."""
    root, ext = os.path.splitext(json_path)
    return "%s.slice-%s%s" % (root if ext == ".json" else json_path, slice_name, ".json")


def partial_pattern(json_path: str) -> Tuple[str, re.Pattern]:
    """The directory of the partial reports of ``json_path`` and the pattern of their file names."""
    root, ext = os.path.splitext(json_path)
    stem = os.path.basename(root if ext == ".json" else json_path)
    return os.path.dirname(os.path.abspath(json_path)), re.compile(r"^%s\.slice-(.+)\.json$" % re.escape(stem))


def _strip(result: Any) -> Any:
    if not isinstance(result, Mapping):
        return result
    return {k: v for k, v in result.items() if k not in _BOOKKEEPING and not str(k).startswith("_ansible")}


def partial_report(results: Mapping[str, Any], slice_name: str, run: str, generated: str,
                   tool: str = "netmedic.network") -> Dict[str, Any]:
    """The partial report of one slice: its hosts' results, named by slice and run."""
    return {"kind": KIND, "partial_version": PARTIAL_VERSION, "slice": slice_name, "run": run,
            "generated": generated, "tool": tool, "hosts": sorted(str(h) for h in results),
            "results": {str(h): _strip(r) for h, r in results.items()}}


def check_partial(doc: Any, path: str) -> Dict[str, Any]:
    """``doc`` (a parsed file) if it is a partial report this version reads; PartialError naming the key otherwise."""
    if not isinstance(doc, Mapping) or doc.get("kind") != KIND:
        raise PartialError("%s is not a netmedic partial report (no \"kind\": %r)" % (path, KIND))
    version = doc.get("partial_version")
    if version != PARTIAL_VERSION:
        raise PartialError("%s: partial_version %r, this collection reads version %d: merge with the collection "
                           "version the slices ran" % (path, version, PARTIAL_VERSION))
    for key, kind in (("slice", str), ("run", str), ("generated", str), ("results", Mapping)):
        if not isinstance(doc.get(key), kind):
            wanted = "dictionary" if kind is Mapping else "string"
            raise PartialError("%s: %s must be a %s, got %s" % (path, key, wanted, kind_of(doc.get(key))))
    return dict(doc)


def read_partials(json_path: str) -> List[Tuple[str, Dict[str, Any]]]:
    """Every partial report of ``json_path`` (``preflight.slice-*.json`` beside it), checked; PartialError otherwise."""
    directory, pattern = partial_pattern(json_path)
    try:
        names = sorted(n for n in os.listdir(directory) if pattern.match(n))
    except FileNotFoundError:
        names = []
    except OSError as exc:
        raise PartialError("cannot list %s: %s" % (directory, exc)) from None
    out = []
    for name in names:
        path = os.path.join(directory, name)
        if os.path.islink(path) or not os.path.isfile(path):
            raise PartialError("%s is not a regular file" % path)
        try:
            doc = load_json(read_text(path), path, PartialError)
        except (FileOpError, UnicodeDecodeError) as exc:
            raise PartialError("%s cannot be read: %s" % (path, exc)) from None
        out.append((path, check_partial(doc, path)))
    return out


def _by_run(partials: Sequence[Tuple[str, Mapping[str, Any]]]) -> Dict[str, List[str]]:
    runs: Dict[str, List[str]] = {}
    for path, doc in partials:
        runs.setdefault(doc["run"], []).append(path)
    return runs


def _describe_runs(runs: Mapping[str, List[str]]) -> str:
    return "; ".join("run %r: %s" % (run, ", ".join(os.path.basename(p) for p in sorted(paths)))
                     for run, paths in sorted(runs.items()))


def merge(partials: Sequence[Tuple[str, Mapping[str, Any]]], targets: Sequence[str], run: str = "") -> Merged:
    """The results of every target host from the partial reports of one run.

    ``partials`` are (path, checked document); ``run`` chooses the run (empty: the partials
    must all be of one run).  A host in two partial reports of the run is an error (which one
    is true?), a target host in none is a host without result, partial hosts that are not
    targets are left out (and listed).
    """
    runs = _by_run(partials)
    if run:
        chosen = [(p, d) for p, d in partials if d["run"] == run]
        if not chosen:
            raise PartialError("no partial report of run %r%s" % (
                run, (" (found: %s)" % _describe_runs(runs)) if runs else ""))
    else:
        if len(runs) > 1:
            raise PartialError("partial reports of %d runs: %s. Set preflight_slice_run to the run to merge, or remove "
                               "the partial reports of the other runs" % (len(runs), _describe_runs(runs)))
        chosen = list(partials)
        if not chosen:
            raise PartialError("no partial report found")
        run = chosen[0][1]["run"]
    owner: Dict[str, str] = {}
    merged: Dict[str, Any] = {}
    slices = []
    for path, doc in sorted(chosen, key=lambda item: item[0]):
        for host, result in doc["results"].items():
            if host in owner:
                raise PartialError("host %s is in two partial reports of run %r: %s and %s (a slice ran twice, or "
                                   "a partial report of an earlier run is left over: remove it)"
                                   % (host, run, os.path.basename(owner[host]), os.path.basename(path)))
            owner[host] = path
            merged[host] = result
        slices.append({"slice": doc["slice"], "path": path, "hosts": len(doc["results"]), "generated": doc["generated"]})
    wanted = [str(h) for h in targets]
    missing = sorted(h for h in wanted if h not in merged)
    results = {h: merged[h] if h in merged else {"msg": NOT_REPORTED} for h in wanted}
    ignored = sorted(h for h in merged if h not in set(wanted))
    return Merged(results, slices, run, missing, ignored, sorted(r for r in runs if r != run))
