# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read FRR's text files (``daemons``, ``frr.conf``): the one reader every FRR caller uses.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import errno
import os
import stat


class UnreadableFile(ValueError):
    """A configuration file cannot be read as text; ``str()`` says why, for operators.

    ``reason`` is the short cause (the OS's words where it has some, such as
    ``No such file or directory``); ``missing`` is True when there is no such
    file (or only a dangling symlink).
    """

    def __init__(self, message: str, path: str, reason: str, missing: bool = False):
        super().__init__(message)
        self.path = path
        self.reason = reason
        self.missing = missing


def read_frr_file(path: str, lenient: bool = False) -> str:
    """The text of one of FRR's files, every byte kept (CRLF included).

    A symlink is followed (and an edit goes to its target).  Only UTF-8 is
    accepted: FRR's files are ASCII, and a file in another encoding could not
    be written back byte for byte.  ``lenient=True`` turns bytes that are not
    UTF-8 into U+FFFD instead, for callers that only read (an audit must not
    give up on a daemons file over an accented comment); such text must never
    be written back.

    Raises :class:`UnreadableFile`: no such file (or a dangling symlink), a
    directory, not a regular file (a FIFO would block the reader), not UTF-8
    (with the offset of the first bad byte), or the reason the OS gives; the
    message starts with the path.
    """
    try:
        st = os.stat(path)
        data = None if not stat.S_ISREG(st.st_mode) else _read_bytes(path)
    except FileNotFoundError as exc:
        dangling = " (a dangling symlink)" if os.path.islink(path) else ""
        raise UnreadableFile("%s does not exist%s" % (path, dangling), path, exc.strerror or "does not exist",
                             missing=True) from None
    except (OSError, ValueError) as exc:   # ValueError: a NUL byte in the path
        reason = getattr(exc, "strerror", None) or str(exc)
        raise UnreadableFile("%s cannot be read: %s" % (path, reason), path, reason) from None
    if stat.S_ISDIR(st.st_mode):
        raise UnreadableFile("%s is a directory, not a file" % path, path, os.strerror(errno.EISDIR))
    if data is None:
        raise UnreadableFile("%s is not a regular file" % path, path, "not a regular file")
    try:
        return data.decode("utf-8", "replace" if lenient else "strict")
    except UnicodeDecodeError as exc:
        raise UnreadableFile("%s is not UTF-8 text (byte 0x%02x at offset %d)" % (path, data[exc.start], exc.start),
                             path, "not UTF-8 text") from None


def _read_bytes(path: str) -> bytes:
    with open(path, "rb") as fh:
        return fh.read()
