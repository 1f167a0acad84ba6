# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Let FRR itself say what the intended configuration looks like once loaded.

An intended config written by hand, by a template or by another tool says
many things in words FRR prints differently: ``address-family ipv4`` is
printed ``address-family ipv4 unicast``, ``network 2011:1::1/64`` as
``network 2011:1::/64``, ``int eth0`` / ``ip addr`` as ``interface eth0`` /
``ip address``, a top-level ``ip route ... vrf X`` under ``vrf X``, a line
that sets a default (``no shutdown``, ``isis hello-multiplier 10``) not at all,
and each FRR version has its own defaults.  Compared word for word with
``show running-config``, those lines look missing forever: check mode plans
changes on a router that runs exactly the intended config, and a reconcile
deletes and re-adds live lines on every run (an independent check on 92 real
configurations found both on about half of them, issue 14).  A hand-written
list of normalisations keeps losing that race, so the intended config is
loaded into a **throwaway FRR instance** of the router's own FRR (same
binaries, same daemons, same ``frr defaults`` profile) in a private network
namespace (:mod:`frr.render_child`), and compared in the words FRR prints.

Only when the parser's comparison finds a difference (an unchanged router
costs nothing), and only the part of the config that needs it: top-level list
entries (prefix/access/community/as-path lists: most of a big config), ``log``,
``debug``, ``dump`` and ``agentx`` lines (they would write the router's log
files or reach its SNMP agent) and ``ip[v6] forwarding`` (the throwaway
namespace has its own sysctls) are compared by the parser as before; each run
of them is replaced by one marker line so that FRR leaves a context where it
would have left it.  Figures (issue 14, 2 cores, loaded): FRR 8.4.4 loads
about 250 lines/s into a fresh instance (2,000 lines 4.1 s, 20,000 lines
80 s), FRR 10.3 and 10.7.1 1,000-1,600 lines/s (20,000 lines 12-20 s); the
non-list part of the 20,000-line incident config is about 500 lines.

When the instance cannot run (no ``frr`` user, a daemon that does not start,
an error loading the config, a timeout), the caller falls back to the
parser's comparison and says why.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import os
import re
import sys
from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.netmedic.network.plugins.module_utils.core.runner import CommandError, Runner
from ansible_collections.netmedic.network.plugins.module_utils.frr import render_child
from ansible_collections.netmedic.network.plugins.module_utils.frr.config import Config, Entry, parse
from ansible_collections.netmedic.network.plugins.module_utils.frr.paths import LIB_DIR, RUN_DIR, run_dir

MODES = ("frr", "parser")
PROFILES = ("traditional", "datacenter")
FRR_LIB = LIB_DIR
MARKER_LIST = "NETMEDIC-RENDER-MARK"
MARKER = "ip prefix-list %s seq 5 deny any" % MARKER_LIST

# Top-level lines the parser compares itself (see the module docstring).
_PARSER_KEPT_RE = re.compile(
    r"^(?:no )?(?:ip prefix-list|ipv6 prefix-list|access-list|ipv6 access-list|mac access-list|"
    r"bgp (?:large-|ext)?community-list|bgp as-path access-list|"
    r"log |debug |dump |agentx\b|ip forwarding\b|ipv6 forwarding\b)")
# What the throwaway instance prints about itself, not about the config.
_INSTANCE_LINE_RE = re.compile(r"^(?:no )?(?:ip forwarding|ipv6 forwarding)$|^hostname ")


class RenderError(Exception):
    """The throwaway instance could not render the config; ``str()`` says why (for the result)."""


@dataclasses.dataclass
class Split:
    """The intended text cut in two: what FRR renders, what the parser compares."""

    sent: str                 # to the throwaway instance (marker lines in place of parser-kept runs)
    kept: List[str]           # parser-kept top-level lines, as written
    sent_lines: int


def split(text: str) -> Split:
    """Cut ``text`` (see the module docstring).  Lines keep their order and indentation."""
    sent: List[str] = []
    kept: List[str] = []
    in_run = False
    for raw in text.splitlines():
        stripped = raw.strip()
        if not stripped or stripped[0] in "!#":
            sent.append(raw)
            continue
        if _PARSER_KEPT_RE.match(" ".join(stripped.split())):
            kept.append(stripped)
            if not in_run:
                sent.append(MARKER)
                in_run = True
            continue
        in_run = False
        sent.append(raw)
    body = [l for l in sent if l.strip() and l.strip()[0] not in "!#"]
    return Split("\n".join(sent) + "\n", kept, len(body))


def render_daemons(enabled: List[str], frr_lib: str = FRR_LIB) -> List[str]:
    """The daemons of the throwaway instance: zebra, mgmtd when installed (FRR 9 and later), the enabled ones,
    staticd last (frrinit.sh's order)."""
    middle = [d for d in enabled if d not in ("zebra", "staticd", "mgmtd", "watchfrr")]
    mgmtd = ["mgmtd"] if os.path.exists(os.path.join(frr_lib, "mgmtd")) else []
    return ["zebra"] + mgmtd + middle + ["staticd"]


def lib_dir(root: str = "/") -> str:
    """The FRR daemons' directory under ``root``."""
    return os.path.join(root or "/", FRR_LIB.lstrip("/"))


def run_base(root: str = "/") -> str:
    """Where the throwaway instance's runtime directory goes (beside the router's pathspaces)."""
    return run_dir(root, None)


def profile_of(running: Config) -> str:
    """The running FRR's ``frr defaults`` profile (printed at the top of show running-config)."""
    for e in running.entries[:20]:
        if not e.path and e.line.startswith("frr defaults "):
            name = e.line.split()[-1]
            if name in PROFILES:
                return name
    return "traditional"


@dataclasses.dataclass
class Rendered:
    config: Config                # the intended config in FRR's words (not normalised)
    seconds: Dict[str, float]     # start, load, show, total
    sent_lines: int


def render(text: str, daemons: List[str], profile: str = "traditional", runner: Optional[Runner] = None,
           vtysh: str = "vtysh", frr_lib: str = FRR_LIB, run_base: str = RUN_DIR, timeout: float = 300.0,
           python: Optional[str] = None, intended: Optional[Config] = None) -> Rendered:
    """The intended ``text`` (``intended``: as the parser read it) as the router's FRR prints it (see the
    module docstring).

    :raises RenderError: the throwaway instance could not render it.
    """
    if profile not in PROFILES:
        raise RenderError("unknown FRR defaults profile %r" % profile)
    if not os.access(os.path.join(frr_lib, "zebra"), os.X_OK):
        raise RenderError("FRR's daemons are not in %s" % frr_lib)
    parts = split(text)
    try:
        source = inspect.getsource(render_child)
    except (OSError, TypeError) as exc:
        raise RenderError("cannot read the renderer's source: %s" % exc)
    args = {"daemons": list(daemons), "profile": profile, "vtysh": vtysh, "frr_lib": frr_lib,
            "run_base": run_base, "start_timeout": 30, "load_timeout": max(30.0, timeout - 40)}
    try:
        res = (runner or Runner(timeout=timeout))([python or sys.executable, "-c", source, json.dumps(args)],
                                                  timeout=timeout, input=parts.sent)
    except CommandError as exc:
        raise RenderError("the throwaway FRR instance could not start: %s" % exc)
    if res.timed_out:
        raise RenderError("the throwaway FRR instance did not finish within %.0f s" % timeout)
    try:
        answer = json.loads(res.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise RenderError("the throwaway FRR instance printed no answer (%s)" % res.describe())
    if not isinstance(answer, dict):
        raise RenderError("the throwaway FRR instance printed %r" % (answer,))
    if answer.get("error"):
        raise RenderError(str(answer["error"]))
    if answer.get("errors"):
        first = answer["errors"][0]
        raise RenderError("FRR refused %d line(s) of the intended config in the throwaway instance, first: "
                          "line %s: %s" % (len(answer["errors"]), first.get("line"), first.get("error")))
    seconds = dict(answer.get("seconds") or {})
    seconds["total"] = round(res.duration, 3)
    rendered = parse(answer.get("running", ""), "rendered intended config")
    lost = lost_contexts(intended or parse(text, "intended config"), rendered)
    if lost:
        raise RenderError("the throwaway FRR instance lost %d context(s) of the intended config, first: %s"
                          % (len(lost), lost[0]))
    return Rendered(combine(rendered, parts.kept), seconds, parts.sent_lines)


# Contexts FRR prints even when they hold nothing: one missing from the rendering means the instance did not
# take the config (a daemon that did not get it), never that the line was a default.
# 'mpls ldp' and 'l2vpn': measured on 8.4.4, a throwaway ldpd printed nothing of FRR's own LDP/VPLS example
# (tests/corpus/frr/configs/44-frrdoc-ldp-vpls.conf) that the router's ldpd printed: an empty rendering was taken
# as the intended config and the reconcile refused ("no configuration lines").
_ALWAYS_PRINTED_KINDS = ("router", "route-map", "key-chain", "mpls-ldp", "l2vpn")


def lost_contexts(intended: Config, rendered: Config) -> List[str]:
    """Top-level contexts of ``intended`` (as the parser reads it) that FRR always prints but did not."""
    return [p[0] for p, kind in intended.kinds.items()
            if len(p) == 1 and kind in _ALWAYS_PRINTED_KINDS and p not in rendered.kinds]


def combine(rendered: Config, kept: List[str]) -> Config:
    """FRR's rendering without what it says about the instance itself, plus the parser-kept lines."""
    out = Config()
    kinds: Dict[Tuple[str, ...], str] = {}
    for e in rendered.entries:
        if not e.path and (_PARSER_KEPT_RE.match(e.line) or _INSTANCE_LINE_RE.match(e.line)):
            continue
        out.add(e)
        sub = e.path + (e.line,)
        if sub in rendered.kinds:
            kinds[sub] = rendered.kinds[sub]
    for line in kept:
        out.add(Entry((), " ".join(line.split())))
    out.kinds = kinds
    return out


def describe(mode: str, rendered: Optional[Rendered], error: Optional[str]) -> Dict[str, Any]:
    """What the result says about how the intended config was compared."""
    if mode == "parser":
        return {"compared_as": "parser"}
    if rendered is None and error is None:
        return {"compared_as": "parser", "render": "not needed (no difference)"}
    if rendered is None:
        return {"compared_as": "parser", "render_error": error}
    return {"compared_as": "frr", "render_seconds": rendered.seconds, "rendered_lines": rendered.sent_lines}
