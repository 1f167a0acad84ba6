# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The kernel log (``/dev/kmsg``) and its loop message about a bridge port.

Incident 001: the kernel logged "received packet on t3o with own address as
source address" while a frame sent by the bridge came back to it through the
tinc port.  The bridge logs that message through ``net_ratelimit()``, shared
by all network messages of the kernel: at most 10 per 5 s (net.core.
message_burst / message_cost), and any port of the bridge may use them up.
A record that was never printed cannot be read here.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import dataclasses
import errno
import os
import re
import time
from typing import List, Optional

OWN_ADDRESS_RE = re.compile(r"(?:(\S+): )?received packet on (\S+) with own address as source address")


@dataclasses.dataclass
class KmsgRecord:
    seconds: float      # kernel monotonic time of the record
    message: str


def parse_kmsg(raw: str) -> Optional[KmsgRecord]:
    """One ``/dev/kmsg`` record: ``PRI,SEQ,USEC,FLAGS;MESSAGE``."""
    head, sep, msg = raw.partition(";")
    if not sep:
        return None
    fields = head.split(",")
    try:
        seconds = int(fields[2]) / 1e6
    except (IndexError, ValueError, OverflowError):  # OverflowError: a number too big for a float
        return None
    return KmsgRecord(seconds, msg.split("\n", 1)[0])


class KernelLog:
    """Kernel log records, from now on (``since_now=True``) or the whole ring buffer.

    Unreadable ``/dev/kmsg`` (containers, no privilege) is not an error:
    ``error`` says why and :meth:`read` returns nothing.
    """

    def __init__(self, path: str = "/dev/kmsg", since_now: bool = True):
        self.path = path
        self.error: Optional[str] = None
        self.fd: Optional[int] = None
        try:
            self.fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
            if since_now:
                os.lseek(self.fd, 0, os.SEEK_END)
        except OSError as exc:
            self.error = "%s: %s" % (path, exc.strerror)
            self.close()

    def read(self, limit: int = 100000) -> List[KmsgRecord]:
        records: List[KmsgRecord] = []
        while self.fd is not None and len(records) < limit:
            try:
                data = os.read(self.fd, 8192)
            except BlockingIOError:
                break
            except OSError as exc:
                if exc.errno == errno.EPIPE:  # records overwritten while we read: go on
                    continue
                self.error = "%s: %s" % (self.path, exc.strerror)
                break
            if not data:
                break
            rec = parse_kmsg(data.decode("utf-8", "replace"))
            if rec:
                records.append(rec)
        return records

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def monotonic_now() -> float:
    return time.clock_gettime(time.CLOCK_MONOTONIC)


def recent_records(path: str, window: float) -> List[KmsgRecord]:
    """The records of the last ``window`` seconds of the kernel log at ``path`` ([] when unreadable).

    Record times come from the kernel's local clock, which CLOCK_MONOTONIC
    follows (measured on the lab kernel 6.18: 2.5 ms apart after an hour).
    """
    klog = KernelLog(path, since_now=False)
    try:
        now = monotonic_now()
        return [r for r in klog.read() if r.seconds >= now - window]
    finally:
        klog.close()


def own_address_messages(records: List[KmsgRecord], port: str) -> List[KmsgRecord]:
    """Records saying a bridge received a frame from itself on ``port``."""
    out = []
    for rec in records:
        m = OWN_ADDRESS_RE.search(rec.message)
        if m and m.group(2) == port:
            out.append(rec)
    return out
