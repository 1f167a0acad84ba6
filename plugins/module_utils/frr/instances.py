# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which FRR instances an audit looks at, whether FRR is meant to run there, and how findings name them.

Shared by the FRR and BGP audits (``frr_drift``, ``frr_settings``, ``bgp``),
which declare the options ``pathspaces`` (a list) and ``pathspace`` (one
name).  Nothing here imports the audit framework: an audit passes its own
``AUDIT`` (anything with ``option(ctx, key)``) and its context.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import os
from typing import Any, Callable, List, Optional

from ansible_collections.netmedic.network.plugins.module_utils.frr.paths import (
    check_pathspace, daemons_path, run_dir)

# The two options every FRR audit declares (with these descriptions).
PATHSPACES_HELP = "FRR pathspaces (frrinit.sh start NAME, vtysh -N NAME) to audit; default the host's own FRR"
PATHSPACE_HELP = "one FRR pathspace to audit (pathspaces wins when both are given)"


def pathspaces_option(pathspaces, pathspace=None) -> List[Optional[str]]:
    """The FRR instances from an audit's ``pathspaces`` (list) or ``pathspace`` (one) option.

    ``[None]`` (the default instance) when neither is given; ValueError on a bad name.
    """
    value = pathspaces if pathspaces else pathspace
    if not value:
        return [None]
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise ValueError("pathspaces must be a list of FRR pathspace names, not %r" % (value,))
    return [check_pathspace(p) if p else None for p in value]


def instances(audit: Any, ctx: Any) -> List[Optional[str]]:
    """The FRR instances ``audit`` looks at in ``ctx``: its ``pathspaces`` or ``pathspace`` option."""
    return pathspaces_option(audit.option(ctx, "pathspaces"), audit.option(ctx, "pathspace"))


def applies_to_any_instance(audit: Any, ctx: Any, applies_one: Callable[[Any, Optional[str]], bool]) -> bool:
    """True when ``applies_one(ctx, pathspace)`` holds for one of the audit's instances.

    A bad pathspace option counts as applicable, so that the audit's ``run()``
    reports it instead of the audit being silently skipped.
    """
    try:
        spaces = instances(audit, ctx)
    except ValueError:
        return True
    return any(applies_one(ctx, p) for p in spaces)


def meant_to_run(root: str, pathspace: Optional[str]) -> bool:
    """FRR is meant to run in this instance, not merely installed.

    True when there is a daemons file and either a pathspace was named, FRR has
    pid files, or systemd runs the host and the frr unit is enabled. Cheap: no
    command runs.
    """
    if not os.path.exists(daemons_path(root, pathspace)):
        return False
    if pathspace:
        return True
    run = run_dir(root, None)
    if any(os.path.exists(os.path.join(run, n)) for n in ("watchfrr.pid", "zebra.pid")):
        return True
    root = root or "/"
    if not os.path.isdir(os.path.join(root, "run/systemd/system")):
        return False
    wants = os.path.join(root, "etc/systemd/system")
    try:
        targets = [d for d in os.listdir(wants) if d.endswith(".wants")]
    except OSError:
        return False
    return any(os.path.exists(os.path.join(wants, d, "frr.service")) for d in targets)


def instance_subject(pathspace: Optional[str], what: str) -> str:
    """``what``, naming the pathspace when it is not the default FRR instance."""
    return "%s (pathspace %s)" % (what, pathspace) if pathspace else what
