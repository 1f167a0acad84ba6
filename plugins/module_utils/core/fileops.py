# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rewrite configuration files without ever losing one.

:func:`write_atomic` writes a new version of a file next to it, fsyncs it,
gives it the old file's owner, group and mode, keeps a timestamped backup of
the old content and renames the new file into place: a crash at any moment
leaves either the old or the new file, never half of one.  Reading and writing
are byte-faithful: no newline translation (a CRLF file stays CRLF), and a path
that is a symlink has its target replaced, the link kept.  Diffs of the
before/after are core/diff.py's.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import tempfile
import time
from typing import Optional


class FileOpError(Exception):
    """A file could not be read or written; ``str()`` is for operators."""


def read_text(path: str, missing_ok: bool = False) -> Optional[str]:
    """Content of ``path`` as text, or None when absent and ``missing_ok``.

    ``newline=""``: line endings come back exactly as stored (universal-newline
    reading would turn CRLF into LF, and the rewrite would convert the file).
    """
    try:
        with open(path, "r", encoding="utf-8", newline="") as fh:
            return fh.read()
    except FileNotFoundError:
        if missing_ok:
            return None
        raise FileOpError("%s: no such file" % path) from None
    except UnicodeDecodeError as exc:
        raise FileOpError("%s: not UTF-8 text (%s)" % (path, exc.reason)) from None
    except OSError as exc:
        raise FileOpError("%s: cannot read: %s" % (path, exc.strerror)) from None


def read_text_or_none(path: str) -> Optional[str]:
    """Content of ``path`` as ``read_text`` gives it, or None when it is absent or cannot be read
    (an output file about to be replaced: compared with what would be written, never trusted)."""
    try:
        return read_text(path, missing_ok=True)
    except FileOpError:
        return None


def backup_path(path: str, now: Optional[float] = None, directory: Optional[str] = None) -> str:
    """``PATH.YYYYmmddTHHMMSS.netmedic.bak`` (a new name if that one exists).

    With ``directory`` the backup goes there instead of next to the file (for
    files in directories a program reads with a glob, such as ifupdown's
    ``source interfaces.d/*``, where a backup would be read as configuration).
    """
    stamp = time.strftime("%Y%m%dT%H%M%S", time.localtime(now if now is not None else time.time()))
    base = os.path.join(directory, os.path.basename(path)) if directory else path
    candidate = "%s.%s.netmedic.bak" % (base, stamp)
    n = 1
    while os.path.exists(candidate):
        candidate = "%s.%s-%d.netmedic.bak" % (base, stamp, n)
        n += 1
    return candidate


def write_atomic(path: str, content: str, backup: bool = True, mode: Optional[int] = None,
                 owner: Optional[int] = None, group: Optional[int] = None,
                 backup_dir: Optional[str] = None) -> Optional[str]:
    """Replace ``path`` with ``content`` atomically.  Returns the backup path (or None).

    An existing file keeps its owner, group and permission bits (unless given);
    a new file gets ``mode`` (default 0644) and the caller's owner.  The backup
    is a copy with the same metadata, made before the rename, next to the file
    or in ``backup_dir`` (each missing directory created mode 0700).  When
    ``path`` is a symlink its target is replaced and the link stays a link.
    """
    link, path = path, _link_target(path)
    directory = os.path.dirname(os.path.abspath(path)) or "."
    try:
        st = os.stat(path)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise FileOpError("%s: cannot stat: %s" % (path, exc.strerror)) from None
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise FileOpError("%s: not a regular file, refusing to replace it" % path)

    saved = None
    if backup and st is not None:
        try:
            if backup_dir:
                _private_dirs(backup_dir)
            saved = backup_path(link, directory=backup_dir)
            shutil.copy2(path, saved)
            os.chown(saved, st.st_uid, st.st_gid)
        except OSError as exc:
            raise FileOpError("%s: cannot write backup %s: %s" % (path, saved or backup_dir, exc.strerror)) from None

    fd, tmp = None, None
    try:
        fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), suffix=".netmedic.tmp", dir=directory)
        data = content.encode("utf-8")
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
        os.close(fd)
        fd = None
        if st is not None:
            os.chmod(tmp, stat.S_IMODE(st.st_mode) if mode is None else mode)
            os.chown(tmp, st.st_uid if owner is None else owner, st.st_gid if group is None else group)
        else:
            os.chmod(tmp, 0o644 if mode is None else mode)
            if owner is not None or group is not None:
                os.chown(tmp, -1 if owner is None else owner, -1 if group is None else group)
        os.replace(tmp, path)
        tmp = None
        _fsync_dir(directory)
    except OSError as exc:
        raise FileOpError("%s: cannot write: %s" % (path, exc.strerror or exc)) from None
    finally:
        if fd is not None:
            os.close(fd)
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
    return saved


def _link_target(path: str) -> str:
    """``path``, or the file a symlink at ``path`` finally points to (renaming over the link would replace it)."""
    if not os.path.islink(path):
        return path
    try:
        os.stat(path)
    except FileNotFoundError:
        raise FileOpError("%s: a symlink to %s, which does not exist; refusing to write through it"
                          % (path, os.readlink(path))) from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise FileOpError("%s: a symlink loop (too many levels of symbolic links)" % path) from None
        raise FileOpError("%s: cannot stat: %s" % (path, exc.strerror)) from None
    return os.path.realpath(path)


def _private_dirs(directory: str) -> None:
    """Create ``directory`` and its missing parents, each mode 0700 whatever the umask."""
    missing = []
    current = os.path.abspath(directory)
    while not os.path.isdir(current) and os.path.dirname(current) != current:
        missing.append(current)
        current = os.path.dirname(current)
    for new in reversed(missing):
        os.mkdir(new, 0o700)
        os.chmod(new, 0o700)


def _fsync_dir(directory: str) -> None:
    try:
        dfd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)
