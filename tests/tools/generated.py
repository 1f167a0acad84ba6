# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write a generated file, or with ``check`` say whether it is out of date (role_docs.py, audit_docs.py)."""

from __future__ import annotations

import sys


def write_or_check(path: str, text: str, check: bool, tool: str) -> int:
    """0 when ``path`` holds ``text`` (written unless ``check``), 1 when ``check`` finds it out of date."""
    try:
        with open(path, encoding="utf-8") as fh:
            current = fh.read()
    except FileNotFoundError:
        current = None
    if current == text:
        return 0
    if check:
        print("%s is out of date: run .venv/bin/python %s" % (path, tool), file=sys.stderr)
        return 1
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    print("wrote %s" % path)
    return 0
