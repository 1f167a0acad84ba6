# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compare an intended FRR config with the running one, in the words the running FRR prints.

The one comparison of the reconciler (``frr_reconcile``: its plan and its
``remaining``) and of the drift audit (``frr_drift``):

1. both texts are parsed and normalised (:mod:`frr.config`) and compared
   (:mod:`frr.plan`): no difference means the router runs the intended config,
   and nothing else runs;
2. only when there is a difference, and with ``mode="frr"`` (the default),
   the intended config is rendered by a throwaway instance of the router's own
   FRR (:mod:`frr.render`) and compared again: what is left is a difference FRR
   itself would see.  When the instance cannot run, the parser's comparison
   stands and the result says why.

The running FRR's version (its ``frr version`` line) chooses the default
lines the parser drops (:mod:`frr.version`).

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Dict, List, Optional

from ansible_collections.netmedic.network.plugins.module_utils.core.runner import Runner
from ansible_collections.netmedic.network.plugins.module_utils.frr import render, version as frr_version
from ansible_collections.netmedic.network.plugins.module_utils.frr.config import Config, parse, running_version
from ansible_collections.netmedic.network.plugins.module_utils.frr.daemon_argv import DaemonsFileError
from ansible_collections.netmedic.network.plugins.module_utils.frr.daemons_file import (
    enabled_daemons, parse_assignments)
from ansible_collections.netmedic.network.plugins.module_utils.frr.files import UnreadableFile, read_frr_file
from ansible_collections.netmedic.network.plugins.module_utils.frr.paths import daemons_path, has_mgmtd
from ansible_collections.netmedic.network.plugins.module_utils.frr.plan import Plan, no_gc, compute_parsed


@dataclasses.dataclass
class Comparison:
    plan: Plan
    intended: Config                    # as compared: FRR's rendering when rendered, else as written (parsed)
    running: Config                     # the running config as parsed (not normalised)
    version: Optional[frr_version.Version]
    how: Dict[str, Any]                 # compared_as, render_seconds / render_error (for the result)

    def again(self, running_text: str) -> Plan:
        """The same intended config against a new running config (what remains after applying)."""
        return compute_parsed(self.intended, parse(running_text, "running config"))


# The audits' option (frr_drift, frr_settings): one description for both.
RENDER_HELP = ("how the configs are compared when they differ: frr (a throwaway instance of the router's FRR, in a "
               "private network namespace, renders frr.conf in FRR's own words) or parser (as written)")


def instance_daemons(root: str, pathspace: Optional[str]) -> List[str]:
    """The daemons an instance's daemons file enables (with mgmtd where FRR has it); [] when unreadable."""
    try:
        text = read_frr_file(daemons_path(root, pathspace), lenient=True)
        return enabled_daemons(parse_assignments(text), mgmtd=has_mgmtd(root))
    except (UnreadableFile, DaemonsFileError):
        return []


def compare(intended_text: str, running_text: str, source: str = "intended config", mode: str = "frr",
            daemons: Optional[List[str]] = None, runner: Optional[Runner] = None, vtysh: str = "vtysh",
            root: str = "/", render_timeout: float = 300.0) -> Comparison:
    """Compare (see the module docstring).  Raises FrrConfigError on text that is not an FRR config.

    :param daemons: the daemons the router runs (enabled in its daemons file): the throwaway
        instance runs the same ones.
    """
    if mode not in render.MODES:
        raise ValueError("unknown comparison mode %r" % (mode,))
    with no_gc():
        intended = parse(intended_text, source)
        running = parse(running_text, "running config")
    p = compute_parsed(intended, running)
    found = running_version(running)
    if p.empty or mode == "parser":
        how = render.describe(mode, None, None)
        return Comparison(p, intended, running, found, how)
    frr_lib = render.lib_dir(root)
    try:
        rendered = render.render(intended_text, render.render_daemons(daemons or [], frr_lib),
                                 render.profile_of(running), runner=runner, vtysh=vtysh, frr_lib=frr_lib,
                                 run_base=render.run_base(root), timeout=render_timeout, intended=intended)
    except render.RenderError as exc:
        return Comparison(p, intended, running, found, render.describe(mode, None, str(exc)))
    return Comparison(compute_parsed(rendered.config, running), rendered.config, running, found,
                      render.describe(mode, rendered, None))
