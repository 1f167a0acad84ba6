# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which FRR version a router runs, and what netmedic knows about that version.

FRR's configuration path changed between the versions operators run: FRR 9
added ``mgmtd`` (it owns staticd's and part of zebra's configuration), 10.x
prints ``show running-config`` in another section order and with new
defaults.  The reconciler was proven in the lab on the versions of
:data:`TESTED` (tests/lab/frrhost.py, one per Debian release); a version
outside that range is one it has never met, and ``frr_reconcile`` refuses to
change it unless the operator allows it (read-only audits still run, and say
the version in their evidence).

The version comes from the ``frr version X`` line FRR prints at the top of
``show running-config`` (no extra command), or from ``show version``.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import re
from typing import Any, FrozenSet, Iterable, Optional, Tuple

from ansible_collections.netmedic.network.plugins.module_utils.core.runner import CommandError
from ansible_collections.netmedic.network.plugins.module_utils.frr.paths import vtysh_argv

Version = Tuple[int, ...]

# Proven in the lab, with the Debian release that ships each (tests/lab/frrhost.py VERSIONS).
TESTED = {(8, 4): "Debian 12 bookworm, 8.4.4", (10, 3): "Debian 13 trixie, 10.3",
          (10, 7): "Debian 14 forky, 10.7.1"}
OLDEST_TESTED = min(TESTED)
NEWEST_TESTED = max(TESTED)

# "FRRouting 10.3 (host) on Linux(...)", "frr version 10.3", "zebra version 8.4.4", "10.4.1_git", "9.1-dev"
_VERSION_RE = re.compile(r"(?:FRRouting|frr version|version)\s+(\d+(?:\.\d+)+)")
_RUNNING_LINE_RE = re.compile(r"^frr version (\d+(?:\.\d+)+)", re.M)

# Lines FRR does not print because they set the default, per version (measured in the lab on 8.4.4,
# 10.3 and 10.7.1): (context kind, line); kind "" is top level.  FRR 10 resolves next hops over the
# default route unless told not to, and prints only 'no ip nht resolve-via-default' (LAB_NOTES,
# FRR 10.3); on 8.4 the default is off and the line is printed when set.
_DEFAULTS_ALL = frozenset((
    ("router ospf", "auto-cost reference-bandwidth 100000"),
    ("interface", "ip ospf hello-interval 10"),
    ("interface", "ip ospf priority 1"), ("interface", "ip ospf retransmit-interval 5"),
    ("interface", "ip ospf transmit-delay 1"),
    ("router bgp", "bgp default local-preference 100"),
    # EVPN's primary IP advertisement is on by default: FRR prints only 'no advertise-pip' or 'advertise-pip ip
    # X mac Y' (10.7.1 with tests/corpus/frr/configs/57-dbono711-srv6-pe1.conf: check mode on the unchanged
    # router planned it whenever the throwaway bgpd could not render the config)
    ("address-family l2vpn evpn", "advertise-pip"),
))
_DEFAULTS_SINCE = (
    ((10, 0), frozenset((("", "ip nht resolve-via-default"), ("", "ipv6 nht resolve-via-default")))),
)


def parse(text: str) -> Optional[Version]:
    """The version in ``show version``, ``show running-config`` or ``zebra --version`` output, or None."""
    if not isinstance(text, str):
        return None
    m = _RUNNING_LINE_RE.search(text) or _VERSION_RE.search(text)
    if not m:
        return None
    return tuple(int(p) for p in m.group(1).split("."))


def text(version: Optional[Version]) -> str:
    """``"10.3"``, or ``"unknown"``."""
    return ".".join(str(p) for p in version) if version else "unknown"


def tested(version: Optional[Version]) -> bool:
    """The version's major.minor was proven in the lab (:data:`TESTED`)."""
    return bool(version) and tuple(version[:2]) in TESTED


def untested_reason(version: Optional[Version]) -> Optional[str]:
    """Why the reconciler must not trust itself with ``version`` (None: it may).

    A version between two tested ones is accepted (its configuration language
    lies between theirs); a newer one, an older one, or one FRR did not say are not.
    """
    if not version:
        return "FRR did not say its version (no 'frr version' line in show running-config)"
    short = tuple(version[:2])
    if short > NEWEST_TESTED:
        return ("FRR %s is newer than the newest version netmedic was tested with (%s)"
                % (text(version), text(NEWEST_TESTED)))
    if short < OLDEST_TESTED:
        return ("FRR %s is older than the oldest version netmedic was tested with (%s)"
                % (text(version), text(OLDEST_TESTED)))
    return None


def default_lines(version: Optional[Version]) -> FrozenSet[Tuple[str, str]]:
    """(context kind, line) pairs FRR ``version`` does not print because they are its default."""
    out = set(_DEFAULTS_ALL)
    for since, lines in _DEFAULTS_SINCE:
        if version and tuple(version[:2]) >= since:
            out |= lines
    return frozenset(out)


def has_mgmtd(version: Optional[Version]) -> bool:
    """FRR 9 and later run mgmtd beside zebra and staticd (started by frrinit.sh whatever the daemons file says)."""
    return bool(version) and version[0] >= 9


def read(runner: Any, pathspace: Optional[str] = None, vtysh: str = "vtysh") -> Optional[Version]:
    """``vtysh [-N PATHSPACE] -c 'show version'``; None when vtysh does not answer (FRR down)."""
    try:
        res = runner(vtysh_argv(pathspace, "show version", vtysh=vtysh), timeout=30)
    except CommandError:
        return None
    return parse(res.stdout) if res.rc == 0 else None


def annotate(findings: Iterable[Any], version: Optional[Version]) -> None:
    """Say the FRR version in every finding's evidence (``frr_version``, ``frr_version_tested``): an audit of a
    version netmedic was not tested with still runs, and says so."""
    for f in findings:
        f.evidence.setdefault("frr_version", text(version))
        f.evidence.setdefault("frr_version_tested", tested(version))
