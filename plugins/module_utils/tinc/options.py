# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What ``tinc_safe_restart`` is asked to do, checked before anything is looked at.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import dataclasses
import os
import stat
from typing import Any, Dict, List, Optional

from ansible_collections.netmedic.network.plugins.module_utils.core.params import SECONDS, SECONDS_OR_ZERO, range_errors
from ansible_collections.netmedic.network.plugins.module_utils.tinc.errors import TincStateError
from ansible_collections.netmedic.network.plugins.module_utils.tinc.names import (
    NETNAME_RE, host_or_address, valid_ifname, validate_netname)
from ansible_collections.netmedic.network.plugins.module_utils.tinc.storm import StormThresholds

MODES = ("restart", "reload")

# Every numeric option of tinc_safe_restart (module option names).  The module checks them with
# params.check_module_ranges first thing; RestartOptions.validate() checks them again for callers
# without Ansible: a NaN wait_timeout made every deadline comparison false (issue 11).
RANGES = {
    "wait_timeout": SECONDS,
    "stop_timeout": SECONDS,
    "storm_watch": SECONDS_OR_ZERO,
    "precheck": SECONDS_OR_ZERO,
    "capture_seconds": SECONDS_OR_ZERO,
    # A 100 Gbit/s port carries at most ~150 million frames/s: a higher threshold is a typo.
    "storm_arp_rate": (0.0, 1e9),
    "storm_packet_rate": (0.0, 1e9),
    # KernelLog.read() returns at most 100000 records a sample; more could never be reached.
    "storm_kernel_messages": (0, 100000),
    # tcpdump -c: bounded so a typo cannot fill the host's disk with one capture.
    "capture_packets": (1, 10000000),
}


@dataclasses.dataclass
class RestartOptions:
    netname: str
    mode: str = "restart"
    config_dir: Optional[str] = None
    pidfile: Optional[str] = None
    interface: Optional[str] = None
    bridge: Optional[str] = None
    service: str = "auto"
    tincd_command: List[str] = dataclasses.field(default_factory=list)
    peers: Optional[List[str]] = None        # None: the ConnectTo names of tinc.conf
    probe_addresses: List[str] = dataclasses.field(default_factory=list)
    tinc_dump: bool = True                   # confirm peers with one SIGUSR1 dump
    wait_timeout: float = 30.0
    stop_timeout: float = 10.0
    storm_watch: float = 5.0
    precheck: float = 0.5
    thresholds: StormThresholds = dataclasses.field(default_factory=StormThresholds)
    diagnostics_dir: Optional[str] = None
    capture_seconds: float = 0.0
    capture_packets: int = 20000
    root: str = "/"
    kmsg_path: str = "/dev/kmsg"

    def numbers(self) -> Dict[str, Any]:
        """The numeric options under their module names (the keys of :data:`RANGES`)."""
        th = self.thresholds
        return {"wait_timeout": self.wait_timeout, "stop_timeout": self.stop_timeout, "storm_watch": self.storm_watch,
                "precheck": self.precheck, "capture_seconds": self.capture_seconds,
                "storm_arp_rate": th.arp_rate, "storm_packet_rate": th.packet_rate,
                "storm_kernel_messages": th.kernel_messages, "capture_packets": self.capture_packets}

    def validate(self) -> None:
        """Every option checked before anything is looked at: a sentence naming the option, else nothing."""
        problems = range_errors(self.numbers(), RANGES)
        if self.mode not in MODES:
            problems.append("mode must be restart or reload, not %r" % (self.mode,))
        problems += self.name_problems() + self.path_problems()
        if problems:
            raise TincStateError("; ".join(problems))
        if self.capture_seconds and not self.diagnostics_dir:
            raise TincStateError("capture_seconds needs diagnostics_dir: the capture has to be written somewhere")

    def name_problems(self) -> List[str]:
        out = []
        try:
            validate_netname(self.netname)
        except TincStateError as exc:
            out.append(str(exc))
        for name in ("interface", "bridge"):
            value = getattr(self, name)
            if value is not None and not valid_ifname(value):
                out.append("%s %r is not a Linux interface name (1-15 bytes, no '/', ':', spaces or control "
                           "characters)" % (name, value))
        bad_peers = [p for p in (self.peers or []) if not isinstance(p, str) or not NETNAME_RE.match(p)]
        if bad_peers:
            out.append("peers must be tinc node names (letters, digits and _), not %s"
                       % ", ".join(repr(p) for p in bad_peers))
        bad_addrs = [a for a in self.probe_addresses if not host_or_address(a)]
        if bad_addrs:
            out.append("probe_addresses must be IP addresses or host names, not %s"
                       % ", ".join(repr(a) for a in bad_addrs))
        if self.tincd_command and any(not isinstance(a, str) or not a or "\0" in a for a in self.tincd_command):
            out.append("tincd_command must be a command line of non-empty arguments without NUL characters, "
                       "not %r" % (self.tincd_command,))
        return out

    def path_problems(self) -> List[str]:
        out = []
        for name, kind in (("config_dir", "dir"), ("pidfile", "file"), ("diagnostics_dir", "writable dir")):
            value = getattr(self, name)
            if value is None:
                continue
            problem = _path_problem(value, kind)
            if problem:
                out.append("%s %r %s" % (name, value, problem))
        return out


def _path_problem(path: Any, kind: str) -> Optional[str]:
    """Why ``path`` cannot be the directory/regular file an option names (a missing one is fine)."""
    if not isinstance(path, str) or not path.strip():
        return "must be a non-empty path"
    if "\0" in path:
        return "contains a NUL character"
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return "cannot be looked at: %s" % exc.strerror
    if kind == "dir" and not stat.S_ISDIR(st.st_mode):
        return "is not a directory"
    if kind == "writable dir" and not (stat.S_ISDIR(st.st_mode) and os.access(path, os.W_OK | os.X_OK)):
        return "is not a writable directory"
    if kind == "file" and not stat.S_ISREG(st.st_mode):
        return "is a directory" if stat.S_ISDIR(st.st_mode) else "is not a regular file"
    return None
