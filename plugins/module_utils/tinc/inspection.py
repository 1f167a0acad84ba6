# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Before anything is touched: record the network as found, refuse what is unsafe, say the plan.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

from typing import List

from ansible_collections.netmedic.network.plugins.module_utils.tinc.conf import tinc_up_bridge
from ansible_collections.netmedic.network.plugins.module_utils.tinc.daemon import start_command
from ansible_collections.netmedic.network.plugins.module_utils.tinc.errors import TincStateError
from ansible_collections.netmedic.network.plugins.module_utils.tinc.run import Run
from ansible_collections.netmedic.network.plugins.module_utils.tinc.state import TincState, discover


def inspect(run: Run) -> TincState:
    """Discover the network into ``run.state`` and ``report.before``; TincStateError for what we refuse."""
    o = run.o
    st = discover(o.netname, run.runner, config_dir=o.config_dir, pidfile=o.pidfile, interface=o.interface,
                  service=o.service, root=o.root)
    run.state = st
    run.report.before = st.to_dict()
    if st.pid_problem:
        raise TincStateError(
            "refusing to touch tinc network %s: %s. Nothing was signalled, detached or restarted. If that "
            "pidfile is stale, remove it (or give the daemon's own pidfile with pidfile) and run again"
            % (o.netname, st.pid_problem))
    if not st.config_found:
        raise TincStateError("no tinc.conf in %s: is %r the right network name (or config_dir)?"
                             % (st.config_dir, o.netname))
    if o.bridge and st.bridge and st.bridge != o.bridge:
        raise TincStateError("%s is in bridge %s, not in %s as given: refusing to move it between bridges"
                             % (st.interface, st.bridge, o.bridge))
    run.bridge = o.bridge or st.bridge or tinc_up_bridge(st.config_dir)
    if o.mode == "reload" and not st.running:
        raise TincStateError("tincd for %s is not running, so it cannot be reloaded; use mode=restart to start it"
                             % o.netname)
    if st.management == "plain" and st.running and not o.tincd_command and \
            any(a in ("-D", "--no-detach") for a in st.cmdline):
        raise TincStateError("tincd pid %s runs in the foreground (-D) under a supervisor that is not systemd's "
                             "tinc@%s; give tincd_command or service to say how to start it"
                             % (st.pid, o.netname))
    if st.mode != "switch":
        run.report.warnings.append("tinc.conf says Mode = %s: bridging a tinc port normally means Mode = switch"
                                   % st.mode)
    return st


def plan_sentences(run: Run) -> List[str]:
    """What the run will do, one sentence a step (check mode shows exactly this)."""
    st, o = run.state, run.o
    if st is None:
        raise RuntimeError("plan_sentences() before the state was recorded")
    plan = []
    peers = run.required_peers()
    if o.mode == "reload":
        plan.append("send SIGHUP to tincd pid %s (same process and %s: the port stays in %s)"
                    % (st.pid, st.interface, run.bridge or "no bridge"))
    else:
        if st.bridge:
            plan.append("take %s out of bridge %s" % (st.interface, st.bridge))
        if st.management == "systemd":
            plan.append("systemctl restart %s" % st.unit)
        else:
            if st.running:
                plan.append("stop tincd pid %s (SIGTERM, wait up to %.0f s)" % (st.pid, o.stop_timeout))
            plan.append("start: %s" % " ".join(start_command(run)))
    plan.append("wait up to %.0f s for tincd and %s%s" % (
        o.wait_timeout, st.interface,
        (", peers %s connected" % ", ".join(peers)) if peers else ""))
    if o.probe_addresses:
        plan.append("probe %s" % ", ".join(o.probe_addresses))
    if run.bridge:
        plan.append("put %s back into %s unless tinc-up did" % (st.interface, run.bridge))
        if o.storm_watch:
            plan.append("watch %s for a storm for %.1f s (ARP >= %.0f/s%s, kernel loop messages); on a storm "
                        "take it out of %s again and fail" % (
                            st.interface, o.storm_watch, o.thresholds.arp_rate,
                            (", packets >= %.0f/s" % o.thresholds.packet_rate) if o.thresholds.packet_rate
                            else "", run.bridge))
    return plan
