# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read and write kernel attributes under a configurable root.

Every path is relative to ``root`` (``/`` on a host, a temporary tree in
tests), so code that reads ``/sys/class/net/bond0/bonding/arp_validate`` can be
tested on a machine without the bonding driver.

Writes use a single ``os.write``: sysfs handlers act on each write call, and a
buffered text file may retry a refused value (seen: two "invalid value"
kernel messages for one Python ``write``).

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import errno
import os
from typing import List, Optional


class SysfsError(Exception):
    """A kernel attribute could not be read or was refused; ``str()`` is for operators."""

    def __init__(self, message: str, errno_: Optional[int] = None):
        super().__init__(message)
        self.errno = errno_


class Sysfs:
    def __init__(self, root: str = "/"):
        self.root = root or "/"

    def path(self, *parts: str) -> str:
        rel = os.path.join(*parts).lstrip("/")
        return os.path.join(self.root, rel)

    def exists(self, *parts: str) -> bool:
        return os.path.exists(self.path(*parts))

    def read(self, *parts: str, default: Optional[str] = None) -> Optional[str]:
        """The attribute's value, stripped; ``default`` when it does not exist."""
        p = self.path(*parts)
        try:
            with open(p, "r", encoding="utf-8", errors="replace") as fh:
                return fh.read().strip()
        except FileNotFoundError:
            return default
        except OSError as exc:
            if exc.errno in (errno.EINVAL, errno.EOPNOTSUPP, errno.ENODEV):
                # e.g. reading 'speed' of a down link: the attribute exists but has no value
                return default
            raise SysfsError("%s: cannot read: %s" % (p, exc.strerror), exc.errno) from None

    def read_int(self, *parts: str, default: Optional[int] = None) -> Optional[int]:
        value = self.read(*parts)
        if value is None or value == "":
            return default
        try:
            return int(value.split()[0])
        except ValueError:
            return default

    def write(self, value: str, *parts: str) -> None:
        """Write ``value`` in one ``os.write``; a refusal raises SysfsError with the kernel's errno."""
        p = self.path(*parts)
        data = value.encode("utf-8")
        try:
            fd = os.open(p, os.O_WRONLY | os.O_TRUNC)  # O_TRUNC: harmless on sysfs, needed for test trees
        except OSError as exc:
            raise SysfsError("%s: cannot open for writing: %s" % (p, exc.strerror), exc.errno) from None
        try:
            os.write(fd, data)
        except OSError as exc:
            raise SysfsError("%s: the kernel refused %r: %s" % (p, value, exc.strerror), exc.errno) from None
        finally:
            os.close(fd)

    def listdir(self, *parts: str) -> List[str]:
        try:
            return sorted(os.listdir(self.path(*parts)))
        except (FileNotFoundError, NotADirectoryError):
            return []

    def net_devices(self) -> List[str]:
        return self.listdir("sys", "class", "net")
