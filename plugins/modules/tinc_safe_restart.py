#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: tinc_safe_restart
short_description: Restart or reload a bridged tinc VPN without a bridge loop, with a storm watch
version_added: 0.1.0
description:
  - Restarts (or reloads) one tinc network whose interface is a port of a Linux bridge (tinc C(Mode = switch)),
    following the runbook of incident 001 (an ARP storm through a tinc port in C(br-int)).
  - Finds the tinc interface (C(Interface =) in C(tinc.conf), else the network name), the bridge it is enslaved
    to, the daemon's pid (pidfile, or the systemd unit's main pid) and how the daemon is managed (the systemd unit
    C(tinc@NET) when it is active, else a plain C(tincd)).
  - "In O(mode=restart): takes the port out of the bridge, stops tincd and starts it again the moment the old
    process is gone (polled every few milliseconds, so the outage is the daemon's own stop and connect time),
    waits (bounded by O(wait_timeout)) until tincd runs, its interface exists and the O(peers) are connected in
    tinc's own view (its SIGUSR1 connection dump), then puts the port back into the bridge unless C(tinc-up)
    already did."
  - In O(mode=reload) only sends SIGHUP. The process and its interface stay, the port stays in the bridge and no
    packet is lost.
  - Then watches the port for O(storm_watch) seconds (ARP and packet rates from kernel counters, and the kernel's
    C(received packet on PORT with own address as source address) message). On a storm the port is taken out of
    the bridge again, tincd is left running outside the bridge, and the module fails with the evidence.
  - Any failure after the port was taken out of the bridge ends with C(state_left), a sentence saying whether the
    port is in the bridge and whether tincd runs, and C(msg) saying why.
  - A pid is signalled only once it is proved to be this network's tincd (C(/proc/PID/exe) is a C(tincd) binary,
    or its C(comm) is C(tincd) when C(exe) cannot be read, and its command line names the network with C(-n)
    or its O(config_dir) with C(-c)), and only if it has not been replaced by another process since (start time
    checked right before the signal; a pidfd makes it race-free on Linux 5.3+ with Python 3.9+). When the
    pidfile or systemd's main pid names a running process that is not that tincd (a stale pidfile, or a link to
    another network's pidfile), the module fails and touches nothing.
  - Optional diagnostics on a storm, written under O(diagnostics_dir) on the host (the C(netmedic.network.tinc)
    role fetches them to the controller) are a bounded C(tcpdump) capture of the port and tinc's SIGUSR1/SIGUSR2
    dumps.
author:
  - netmedic.network contributors (@netmedic)
options:
  netname:
    description: The tinc network name (the directory under C(/etc/tinc), the C(NET) of C(tinc@NET)).
    type: str
    required: true
  mode:
    description:
      - C(restart) stops and starts tincd (new process, new interface, port detached meanwhile).
      - C(reload) sends SIGHUP only (same process and interface, nothing detached).
    type: str
    choices: [restart, reload]
    default: restart
  config_dir:
    description: The network's configuration directory. Default C(/etc/tinc/NETNAME).
    type: path
  pidfile:
    description:
      - The daemon's pidfile. Default the C(--pidfile) of the running daemon, else C(/run/tinc.NETNAME.pid)
        (or C(/var/run/tinc.NETNAME.pid) when only that one exists).
      - A pidfile naming a running process that is not this network's tincd makes the module fail without
        touching anything.
    type: path
  interface:
    description: The tinc interface. Default C(Interface) from C(tinc.conf), else the network name.
    type: str
  bridge:
    description:
      - The bridge the tinc interface belongs in. Default the bridge it is in now, else the one its C(tinc-up)
        script enslaves it to (C(ip link set ... master BRIDGE) or C(brctl addif BRIDGE ...)).
      - When the interface is in another bridge the module refuses to run.
      - Give it to put a port back that is currently in no bridge.
    type: str
  service:
    description:
      - How tincd is managed. C(auto) uses the systemd unit C(tinc@NETNAME) when it is active, else a plain
        C(tincd) found through its pidfile.
    type: str
    choices: [auto, systemd, plain]
    default: auto
  tincd_command:
    description:
      - The command that starts a plain tincd (argv list). Default the running daemon's own command line, or
        C(tincd -n NETNAME) (with C(-c) and C(--pidfile) when O(config_dir) and O(pidfile) are given).
    type: list
    elements: str
    default: []
  peers:
    description:
      - tinc node names that must have an active direct connection (SIGUSR1 dump) before the port goes back.
      - Default the C(ConnectTo) names of C(tinc.conf). An empty list waits for none.
    type: list
    elements: str
  tinc_dump:
    description:
      - After each of the O(peers) has a TCP connection to tincd (read from C(/proc), no signal), confirm with
        tinc's own view, its SIGUSR1 connection dump (from its C(--logfile), else the journal), that the
        connections are active.
      - tinc 1.0 logs from inside its signal handlers, so signals are sent sparingly (never while it starts).
    type: bool
    default: true
  probe_addresses:
    description: Addresses that must answer one ping after the restart (checked after the port is back).
    type: list
    elements: str
    default: []
  wait_timeout:
    description: Seconds to wait for tincd, its interface and its peers (and, separately, for the probes).
    type: float
    default: 30
  stop_timeout:
    description: Seconds to wait for the old tincd to exit after SIGTERM. If it still runs, the port goes back and the module fails.
    type: float
    default: 10
  storm_watch:
    description: Seconds to watch the port for a storm after it is back in the bridge. C(0) skips the watch.
    type: float
    default: 5
  precheck:
    description: Seconds to sample the port before touching it (recorded in C(storm_before)). C(0) skips it.
    type: float
    default: 0.5
  storm_arp_rate:
    description: ARP frames per second on the port that count as a storm. C(0) disables this sign.
    type: float
    default: 200
  storm_packet_rate:
    description: Packets per second (received plus sent) on the port that count as a storm. C(0) disables this sign.
    type: float
    default: 0
  storm_kernel_messages:
    description:
      - Number of kernel "own address as source address" messages about the port that count as a storm.
        C(0) disables this sign.
    type: int
    default: 1
  diagnostics_dir:
    description: Directory on the host for the capture and the tinc dumps taken on a storm. None means no diagnostics.
    type: path
  capture_seconds:
    description: Seconds of C(tcpdump) capture on the port when a storm is seen (needs O(diagnostics_dir)). C(0) means no capture.
    type: float
    default: 0
  capture_packets:
    description: Most packets the capture keeps.
    type: int
    default: 20000
  rollback:
    description:
      - Read the tinc health before the restart (tincd running, the port's bridge, the peers connected, from
        tincd's TCP meta connections matched to the C(Address) of each C(hosts/PEER); no signal is sent), and watch it
        after the runbook for at most O(rollback_window) seconds (docs/rollback.md). The watch ends early once
        tincd runs, the port is in its bridge and every peer that was connected is connected again, and that
        held O(rollback_settle) seconds.
      - Worse is tincd not running when it ran before, the port out of the bridge it was in, a peer that was
        connected and is not at the end of the window, or a storm (the storm watch's back-off).
      - "Then the module undoes what can be undone: the port's bridge membership goes back to what it was (a
        port the runbook left out because the peers did not come back goes back in, so the VPN heals when they
        do); on a storm the port stays out of the bridge (the safe state). It reads that back and fails with
        what got worse, what was undone and the state now (RV(rollback), C(last_result=rolled_back))."
      - "What cannot be undone is said in C(undone) or C(undo_error) of RV(rollback), not pretended: a
        restart cannot be undone (the old tincd and its connections are gone), and this module changes no
        configuration file, so there is no earlier configuration to start tincd with again. When nothing could
        be put back (the port is where it was, or its interface is gone with tincd), C(last_result) is
        C(rollback_failed)."
      - In check mode, the C(watched) list of RV(rollback) says what would be watched; nothing is touched.
    type: bool
    default: false
requirements:
  - Python 3.8 or newer on the host (the standard library only).
  - tinc (C(tincd)), iproute2, and root (the tinc role becomes).
  - C(tcpdump), only for O(capture_seconds).
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - netmedic.network.rollback
attributes:
  check_mode:
    support: full
    details: Inspects the host and returns the plan in C(plan); nothing is detached, signalled or restarted.
  diff_mode:
    support: full
    details: Shows the daemon and port state before and after.
  platform:
    platforms: posix

notes:
  - Numeric options must be finite and in range (seconds at most 86400, O(wait_timeout) and O(stop_timeout) at
    least 0.001, rates at most 1e9, O(storm_kernel_messages) at most 100000, O(capture_packets) 1 to 10000000);
    anything else fails, naming the option, before the host is looked at.
  - Like C(service state=restarted), every run restarts, so C(changed) is true whenever something was restarted,
    reloaded or put back into the bridge.
  - Reading the kernel log needs C(/dev/kmsg); inside containers that cannot read it, the kernel-message sign is
    skipped and C(storm.notes) says so.
  - A bridge with STP on puts the returning port through its listening and learning states (twice the bridge's
    forward delay) before it forwards.
seealso:
  - module: netmedic.network.preflight
    description: The C(tinc) audit finds tinc ports in bridges without STP, loop signs and missing ports.
"""

EXAMPLES = r"""
- name: Restart tinc net t3o, bridged into br-int, with a 10 s storm watch
  netmedic.network.tinc_safe_restart:
    netname: t3o
    storm_watch: 10
    probe_addresses: [10.0.0.1]

- name: Only reload the configuration (no packet lost)
  netmedic.network.tinc_safe_restart:
    netname: t3o
    mode: reload

- name: Restart; if a peer that was connected is not connected again within 60 s, put the port back as it was and fail
  netmedic.network.tinc_safe_restart:
    netname: t3o
    rollback: true
    rollback_window: 60
  register: tinc_restart
  # tinc_restart.rollback.last_result: applied, rolled_back or rollback_failed (the task fails on both)

- name: Restart and, on a storm, keep a capture and tinc's dumps for the controller
  netmedic.network.tinc_safe_restart:
    netname: t3o
    diagnostics_dir: /var/tmp/netmedic-tinc
    capture_seconds: 3
  register: tinc_restart
"""

RETURN = r"""
rollback:
  description:
    - The change's record, as every fix module returns it (docs/rollback.md). C(desired) what was asked;
      C(before) and C(after) the tinc health (with O(rollback) C(running), C(pid), C(interface),
      C(interface_exists), C(bridge), C(peers_connected), C(unnamed_connections); without it the state the
      module read anyway); C(last_result) one of C(unchanged), C(would_change), C(applied), C(rolled_back)
      (also without O(rollback), when it backed off from a storm), C(rollback_failed), C(failed); C(watched),
      C(worse), C(undone), C(state_now), C(detected_after), C(healthy_after), C(watch_seconds), C(undo_error).
  returned: always
  type: dict
  sample:
    enabled: true
    desired: {netname: t3o, mode: restart}
    last_result: rolled_back
    worse: ["peer hv2 not connected (connected before)"]
    undone: ["put t3o back into br-int, as before the restart (read back)",
             "not undone: the restart itself (the old tincd and its connections are gone; ...)"]
    state_now: "tincd running (pid 4313); t3o in bridge br-int; peers connected: hv3; still worse than before the
      change: peer hv2 not connected (connected before)"
    detected_after: 30.4
plan:
  description: What the module does (check mode) or did, one sentence a step.
  returned: always
  type: list
  elements: str
  sample: ["take t3o out of bridge br-int", "systemctl restart tinc@t3o.service"]
steps:
  description: The steps taken, with the seconds since the start, success and a detail sentence.
  returned: always
  type: list
  elements: dict
  sample: [{step: detach, t: 0.52, ok: true, detail: "took t3o out of br-int (before the restart)"}]
before:
  description: The tinc network as found (config_dir, interface, bridge, bridge_stp, pid, running, management, ...).
  returned: always
  type: dict
  sample:
    netname: t3o
    config_dir: /etc/tinc/t3o
    config_found: true
    interface: t3o
    interface_exists: true
    interface_up: true
    bridge: br-int
    bridge_stp: true
    mode: switch
    device_type: tap
    connect_to: [hv2, hv3]
    pidfile: /run/tinc.t3o.pid
    pid: 4242
    running: true
    management: systemd
    unit: tinc@t3o.service
    cmdline: [/usr/sbin/tincd, -n, t3o, -D]
    logfile: null
    pid_problem: ""
after:
  description: The tinc network as left, same keys as RV(before).
  returned: always
  type: dict
  sample: {netname: t3o, interface: t3o, bridge: br-int, pid: 4313, running: true, management: systemd, "...": "..."}
state_left:
  description: One sentence saying whether tincd runs and whether its port is in the bridge.
  returned: always
  type: str
  sample: tincd running (pid 4242, systemd); t3o detached (in no bridge)
duration:
  description:
    - Seconds the whole run took (stop, start or reload, waiting for the peers, the storm watch, a capture).
    - The role runs the module as an async job polled every few seconds, so a run longer than a connection timeout is
      not cut off.
  returned: always
  type: float
  sample: 6.2
outage_seconds:
  description: Seconds from taking the port out (or stopping tincd) until tincd ran, its peers were connected and the port was back.
  returned: when the port was detached or tincd restarted
  type: float
  sample: 0.1
peers:
  description: Peers required, peers connected, and where tinc's view came from.
  returned: always
  type: dict
  sample: {required: [hv2, hv3], connected: [hv2, hv3], source: TCP connections of tincd}
storm_before:
  description: The sample of the port taken before anything was touched (see RV(storm)).
  returned: when the port was in a bridge and O(precheck) is not 0
  type: dict
  sample: {port: t3o, seconds: 0.5, storm: false, reasons: [], max_arp_rate: 4.0, max_packet_rate: 38.0, arp_frames: 2,
           packets: 19, kernel_messages: [], samples: [], notes: []}
storm:
  description: The storm watch (port, seconds, storm, reasons, max_arp_rate, max_packet_rate, kernel_messages, samples, notes).
  returned: when the storm watch ran
  type: dict
  sample:
    port: t3o
    seconds: 5.0
    storm: false
    reasons: []
    max_arp_rate: 6.0
    max_packet_rate: 120.0
    arp_frames: 24
    packets: 410
    kernel_messages: []
    samples: [{t: 0.5, arp_rate: 4.0, packet_rate: 96.0}, {t: 1.0, arp_rate: 6.0, packet_rate: 120.0}]
    notes: []
diagnostics:
  description: Files written under O(diagnostics_dir) on the host (capture, tinc dumps).
  returned: always
  type: list
  elements: str
  sample: [/var/tmp/netmedic-tinc/t3o-20261129T120000.pcap, /var/tmp/netmedic-tinc/t3o-20261129T120000-dump-nodes.txt]
warnings_list:
  description: Things worth knowing that did not stop the run (also shown as Ansible warnings).
  returned: always
  type: list
  elements: str
  sample: ["tinc.conf says Mode = router: bridging a tinc port normally means Mode = switch"]
"""

import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.netmedic.network.plugins.module_utils.core import rollback
from ansible_collections.netmedic.network.plugins.module_utils.core.params import new_module
from ansible_collections.netmedic.network.plugins.module_utils.tinc.errors import TincStateError
from ansible_collections.netmedic.network.plugins.module_utils.tinc.options import RANGES, RestartOptions
from ansible_collections.netmedic.network.plugins.module_utils.tinc import rollback as tinc_rollback
from ansible_collections.netmedic.network.plugins.module_utils.tinc.storm import StormThresholds


def main():
    module = new_module(
        AnsibleModule, dict(RANGES, **rollback.RANGES),
        argument_spec=dict(
            netname=dict(type="str", required=True),
            mode=dict(type="str", choices=["restart", "reload"], default="restart"),
            config_dir=dict(type="path"),
            pidfile=dict(type="path"),
            interface=dict(type="str"),
            bridge=dict(type="str"),
            service=dict(type="str", choices=["auto", "systemd", "plain"], default="auto"),
            tincd_command=dict(type="list", elements="str", default=[]),
            peers=dict(type="list", elements="str"),
            probe_addresses=dict(type="list", elements="str", default=[]),
            tinc_dump=dict(type="bool", default=True),
            wait_timeout=dict(type="float", default=30.0),
            stop_timeout=dict(type="float", default=10.0),
            storm_watch=dict(type="float", default=5.0),
            precheck=dict(type="float", default=0.5),
            storm_arp_rate=dict(type="float", default=200.0),
            storm_packet_rate=dict(type="float", default=0.0),
            storm_kernel_messages=dict(type="int", default=1),
            diagnostics_dir=dict(type="path"),
            capture_seconds=dict(type="float", default=0.0),
            capture_packets=dict(type="int", default=20000),
            rollback=dict(type="bool", default=False),
            rollback_window=dict(type="float", default=rollback.DEFAULT_WINDOW),
            rollback_settle=dict(type="float", default=rollback.DEFAULT_SETTLE),
        ),
        supports_check_mode=True,
    )
    p = module.params
    opts = RestartOptions(
        netname=p["netname"], mode=p["mode"], config_dir=p["config_dir"], pidfile=p["pidfile"],
        interface=p["interface"], bridge=p["bridge"], service=p["service"], tincd_command=p["tincd_command"],
        peers=p["peers"], probe_addresses=p["probe_addresses"], tinc_dump=p["tinc_dump"], wait_timeout=p["wait_timeout"],
        stop_timeout=p["stop_timeout"], storm_watch=p["storm_watch"], precheck=p["precheck"],
        thresholds=StormThresholds(arp_rate=p["storm_arp_rate"], packet_rate=p["storm_packet_rate"],
                                   kernel_messages=p["storm_kernel_messages"]),
        diagnostics_dir=p["diagnostics_dir"], capture_seconds=p["capture_seconds"],
        capture_packets=p["capture_packets"])
    started = time.monotonic()
    try:
        report, record = tinc_rollback.ensure(opts, rollback.Settings.from_params(p), check_mode=module.check_mode)
    except TincStateError as exc:
        module.fail_json(msg=str(exc), duration=round(time.monotonic() - started, 3))
    for warning in report.warnings:
        module.warn(warning)
    result = dict(
        changed=report.changed,
        plan=report.plan,
        steps=report.steps,
        before=report.before,
        after=report.after,
        state_left=report.state_left,
        outage_seconds=report.outage_seconds,
        peers=report.peers,
        storm_before=report.storm_before,
        storm=report.storm,
        diagnostics=report.diagnostics,
        warnings_list=report.warnings,
        # the whole run (wait for peers, storm watch, capture): a long one is visible in the result
        duration=round(time.monotonic() - started, 3),
        rollback=record.to_result(),
    )
    if module._diff:
        result["diff"] = report.diff()
    if record.enabled and record.stop_batch:
        msg = record.message()
        if not report.ok:  # the runbook's own failure (tinc's words), beside what the rollback did
            msg = "%s. The %s failed: %s" % (msg.rstrip("."), p["mode"], report.msg)
        module.fail_json(msg=msg, **result)
    if not report.ok:
        module.fail_json(msg=report.msg, **result)
    module.exit_json(msg=report.msg, **result)


if __name__ == "__main__":
    main()
