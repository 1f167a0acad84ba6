# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What is counted on a bridge port: packets (sysfs statistics) and ARP frames (a packet socket).

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import socket
import struct
from typing import Dict, Optional

from ansible_collections.netmedic.network.plugins.module_utils.core.sysfs import Sysfs

try:
    import ctypes
except ImportError:  # a Python built without libffi: ARP is not counted, the rest works
    ctypes = None

ETH_P_ARP = 0x0806
ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_STATISTICS = 6
SO_ATTACH_FILTER = 26

COUNTERS = ("rx_packets", "tx_packets", "multicast", "rx_dropped", "tx_dropped")

# Classic BPF: accept (64 bytes of) frames whose ethertype is ARP, drop the rest.
ARP_FILTER = ((0x28, 0, 0, 12),        # ldh [12]
              (0x15, 0, 1, ETH_P_ARP),  # jeq #0x806, accept, drop
              (0x06, 0, 0, 64),         # ret #64
              (0x06, 0, 0, 0))          # ret #0


def read_counters(sysfs: Sysfs, ifname: str) -> Dict[str, int]:
    return {name: sysfs.read_int("sys", "class", "net", ifname, "statistics", name, default=0) or 0
            for name in COUNTERS}


def _attach_filter(sock: socket.socket, program) -> None:
    if ctypes is None:
        raise ImportError("this Python has no ctypes")

    class SockFilter(ctypes.Structure):
        _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8),
                    ("k", ctypes.c_uint32)]

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(SockFilter))]

    insns = (SockFilter * len(program))(*[SockFilter(*i) for i in program])
    prog = SockFprog(len(program), insns)
    sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, bytes(memoryview(prog)))


class ArpCounter:
    """Counts ARP frames on one interface with the kernel's packet-socket statistics.

    A bridge port hands its frames to the bridge before protocol handlers see
    them, so the socket listens to every protocol (``ETH_P_ALL``, which sees
    both directions) with an in-kernel BPF filter keeping only ARP.  The
    socket is never read: the kernel counts each matching frame (queued or
    dropped) in ``tp_packets``; a tiny receive buffer keeps memory flat during
    a storm.  VLAN-tagged ARP is not counted.
    """

    def __init__(self, ifname: str):
        self.ifname = ifname
        self.error: Optional[str] = None
        self.total = 0
        self.sock: Optional[socket.socket] = None
        try:
            self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)  # no traffic until bound
            _attach_filter(self.sock, ARP_FILTER)
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            self.sock.bind((ifname, ETH_P_ALL))
            self.read()  # drop anything counted before the filter was in place
            self.total = 0
        except (OSError, AttributeError, ImportError) as exc:
            self.error = "cannot count ARP on %s: %s" % (ifname, getattr(exc, "strerror", None) or exc)
            self.close()

    def read(self) -> int:
        """ARP frames seen since the socket was opened."""
        if self.sock is not None:
            try:
                raw = self.sock.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8)
                packets, _drops = struct.unpack("II", raw)  # packets already includes drops
                self.total += packets                        # reading resets the kernel's counters
            except OSError as exc:
                self.error = "cannot read ARP count on %s: %s" % (self.ifname, exc.strerror)
                self.close()
        return self.total

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None
