# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Diffs for operators: one unified diff and one Ansible diff dict, for every area.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import difflib
from typing import Optional


def unified_diff(before: Optional[str], after: Optional[str], path: str, before_label: str = "before",
                 after_label: str = "after") -> str:
    """A unified diff of two versions of ``path`` ('' when equal); a missing final newline is marked."""
    a = (before or "").splitlines(True)
    b = (after or "").splitlines(True)
    lines = difflib.unified_diff(a, b, fromfile="%s (%s)" % (path, before_label), tofile="%s (%s)" % (path, after_label))
    out = []
    for line in lines:
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def ansible_diff(before: Optional[str], after: Optional[str], path: str) -> dict:
    """The dict Ansible's diff callback renders for a file (or a sysfs value, a running config)."""
    return {"before": before or "", "after": after or "", "before_header": path, "after_header": path}
