# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The systemd unit ``tinc@NET``: is systemd running, the unit's state and its MainPID.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import os
from typing import Dict, Optional

from ansible_collections.netmedic.network.plugins.module_utils.core.runner import CommandError, Runner


def unit_of(netname: str) -> str:
    return "tinc@%s.service" % netname


def systemd_running(root: str = "/") -> bool:
    return os.path.isdir(os.path.join(root, "run", "systemd", "system"))


def systemd_props(runner: Runner, unit: str) -> Dict[str, str]:
    """``systemctl show`` of a unit's state ({} when systemctl is absent or fails)."""
    try:
        result = runner(["systemctl", "show", "-p", "ActiveState", "-p", "SubState", "-p", "MainPID", "-p",
                         "LoadState", unit], timeout=10)
    except CommandError:
        return {}
    if result.rc != 0:
        return {}
    return dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)


def systemd_main_pid(runner: Runner, unit: str, props: Optional[Dict[str, str]] = None) -> Optional[int]:
    """MainPID of an *active* unit, else None (systemctl absent or unit inactive)."""
    props = systemd_props(runner, unit) if props is None else props
    if props.get("ActiveState") not in ("active", "reloading", "activating"):
        return None
    try:
        pid = int(props.get("MainPID", "0"))
    except ValueError:
        return None
    return pid or None
