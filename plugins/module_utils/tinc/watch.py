# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Watch a bridge port for a layer-2 storm, and read tinc's own view of its peers.

Storm signs (incident 001: hundreds of ARP packets a second through a tinc
port, the kernel logging "received packet on t3o with own address as source
address"):

- the packet rate on the port, from ``/sys/class/net/<if>/statistics``;
- the ARP rate on the port, counted by the kernel itself: an ``AF_PACKET``
  socket bound to the port with a BPF filter for ARP, never read; its
  ``PACKET_STATISTICS`` count every ARP frame seen in both directions,
  dropped or not, at no cost to us;
- the kernel's "own address as source address" message about the port, read
  from ``/dev/kmsg`` (only records newer than when we started).

tinc 1.0 has no control socket: ``SIGUSR1`` makes it log its connections and
``SIGUSR2`` its nodes, edges and subnets.  :class:`TincLog` reads those dumps
from its log file (``--logfile``) or, failing that, from the journal.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import dataclasses
import errno
import os
import re
import signal
import socket
import struct
import time
from typing import Any, Callable, Dict, List, Optional

from ansible_collections.netmedic.network.plugins.module_utils.core import procfs
from ansible_collections.netmedic.network.plugins.module_utils.core.runner import CommandError, Runner
from ansible_collections.netmedic.network.plugins.module_utils.core.sysfs import Sysfs

ETH_P_ARP = 0x0806
ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_STATISTICS = 6
OWN_ADDRESS_RE = re.compile(r"(?:(\S+): )?received packet on (\S+) with own address as source address")

# connection_status_t / node_status_t bits of tinc 1.0 (src/connection.h, src/node.h)
CONN_ACTIVE = 0x0002
NODE_REACHABLE = 0x0010


# ---------------------------------------------------------------- kernel log

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


def own_address_messages(records: List[KmsgRecord], port: str) -> List[KmsgRecord]:
    """Records saying a bridge received a frame from itself on ``port``."""
    out = []
    for rec in records:
        m = OWN_ADDRESS_RE.search(rec.message)
        if m and m.group(2) == port:
            out.append(rec)
    return out


def monotonic_now() -> float:
    return time.clock_gettime(time.CLOCK_MONOTONIC)


# ---------------------------------------------------------------- counters

COUNTERS = ("rx_packets", "tx_packets", "multicast", "rx_dropped", "tx_dropped")


def read_counters(sysfs: Sysfs, ifname: str) -> Dict[str, int]:
    return {name: sysfs.read_int("sys", "class", "net", ifname, "statistics", name, default=0) or 0
            for name in COUNTERS}


# Classic BPF: accept (64 bytes of) frames whose ethertype is ARP, drop the rest.
ARP_FILTER = ((0x28, 0, 0, 12),        # ldh [12]
              (0x15, 0, 1, ETH_P_ARP),  # jeq #0x806, accept, drop
              (0x06, 0, 0, 64),         # ret #64
              (0x06, 0, 0, 0))          # ret #0
SO_ATTACH_FILTER = 26


def _attach_filter(sock: socket.socket, program) -> None:
    import ctypes

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


@dataclasses.dataclass
class StormThresholds:
    arp_rate: float = 200.0        # ARP frames/s on the port
    packet_rate: float = 0.0       # rx+tx packets/s on the port; 0 = not used
    kernel_messages: int = 1       # "own address as source address" records about the port


@dataclasses.dataclass
class StormReport:
    port: str
    seconds: float = 0.0
    storm: bool = False
    reasons: List[str] = dataclasses.field(default_factory=list)
    max_arp_rate: float = 0.0
    max_packet_rate: float = 0.0
    arp_frames: int = 0
    packets: int = 0
    kernel_messages: List[str] = dataclasses.field(default_factory=list)
    samples: List[Dict[str, float]] = dataclasses.field(default_factory=list)
    notes: List[str] = dataclasses.field(default_factory=list)

    def to_dict(self) -> Dict[str, Any]:
        return dataclasses.asdict(self)

    def summary(self) -> str:
        return "%s over %.1f s: max %.0f ARP/s, max %.0f packets/s, %d kernel loop message(s)" % (
            self.port, self.seconds, self.max_arp_rate, self.max_packet_rate, len(self.kernel_messages))


def watch_storm(port: str, seconds: float, thresholds: StormThresholds, sysfs: Sysfs,
                kernel_log: Optional[KernelLog] = None, interval: float = 0.25, stop_on_storm: bool = True,
                clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
                arp_counter: Optional[ArpCounter] = None) -> StormReport:
    """Sample the port every ``interval`` seconds for ``seconds``; stop at the first storm sign.

    A sample over threshold is a storm: stopping early lets the caller take the
    port out of the bridge within a fraction of a second.
    """
    report = StormReport(port=port)
    arp = arp_counter or ArpCounter(port)
    if arp.error:
        report.notes.append(arp.error)
    if kernel_log is None:
        report.notes.append("kernel log not watched")
    elif kernel_log.error:
        report.notes.append("kernel log not readable: %s" % kernel_log.error)
    start = clock()
    last_t = start
    last_c = read_counters(sysfs, port)
    first_c = last_c
    first_arp = last_arp = arp.read()
    try:
        while True:
            now = clock()
            remaining = seconds - (now - start)
            if remaining <= 0:
                break
            sleep(min(interval, remaining))
            t = clock()
            c = read_counters(sysfs, port)
            a = arp.read()
            dt = max(t - last_t, 1e-6)
            pkts = (c["rx_packets"] - last_c["rx_packets"]) + (c["tx_packets"] - last_c["tx_packets"])
            sample = {"t": round(t - start, 3), "arp_rate": round((a - last_arp) / dt, 1),
                      "packet_rate": round(max(pkts, 0) / dt, 1)}
            report.samples.append(sample)
            report.max_arp_rate = max(report.max_arp_rate, sample["arp_rate"])
            report.max_packet_rate = max(report.max_packet_rate, sample["packet_rate"])
            if kernel_log is not None:
                for rec in own_address_messages(kernel_log.read(), port):
                    report.kernel_messages.append("[%.3f] %s" % (rec.seconds, rec.message))
            last_t, last_c, last_arp = t, c, a
            _judge(report, thresholds)
            if report.storm and stop_on_storm:
                break
    finally:
        report.seconds = round(clock() - start, 3)
        report.arp_frames = arp.read() - first_arp
        end_c = read_counters(sysfs, port)
        report.packets = max(0, end_c["rx_packets"] - first_c["rx_packets"]) + \
            max(0, end_c["tx_packets"] - first_c["tx_packets"])
        if arp_counter is None:
            arp.close()
    if len(report.samples) > 60:  # keep the evidence readable: first and last samples
        report.samples = report.samples[:30] + report.samples[-30:]
    return report


def _judge(report: StormReport, th: StormThresholds) -> None:
    reasons = []
    if th.arp_rate and report.max_arp_rate >= th.arp_rate:
        reasons.append("ARP rate on %s reached %.0f/s (threshold %.0f/s)"
                       % (report.port, report.max_arp_rate, th.arp_rate))
    if th.packet_rate and report.max_packet_rate >= th.packet_rate:
        reasons.append("packet rate on %s reached %.0f/s (threshold %.0f/s)" % (
            report.port, report.max_packet_rate, th.packet_rate))
    if th.kernel_messages and len(report.kernel_messages) >= th.kernel_messages:
        reasons.append("the kernel logged %d time(s) a frame with the bridge's own source address "
                       "received on %s (a loop)" % (len(report.kernel_messages), report.port))
    report.reasons = reasons
    report.storm = bool(reasons)


# ---------------------------------------------------------------- tinc's own view

@dataclasses.dataclass
class TincConnection:
    name: str
    address: str
    status: int

    @property
    def active(self) -> bool:
        return bool(self.status & CONN_ACTIVE)


@dataclasses.dataclass
class TincNode:
    name: str
    address: str
    status: int

    @property
    def reachable(self) -> bool:
        return bool(self.status & NODE_REACHABLE)


CONN_LINE_RE = re.compile(r"^\s*(\S+) at (.+?) options [0-9a-fA-F]+ socket -?\d+ status ([0-9a-fA-F]+)")
NODE_LINE_RE = re.compile(r"^\s*(\S+) at (.+?) cipher .*? status ([0-9a-fA-F]+)")


def _strip_log_prefix(line: str) -> str:
    # "2026-11-21 05:18:36 tinc.nmt[18350]: <message>" (logfile) or "<message>" (journal -o cat)
    m = re.match(r"^.*?tinc(?:\.[^\[\s]*)?\[\d+\]: ?(.*)$", line)
    return m.group(1) if m else line


def parse_dump(lines: List[str], begin: str, end: str) -> Optional[List[str]]:
    """Lines of the LAST complete ``begin`` ... ``end`` block, or None."""
    block: Optional[List[str]] = None
    current: Optional[List[str]] = None
    for raw in lines:
        line = _strip_log_prefix(raw.rstrip("\n"))
        if line.strip() == begin:
            current = []
        elif line.strip() == end:
            if current is not None:
                block = current
            current = None
        elif current is not None:
            current.append(line)
    return block


def parse_connections(lines: List[str]) -> Optional[List[TincConnection]]:
    block = parse_dump(lines, "Connections:", "End of connections.")
    if block is None:
        return None
    out = []
    for line in block:
        m = CONN_LINE_RE.match(line)
        if m:
            out.append(TincConnection(m.group(1), m.group(2), int(m.group(3), 16)))
    return out


def parse_nodes(lines: List[str]) -> Optional[List[TincNode]]:
    block = parse_dump(lines, "Nodes:", "End of nodes.")
    if block is None:
        return None
    out = []
    for line in block:
        m = NODE_LINE_RE.match(line)
        if m:
            out.append(TincNode(m.group(1), m.group(2), int(m.group(3), 16)))
    return out


# ---------------------------------------------------------------- sockets (no signals)

TCP_ESTABLISHED = "01"


def _hex_ip(hexaddr: str) -> Optional[str]:
    """``0100007F`` (/proc/net/tcp) -> ``127.0.0.1``; None when it is not a hex IPv4/IPv6 address."""
    try:
        raw = bytes.fromhex(hexaddr)
    except ValueError:
        return None
    if len(raw) == 4:
        return socket.inet_ntop(socket.AF_INET, raw[::-1])
    if len(raw) != 16:
        return None
    # /proc/net/tcp6: four little-endian 32-bit words
    words = b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
    addr = socket.inet_ntop(socket.AF_INET6, words)
    return addr[7:] if addr.startswith("::ffff:") and "." in addr else addr


def established_peers(pid: int, root: str = "/") -> List[str]:
    """Remote addresses of the ESTABLISHED TCP sockets (tinc's meta connections) of ``pid``.

    Read from /proc without signalling the daemon: tinc 1.0 logs from inside
    its signal handlers, so a signal that lands while it is logging can
    deadlock it (seen with SIGUSR1 during startup).
    """
    fd_dir = os.path.join(root, "proc", str(pid), "fd")
    inodes = set()
    try:
        for fd in os.listdir(fd_dir):
            try:
                target = os.readlink(os.path.join(fd_dir, fd))
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    except OSError:
        return []
    remotes = []
    for table in ("tcp", "tcp6"):
        try:
            with open(os.path.join(root, "proc", str(pid), "net", table), "r", encoding="ascii",
                      errors="replace") as fh:
                lines = fh.read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            f = line.split()
            if len(f) > 9 and f[3] == TCP_ESTABLISHED and f[9] in inodes:
                addr = _hex_ip(f[2].split(":")[0])
                if addr:
                    remotes.append(addr)
    return sorted(remotes)


def resolve_addresses(values: List[str]) -> List[str]:
    """IP addresses for tinc ``Address`` values (``host [port]``); names resolved, failures skipped."""
    out = []
    for value in values:
        host = value.split()[0] if value.split() else ""
        if not host:
            continue
        try:
            infos = socket.getaddrinfo(host, None, 0, socket.SOCK_STREAM)
        except (OSError, UnicodeError, ValueError):  # ValueError: a NUL in the name
            continue
        for info in infos:
            addr = info[4][0]
            if addr not in out:
                out.append(addr)
    return out


class TincLog:
    """New lines of a tinc daemon's log: its ``--logfile``, else the journal for its pid."""

    def __init__(self, runner: Runner, logfile: Optional[str] = None, ident: Optional[str] = None):
        self.runner = runner
        self.logfile = logfile
        self.ident = ident            # syslog identifier (tinc 1.0: ``tinc.NETNAME``) when the pid is unknown
        self.offset = 0
        self.since = time.time()
        self.error: Optional[str] = None
        if logfile:
            try:
                self.offset = os.path.getsize(logfile)
            except OSError:
                self.offset = 0

    def mark(self) -> None:
        """Only lines written after now count."""
        self.since = time.time()
        if self.logfile:
            try:
                self.offset = os.path.getsize(self.logfile)
            except OSError:
                self.offset = 0

    def new_lines(self, pid: Optional[int] = None) -> List[str]:
        if self.logfile:
            try:
                with open(self.logfile, "r", encoding="utf-8", errors="replace") as fh:
                    fh.seek(self.offset)
                    return fh.read().splitlines()
            except OSError as exc:
                self.error = "%s: %s" % (self.logfile, exc.strerror)
                return []
        if pid:
            match = "_PID=%d" % pid
        elif self.ident:
            match = "SYSLOG_IDENTIFIER=%s" % self.ident
        else:
            return []
        try:
            result = self.runner(["journalctl", "--no-pager", "-o", "cat", match,
                                  "--since", "@%d" % int(self.since - 1)], timeout=10)
        except CommandError as exc:
            self.error = "journal unavailable: %s" % exc
            return []
        if result.rc != 0:
            self.error = "journal unavailable: %s" % result.describe()
            return []
        return result.stdout.splitlines()


def log_tail(lines: List[str], count: int = 3) -> str:
    """The last ``count`` log messages, without timestamps, joined for an error message."""
    msgs = [_strip_log_prefix(ln).strip() for ln in lines if ln.strip()]
    return " | ".join(msgs[-count:])


def connection_view(log: TincLog, proc: procfs.ProcessInfo, settle: float = 0.02, tries: int = 10,
                    sleep: Callable[[float], None] = time.sleep, root: str = "/") -> Optional[List[TincConnection]]:
    """Ask the identified tincd (SIGUSR1) for its connections and read the dump; None when unreadable."""
    log.mark()
    if procfs.send_signal(proc, signal.SIGUSR1, root):
        return None
    for _attempt in range(tries):
        sleep(settle)
        conns = parse_connections(log.new_lines(proc.pid))
        if conns is not None:
            return conns
    return None
