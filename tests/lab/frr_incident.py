# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Generated FRR configurations for incident 000 replays, tests and benchmarks.

:func:`incident_config` writes an edge router's frr.conf of about ``lines``
lines: OSPF interface costs, a BGP peer-group and neighbours with route-maps
in and out, prefix-lists (most of the lines, many lists of ``per_list``
entries, like per-peer filters), community-lists with and without ``seq``,
and the route-maps that use them, in the order FRR prints them: lists, then
route-maps.  A push killed half-way (incident 000) loses the route-maps,
the community-lists and the tail of the prefix-lists, as on the incident's
router.

:func:`frr_reload_residue` runs FRR's own ``frr-reload.py --test`` and
returns the differences it still sees, minus its documented never-converging
noise (the correctness oracle of the integration tests).

Test code (not shipped).
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Dict, List, Optional, Tuple

import frrhost

FRR_RELOAD = "/usr/lib/frr/frr-reload.py"


def incident_config(lines: int = 2000, per_list: int = 50, neighbors: int = 8, interfaces: Tuple[str, ...] = ("lo",),
                    asn: int = 65001) -> str:
    """An frr.conf of roughly ``lines`` lines, in the order FRR prints it."""
    out: List[str] = ["frr defaults traditional", "hostname edge1", "!"]
    for i, ifname in enumerate(interfaces):
        out += ["interface %s" % ifname, " ip ospf cost %d" % (100 + i), "exit", "!"]
    out += ["router bgp %d" % asn, " bgp router-id 10.255.0.1", " no bgp ebgp-requires-policy",
            " neighbor TRANSIT peer-group", " neighbor TRANSIT remote-as external"]
    for n in range(neighbors):
        out.append(" neighbor 198.51.100.%d peer-group TRANSIT" % (n + 1))
    out += [" !", " address-family ipv4 unicast", "  network 10.0.0.0/8",
            "  neighbor TRANSIT route-map TRANSIT-IN in", "  neighbor TRANSIT route-map TRANSIT-OUT out"]
    for n in range(neighbors):
        out.append("  neighbor 198.51.100.%d prefix-list PEER%d-IN in" % (n + 1, n))
    out += [" exit-address-family", "exit", "!",
            "router ospf", " ospf router-id 10.255.0.1", " network 10.0.0.0/8 area 0", "exit", "!"]
    fixed_tail = 40
    budget = max(lines - len(out) - fixed_tail, neighbors * 2)
    n_lists = max(neighbors, budget // per_list)
    k = 0
    for li in range(n_lists):
        name = "PEER%d-IN" % li
        for j in range(per_list):
            if k >= budget:
                break
            out.append("ip prefix-list %s seq %d permit 10.%d.%d.0/24" % (name, (j + 1) * 5, (k >> 8) & 255, k & 255))
            k += 1
        if k >= budget:
            break
    out += ["ip prefix-list MARTIANS seq 5 deny 0.0.0.0/8 le 32", "ip prefix-list MARTIANS seq 10 deny 127.0.0.0/8 le 32",
            "ip prefix-list MARTIANS seq 15 permit any", "!",
            "bgp community-list standard BLACKHOLE seq 5 permit 65535:666",
            "bgp community-list standard CUSTOMER permit 65001:100",
            "bgp community-list standard CUSTOMER permit 65001:200",
            "bgp community-list expanded PRIVATE seq 10 permit ^6451[2-9]:", "!",
            "route-map TRANSIT-IN deny 5", " match ip address prefix-list MARTIANS", "exit", "!",
            "route-map TRANSIT-IN permit 10", " match community CUSTOMER", " set local-preference 200", "exit", "!",
            "route-map TRANSIT-IN permit 20", " set local-preference 100", "exit", "!",
            "route-map TRANSIT-OUT permit 10", " match community BLACKHOLE", " set community no-export additive",
            "exit", "!", "route-map TRANSIT-OUT deny 100", "exit", "!", "line vty", "exit", "!", "end"]
    return "\n".join(out) + "\n"


def truncate(text: str, keep: float) -> str:
    """The first ``keep`` (0..1) of the lines: what a killed ``vtysh -b`` had pushed."""
    lines = text.splitlines(True)
    return "".join(lines[: int(len(lines) * keep)])


# ---------------------------------------------------------------- frr-reload.py oracle

def frr_reload(pathspace: str, conf_path: str, mode: str = "--test", timeout: float = 900,
               machine: Optional[frrhost.Machine] = None) -> subprocess.CompletedProcess:
    """FRR's own frr-reload.py of ``machine`` (default this host), with that machine's python3."""
    m = machine or frrhost.local()
    return m.run([m.python, FRR_RELOAD, mode, "--stdout", "--pathspace", pathspace, conf_path], timeout=timeout,
                 check=False)


def parse_reload_test(stdout: str) -> Dict[str, str]:
    """The 'Lines To Delete' and 'Lines To Add' sections of ``frr-reload.py --test``."""
    sections = {"delete": [], "add": []}
    current = None
    for line in stdout.splitlines():
        if line.startswith("Lines To Delete"):
            current = "delete"
            continue
        if line.startswith("Lines To Add"):
            current = "add"
            continue
        if current and line.startswith("====="):
            continue
        if current and not line.startswith(("20", "[")) and line.strip():
            sections[current].append(line)
    return {k: "\n".join(v) + "\n" for k, v in sections.items()}


# What frr-reload.py reports forever (documented in frr_config.NORMALISATIONS).
def _is_noise(op: str, path: Tuple[str, ...], line: str, other: set, defaults: frozenset) -> bool:
    from ansible_collections.netmedic.network.plugins.module_utils.frr.config import list_entry
    if not path and line.startswith(("hostname ", "no hostname ", "frr version ")):
        # (``frr version X`` of a config written on another FRR: a comment to FRR, printed by frr-reload.py)
        return True
    if not path and line in ("ip forwarding", "ipv6 forwarding", "no ip forwarding", "no ipv6 forwarding"):
        return True
    bare = line[3:] if line.startswith("no ") else line
    le = list_entry(bare)
    if le is not None and not path:
        # the same entry with and without seq on the two sides
        return ("seqless", le.head, le.rest) in other
    if path and path[0].startswith("interface ") and line == "no ip ospf passive" and op == "delete":
        return ("passive", path[0].split(" ", 1)[1]) in other
    if path == ("router ospf",) and line.startswith("passive-interface ") and op == "add":
        return True
    if len(path) == 2 and path[1] == "address-family ipv4 unicast" and line.endswith(" activate"):
        return True
    if op == "add" and len(path) <= 1 and line in defaults:
        return True  # FRR does not print a line that sets the default value
    return False


def frr_reload_residue(pathspace: str, conf_path: str, machine: Optional[frrhost.Machine] = None) -> List[str]:
    """What ``frr-reload.py --test`` (of ``machine``'s FRR) still wants to change, without its known noise."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                                    "build", "dev"))
    from ansible_collections.netmedic.network.plugins.module_utils.frr.config import default_lines, list_entry, parse
    from ansible_collections.netmedic.network.plugins.module_utils.frr import version as frr_version
    m = machine or frrhost.local()
    defaults = {line for _kind, line in default_lines(frr_version.parse("frr version " + m.frr_version()))}
    proc = frr_reload(pathspace, conf_path, machine=m)
    if proc.returncode != 0 or "Traceback" in proc.stderr:
        raise RuntimeError("frr-reload.py --test failed (%d): %s" % (proc.returncode, (proc.stderr or proc.stdout)[-800:]))
    sections = parse_reload_test(proc.stdout)
    parsed = {op: parse(text, "frr-reload %s" % op) for op, text in sections.items()}
    other = set()
    for op, cfg in parsed.items():
        for e in cfg.entries:
            bare = e.line[3:] if e.line.startswith("no ") else e.line
            le = list_entry(bare)
            if le is not None and not e.path and (le.seq is None) != (op == "delete"):
                other.add(("seqless", le.head, le.rest))
            if e.path == ("router ospf",) and e.line.startswith("passive-interface "):
                other.add(("passive", e.line.split(" ", 1)[1]))
    # the same line on both sides once well-known communities are named: noise
    from ansible_collections.netmedic.network.plugins.module_utils.frr.config import WELL_KNOWN_COMMUNITIES

    def canon(path, line):
        line = line[3:] if line.startswith("no ") else line
        return path, " ".join(WELL_KNOWN_COMMUNITIES.get(w, w) for w in line.split(" "))
    removed, added = set(), set()
    for op, cfg in parsed.items():
        for e in cfg.entries:
            (removed if op == "delete" or e.line.startswith("no ") else added).add(canon(e.path, e.line))
    both = removed & added
    residue = []
    for op, cfg in parsed.items():
        parents = {e.path for e in cfg.entries}
        for e in cfg.entries:
            sub = e.path + (e.line,)
            if sub in cfg.kinds:
                # a context line: only a difference if it has nothing under it AND is not an
                # empty context FRR does not print (address-family, line vty...)
                if any(p[:len(sub)] == sub for p in parents):
                    continue
                if cfg.kinds[sub] in ("address-family", "line", "interface", "vrf"):
                    continue
            if _is_noise(op, e.path, e.line, other, defaults) or (canon(e.path, e.line) in both and sub not in cfg.kinds):
                continue
            residue.append("%s %s" % ("-" if op == "delete" else "+", " > ".join(sub)))
    return residue
