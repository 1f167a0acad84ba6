# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # The options every fix module with rollback shares (plugins/module_utils/core/rollback.py, docs/rollback.md).
    DOCUMENTATION = r"""
options:
  rollback_window:
    description:
      - With O(rollback=true), the most seconds the health is watched after the change (and, after an undo, the
        most seconds it is watched coming back). A finite number between 0.001 and 86400.
    type: float
    default: 60
  rollback_settle:
    description:
      - With O(rollback=true), how many seconds the health must hold (everything that was up before is up) before
        the change is trusted and the watch ends early. A good change costs this long, not the whole window.
      - At or above O(rollback_window), the whole window is watched. Between 0 and 86400.
    type: float
    default: 5
"""
