# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The postflight's comparison with the preflight report, and its gate.

Pure functions on the controller: the preflight report (parsed JSON, the
baseline) and the postflight report (core/report.build_report) in, per host
the findings that are new and the ones that are gone out, keyed by
``Finding.key`` (check id and subject).  Written as ``postflight-diff.json``:

    {"baseline": PATH, "hosts": {HOST: {"new": [finding, ...], "gone": ["ID SUBJECT", ...],
                                        "in_baseline": bool, "links_compared": bool,
                                        "sessions": {"back": [...], "down": [...], ...}}}}

``sessions`` (issue 15, when both reports recorded sessions of the host) says which sessions came
back (core/sessions.py).

Only what was audited now is compared: each audit of the postflight lists the
check ids it looked for (``audits[].checks``), so ``--tags bgp`` does not call
every bond finding of the preflight "gone".  Ids no audit looks for any more
(``NM-LINK-005``, retired) are not compared.  Notes on the comparison itself
(``Audit.notes``: ``NM-LINK-006`` "link counters not compared") are never new
or gone; each clears the flag it declares (``links_compared``).
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Set

from ansible_collections.netmedic.network.plugins.module_utils.core import sessions
from ansible_collections.netmedic.network.plugins.module_utils.core.audit import AUDIT_FAILED_ID
from ansible_collections.netmedic.network.plugins.module_utils.core.findings import (
    Finding, FindingError, at_least, kind_of)
from ansible_collections.netmedic.network.plugins.module_utils.core.report import NO_RESULT


class BaselineError(ValueError):
    """The baseline is not a netmedic preflight report; ``str()`` names the key that is wrong."""


def _key(finding: Mapping[str, Any]) -> str:
    # the form postflight-diff.json has always used for "gone"
    return "%s %s" % (finding["id"], finding.get("subject") or "")


def baseline_hosts(baseline: Any) -> Dict[str, List[Dict[str, Any]]]:
    """The findings of each host of a parsed preflight report (BaselineError naming what is wrong)."""
    if baseline is None:
        return {}
    if not isinstance(baseline, Mapping) or not isinstance(baseline.get("hosts", {}), Mapping):
        raise BaselineError("expected a dictionary with 'hosts', got %s" % kind_of(baseline))
    out = {}
    for host, data in baseline.get("hosts", {}).items():
        raw = data.get("findings") if isinstance(data, Mapping) else None
        if not isinstance(raw, list):
            raise BaselineError("hosts[%r].findings must be a list, got %s" % (host, kind_of(raw)))
        try:
            out[str(host)] = [Finding.from_dict(f).to_dict() for f in raw]
        except FindingError as exc:
            raise BaselineError("hosts[%r]: %s" % (host, exc)) from None
    return out


def _scope(audits: List[Mapping[str, Any]], canonical: Mapping[str, str]):
    """(check ids audited now, audit names audited now), or (None, None) when the audits do not say."""
    if not audits or not all("checks" in a for a in audits):
        return None, None
    audited = [a for a in audits if a.get("status") != "excluded"]
    ids = {i for a in audited for i in a["checks"] or []}
    names = {canonical.get(a.get("name"), a.get("name")) for a in audited}
    return ids, names


def _in_scope(finding: Mapping[str, Any], ids: Optional[Set[str]], names: Optional[Set[str]],
              canonical: Mapping[str, str]) -> bool:
    if ids is None:
        return True
    if finding["id"] == AUDIT_FAILED_ID:
        # "the X audit could not run": compared when X was audited now (by any of its names)
        subject = finding.get("subject") or ""
        return canonical.get(subject, subject) in names
    return finding["id"] in ids


def compare(baseline: Any, report: Mapping[str, Any], baseline_path: str,
            notes: Mapping[str, str], canonical: Mapping[str, str]) -> Dict[str, Any]:
    """The comparison of every host of ``report`` with ``baseline`` (None: no preflight report).

    ``notes``: check id -> the flag it clears (registry.notes()); ``canonical``:
    every audit name and earlier name -> its name (registry.canonical_names()).
    """
    before_by_host = baseline_hosts(baseline)
    flags = sorted(set(notes.values()))
    hosts: Dict[str, Any] = {}
    for host, now_host in report["hosts"].items():
        in_baseline = host in before_by_host
        entry: Dict[str, Any] = {"new": [], "gone": [], "in_baseline": in_baseline}
        if now_host["status"] == NO_RESULT:
            # nothing to compare with: a host that did not answer has not lost its findings
            entry.update({flag: False for flag in flags})
            hosts[host] = entry
            continue
        ids, names = _scope(now_host.get("audits") or [], canonical)
        now = now_host["findings"]
        entry.update({flag: not any(notes.get(f["id"]) == flag for f in now) for flag in flags})
        before = [f for f in before_by_host.get(host, [])
                  if f["id"] not in notes and _in_scope(f, ids, names, canonical)]
        before_keys = list(dict.fromkeys(_key(f) for f in before))
        now_conditions = [f for f in now if f["id"] not in notes]
        now_keys = {_key(f) for f in now_conditions}
        entry["new"] = [f for f in now_conditions if _key(f) not in set(before_keys)]
        entry["gone"] = [k for k in before_keys if k not in now_keys]
        came_back = sessions.compare(sessions.baseline_snapshots(baseline, host), now_host.get("snapshots"))
        if came_back["compared"]:
            entry["sessions"] = came_back
        hosts[host] = entry
    return {"baseline": baseline_path, "hosts": hosts}


def new_at_or_above(comparison: Mapping[str, Any], threshold: str) -> Dict[str, List[Dict[str, Any]]]:
    """Per host, the new findings at ``threshold`` or worse (``never``: none); hosts without any are left out."""
    if threshold == "never":
        return {}
    out = {}
    for host, entry in sorted(comparison["hosts"].items()):
        bad = [f for f in entry["new"] if at_least(f["severity"], threshold)]
        if bad:
            out[host] = bad
    return out


def gate_message(bad: Mapping[str, List[Mapping[str, Any]]], threshold: str) -> str:
    """``HOST: N new finding(s) at or above T since the preflight: ID: summary; ...`` for each host."""
    return "; and ".join(
        "%s: %d new finding(s) at or above %s since the preflight: %s"
        % (host, len(found), threshold, "; ".join("%s: %s" % (f["id"], f["summary"]) for f in found))
        for host, found in sorted(bad.items()))


def host_line(comparison: Mapping[str, Any], host: str, report: Mapping[str, Any], notes: Mapping[str, str]) -> str:
    """One line for the operator: what changed on ``host`` since the preflight."""
    entry = comparison["hosts"][host]
    now_host = report["hosts"][host]
    if now_host["status"] == NO_RESULT:
        return "no result from this host: nothing compared"
    if not entry["in_baseline"]:
        said = "no preflight report entry (%s): nothing compared; " % comparison["baseline"]
    else:
        said = "".join("%s; " % f["summary"] for f in now_host["findings"] if f["id"] in notes)
    new = ", ".join(f["id"] for f in entry["new"]) or "none"
    gone = ", ".join(entry["gone"]) or "none"
    back = sessions.line(entry.get("sessions") or {})
    return "%snew since the preflight: %s; gone: %s%s" % (said, new, gone, ("; " + back) if back else "")
