# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Audit tinc networks bridged into Linux bridges (incident 001).

For every ``/etc/tinc/NET/tinc.conf``:

- NM-TINC-001: the tinc port is in a bridge with STP off (nothing stops a loop);
- NM-TINC-002: the kernel logged "received packet on PORT with own address as
  source address" recently (a frame came back to the bridge that sent it);
- NM-TINC-003: the ARP rate on the tinc port is over a threshold right now;
- NM-TINC-004: tincd is not running although its port is expected in a bridge;
- NM-TINC-005: tincd runs but its port is missing from the bridge it belongs in.

The bridge a port "belongs in" is the one it is in, else the one ``tinc-up``
enslaves it to (``ip link set ... master BR`` / ``brctl addif BR ...``), else
one whose ``bridge_ports`` in ``/etc/network/interfaces`` names it.

Options (``preflight`` ``options: {tinc: {...}}``): see ``AUDIT.options`` below,
each with its default and a one-line description.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import glob
import os
import time
from typing import Dict, List, Optional

from ansible_collections.netmedic.network.plugins.module_utils.core.audit import Audit, AuditContext, Option, number
from ansible_collections.netmedic.network.plugins.module_utils.core.findings import CRITICAL, WARNING, Finding, Fix
from ansible_collections.netmedic.network.plugins.module_utils.core.params import SECONDS_OR_ZERO, range_errors
from ansible_collections.netmedic.network.plugins.module_utils.tinc.conf import tinc_up_bridge
from ansible_collections.netmedic.network.plugins.module_utils.tinc.counters import ArpCounter
from ansible_collections.netmedic.network.plugins.module_utils.tinc.kernel_log import own_address_messages, recent_records
from ansible_collections.netmedic.network.plugins.module_utils.tinc.state import TincState, discover

FIX_MODULE = "netmedic.network.tinc_safe_restart"
ROLE = "netmedic.network.tinc"
INCIDENT = "001"

CHECKS = {
    "NM-TINC-001": "tinc port in a bridge with STP off",
    "NM-TINC-002": "kernel saw the bridge's own frames come back on the tinc port (loop)",
    "NM-TINC-003": "ARP rate on the tinc port over the threshold (storm)",
    "NM-TINC-004": "tincd not running while its port is expected in a bridge",
    "NM-TINC-005": "tincd running but its port missing from its bridge",
}


def config_root(ctx: AuditContext) -> str:
    return os.path.join(ctx.root, "etc", "tinc")


def networks(ctx: AuditContext) -> List[str]:
    nets = sorted(os.path.basename(os.path.dirname(p))
                  for p in glob.glob(os.path.join(config_root(ctx), "*", "tinc.conf")))
    only = AUDIT.option(ctx, "networks")
    return [n for n in nets if not only or n in only]


def applies(ctx: AuditContext) -> bool:
    return bool(glob.glob(os.path.join(config_root(ctx), "*", "tinc.conf")))


def expected_bridge(ctx: AuditContext, state: TincState) -> Optional[str]:
    """The bridge the port belongs in (see the module docstring)."""
    if state.bridge:
        return state.bridge
    from_script = tinc_up_bridge(state.config_dir)
    if from_script:
        return from_script
    try:
        with open(os.path.join(ctx.root, "etc", "network", "interfaces"), "r", encoding="utf-8",
                  errors="replace") as fh:
            return bridge_in_interfaces(fh.read(), state.interface)
    except OSError:
        return None


def bridge_in_interfaces(text: str, port: str) -> Optional[str]:
    """The ifupdown ``iface`` whose ``bridge_ports`` names ``port``, or None."""
    current = None
    for line in text.splitlines():
        words = line.split()
        if len(words) >= 2 and words[0] == "iface":
            current = words[1]
        elif words and words[0] == "bridge_ports" and port in words[1:] and current:
            return current
    return None


def _fix(net: str, manual: Optional[str] = None, **params) -> Fix:
    p = {"netname": net}
    p.update(params)
    return Fix(module=FIX_MODULE, params=p, role=ROLE, manual=manual)


def audit_network(ctx: AuditContext, net: str, kernel_records, numbers: Dict[str, float]) -> List[Finding]:
    st = discover(net, ctx.runner, config_dir=os.path.join(config_root(ctx), net), root=ctx.root)
    findings: List[Finding] = []
    bridge = expected_bridge(ctx, st)
    port = st.interface
    ev = {"netname": net, "interface": port, "bridge": st.bridge, "expected_bridge": bridge,
          "tincd_running": st.running, "pid": st.pid, "management": st.management}

    if st.bridge and st.bridge_stp is False:
        stp_advice = ("Turn STP on for %s (ip link set dev %s type bridge stp_state 1) on every host of the tinc "
                      "network, or make sure no second layer-2 path joins the bridges." % (st.bridge, st.bridge))
        findings.append(Finding(
            id="NM-TINC-001", severity=WARNING, subject=port, incident=INCIDENT,
            summary="tinc port %s is in bridge %s with STP off: nothing breaks a layer-2 loop through the VPN"
                    % (port, st.bridge),
            evidence=dict(ev, stp_state=0),
            fix=Fix(manual=stp_advice, role=ROLE)))

    loops = own_address_messages(kernel_records, port)
    if loops:
        findings.append(Finding(
            id="NM-TINC-002", severity=CRITICAL, subject=port, incident=INCIDENT,
            summary="the kernel logged %d frame(s) with the bridge's own source address received on tinc port %s "
                    "(a loop)" % (len(loops), port),
            evidence=dict(ev, kernel_messages=["[%.3f] %s" % (r.seconds, r.message) for r in loops[-10:]]),
            fix=_fix(net, manual="Take %s out of %s (ip link set dev %s nomaster) to stop the loop, then restart "
                                 "tinc with the storm watch." % (port, st.bridge or bridge or "the bridge", port))))

    sample, threshold = numbers["arp_sample_seconds"], numbers["arp_rate"]
    if sample > 0 and st.interface_exists and st.bridge:
        counter = ArpCounter(port)
        if not counter.error:
            start = time.monotonic()
            time.sleep(sample)
            frames = counter.read()
            rate = frames / max(time.monotonic() - start, 1e-6)
            counter.close()
            if rate >= threshold:
                findings.append(Finding(
                    id="NM-TINC-003", severity=CRITICAL, subject=port, incident=INCIDENT,
                    summary="%.0f ARP frames/s on tinc port %s in %s (threshold %.0f/s): a broadcast storm"
                            % (rate, port, st.bridge, threshold),
                    evidence=dict(ev, arp_rate=round(rate, 1), arp_frames=frames, sample_seconds=sample,
                                  threshold=threshold),
                    fix=_fix(net, manual="Take %s out of %s (ip link set dev %s nomaster); restart tinc with the "
                                         "storm watch and a capture." % (port, st.bridge, port))))

    if bridge and not st.running:
        findings.append(Finding(
            id="NM-TINC-004", severity=CRITICAL, subject=port, incident=INCIDENT,
            summary="tincd for %s is not running although its port %s belongs in bridge %s" % (net, port, bridge),
            evidence=ev,
            fix=_fix(net, bridge=bridge)))
    elif bridge and st.running and st.bridge != bridge:
        bridge_exists = ctx.sysfs.exists("sys", "class", "net", bridge, "bridge")
        findings.append(Finding(
            id="NM-TINC-005", severity=WARNING, subject=port, incident=INCIDENT,
            summary="tincd for %s runs but its port %s is %s bridge %s%s" % (
                net, port, "missing from" if st.interface_exists else "absent, so missing from", bridge,
                "" if bridge_exists else " (which does not exist)"),
            evidence=dict(ev, interface_exists=st.interface_exists, bridge_exists=bridge_exists),
            fix=_fix(net, bridge=bridge)))
    return findings


# The numeric options, checked here too: the audit also runs without the preflight's option checks
# (a NaN sample made time.sleep raise, an infinite one never returned).
NUMBERS = ("arp_sample_seconds", "arp_rate", "kernel_log_window")


def options(ctx: AuditContext) -> Dict[str, float]:
    """The numeric options as floats, or ValueError naming each bad one."""
    values = {}
    for name in NUMBERS:
        value = AUDIT.option(ctx, name)
        if isinstance(value, str):  # templated by Ansible
            try:
                value = float(value.strip())
            except ValueError:
                pass
        values[name] = value
    errors = range_errors(values, {name: AUDIT.options[name].bounds for name in NUMBERS})
    if errors:
        raise ValueError("options.tinc: " + "; ".join(errors))
    return {k: float(v) for k, v in values.items()}


def run(ctx: AuditContext) -> List[Finding]:
    numbers = options(ctx)
    records = recent_records(os.path.join(ctx.root, "dev", "kmsg"), numbers["kernel_log_window"])
    findings: List[Finding] = []
    for net in networks(ctx):
        findings.extend(audit_network(ctx, net, records, numbers))
    return findings


AUDIT = Audit(
    name="tinc",
    area="tinc",
    skip_reason="no tinc network (no /etc/tinc/*/tinc.conf)",
    description="tinc ports in Linux bridges: STP, loop signs, ARP storms, daemon and port presence (incident 001)",
    run=run,
    applies=applies,
    checks=CHECKS,
    options={
        "networks": Option(description="tinc networks to audit (names under /etc/tinc); default every one"),
        "arp_rate": number((0, 10 ** 9), 200.0, "ARP frames per second on a tinc port that are a storm (NM-TINC-003)"),
        # slept once per bridged network: the preflight waits for it
        "arp_sample_seconds": number((0, 60), 1.0,
                                     "seconds to count ARP frames on each bridged tinc port; 0 skips NM-TINC-003"),
        "kernel_log_window": number(SECONDS_OR_ZERO, 3600.0,
                                    "seconds of kernel log searched for the loop message (NM-TINC-002)"),
    },
)
