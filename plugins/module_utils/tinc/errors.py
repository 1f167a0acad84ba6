# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The two errors of the tinc area; ``str()`` of each is a sentence for operators.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations


class TincStateError(Exception):
    """The tinc network cannot be inspected (or restarted) as asked: nothing was touched."""


class RestartFailed(Exception):
    """The restart sequence stopped part-way; ``str()`` says why (the report says what was left)."""
