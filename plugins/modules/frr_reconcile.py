#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: frr_reconcile
short_description: Bring FRR's running configuration back to the intended one
version_added: 0.1.0
description:
  - Compares FRR's running configuration (C(show running-config)) with the
    intended one (a file, by default C(/etc/frr/frr.conf), or text you render)
    and applies only the difference, in dependency order, with one C(vtysh -f).
  - Made for incident 000, where watchfrr's C(restart all) killed C(vtysh -b)
    half-way and the daemons ran with part of their configuration (route-maps,
    prefix-lists and OSPF costs missing) while nothing said so.
  - The intended config is first validated by FRR itself (C(vtysh -C -f)).
    Before applying, the module refuses when a daemon enabled in the daemons
    file is not running, the configuration is locked, or the intended config
    is empty (an empty template must not wipe a router), and saves the
    running config to a backup file. After applying it reads the running config again
    and reports what still differs.
  - Lines FRR prints differently from how they are written, or never prints
    (C(frr version), C(hostname), C(service integrated-vtysh-config),
    C(ip forwarding), list entries without C(seq), C(passive-interface) under
    C(router ospf), empty address-families, default C(neighbor X activate)...)
    are normalised so they are not re-applied forever.
  - When the two configs differ, the intended one is also loaded into a
    throwaway instance of the router's own FRR (same binaries, daemons and
    C(frr defaults) profile, in a private network namespace, see O(render)),
    and compared in the words FRR prints, so that C(address-family ipv4) and
    C(address-family ipv4 unicast), C(int eth0) and C(interface eth0), a
    C(network) with host bits, a line that sets a default value, are then the
    same (neither planned nor left in RV(remaining)). An unchanged router is
    reported C(changed=false) with an empty plan without starting anything.
  - Tested with FRR 8.4 (Debian 12), 10.3 (Debian 13) and 10.7 (Debian 14).
    Another version's running config may be printed in words the module does
    not know; it plans (check mode) but refuses to apply unless
    O(allow_untested_version=true).
  - Deletes are ordered so that a route-map or list still used by a neighbour
    is removed only after the neighbour line has changed; single-valued
    settings (C(ip ospf cost), C(neighbor X remote-as), a list entry's C(seq))
    are replaced, not deleted first.
author:
  - netmedic.network contributors (@netmedic)
options:
  src:
    description:
      - Path of the intended configuration file on the managed host.
      - Defaults to C(/etc/frr/frr.conf), or C(/etc/frr/PATHSPACE/frr.conf) with O(pathspace).
      - Mutually exclusive with O(content).
    type: path
  content:
    description:
      - The intended configuration as text (for example from a template).
      - Mutually exclusive with O(src).
    type: str
  pathspace:
    description:
      - FRR pathspace (C(vtysh -N NAME)) when several FRR instances run on the host.
    type: str
  vtysh:
    description: Path or name of the vtysh binary.
    type: str
    default: vtysh
  save:
    description:
      - Run C(write memory) after a successful reconcile, so that the running
        config is also the startup config. Never done when lines still differ.
    type: bool
    default: false
  backup:
    description: Save the running configuration to a file before changing it.
    type: bool
    default: true
  backup_dir:
    description:
      - Directory for the backup of the running configuration (C(frr.running.conf.TIMESTAMP.netmedic.bak)).
      - Defaults to the FRR configuration directory. It must exist and be writable; it is not created.
    type: path
  require_daemons:
    description:
      - Refuse to apply when a daemon enabled in the daemons file is not
        running. Set to false only when you know why a daemon is down.
    type: bool
    default: true
  fail_on_remaining:
    description:
      - Fail when lines still differ after applying (FRR rejected some, or
        they never converge). When false the remaining lines are only reported.
    type: bool
    default: true
  command_timeout:
    description: Timeout in seconds for each read-only vtysh call (more than 0, at most 86400).
    type: float
    default: 60
  apply_timeout:
    description: Timeout in seconds for applying the plan (one C(vtysh -f)); more than 0, at most 86400.
    type: float
    default: 600
  render:
    description:
      - How the intended config is compared with the running one when they differ.
      - V(frr) loads the intended config into a throwaway instance of the router's FRR started for the
        purpose (in a new network namespace, so it sees no interface and reaches no peer; its sockets in
        C(/var/run/frr/nmrender-PID-RANDOM), removed afterwards; lists, C(log), C(debug) and forwarding
        lines are compared as written) and compares FRR's own printing of it. About 4 ms a line with
        FRR 8.4, 1 ms with FRR 10.
      - V(parser) compares the configs as written, after netmedic's own normalisations only (nothing is
        started; some lines written differently from FRR's printing then never converge).
      - When the throwaway instance cannot run, the comparison falls back to V(parser) and RV(render_error)
        says why.
    type: str
    choices: [frr, parser]
    default: frr
  allow_untested_version:
    description:
      - Apply even when the running FRR is a version netmedic was not tested with (older than 8.4 or newer
        than 10.7), or does not say its version. Check mode plans either way.
    type: bool
    default: false
  rollback:
    description:
      - Capture the running config and the router's health before applying, watch the health after it, and
        reconcile back to the captured config when it got worse (docs/rollback.md).
      - Watched (read-only vtysh, only daemons that run) are BGP sessions per VRF and address family with the
        prefixes each accepts, OSPF, OSPFv3 and IS-IS adjacencies, and the RIB's route count per VRF and route
        type. Worse is a daemon that ran and does not, a session that was Established and is not (a neighbour
        the intended config removes is not worse), an adjacency that was Full or Up and is not, or accepted
        prefixes or routes of a type that dropped by more than O(rollback_route_loss).
      - The watch ends as soon as the health held for O(rollback_settle) seconds (at least C(bgp route-map
        delay-timer) + 1 s when the plan changes a route-map or a list, because BGP applies those only then),
        and at the latest after O(rollback_window) seconds.
      - The undo reconciles back to the captured config with the same engine, requires that the running config
        then equals it (and runs C(write memory) again when O(save=true) had saved the change), watches the
        health come back, and fails the task with what got worse, what was undone and the state now.
      - In check mode, the C(watched) list of RV(rollback) says what would be watched.
    type: bool
    default: false
  rollback_route_loss:
    description:
      - With O(rollback=true), the share (0 to 1) of a session's accepted prefixes, or of the routes of one
        type in one VRF, that may be lost before the change counts as worse. C(1) turns the route checks off.
    type: float
    default: 0.2
requirements:
  - Python 3.8 or newer on the host (the standard library only).
  - FRR with C(vtysh), and root or FRR's C(frrvty) group (the frr role becomes).
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - netmedic.network.rollback
attributes:
  check_mode:
    support: full
    details: Validates and plans; shows the plan as a unified diff and as vtysh commands; changes nothing.
  diff_mode:
    support: full
    details: Shows the normalised running config (before) and the intended config (after).
  platform:
    platforms: posix

notes:
  - A second run reports C(changed=false) when nothing differs.
  - A refusal (a bad option, a daemon down, an empty intended config, a locked configuration, no backup
    possible) fails with C(changed=false) and says that nothing was applied. A failure after the plan went
    to vtysh reports C(changed=true).
  - Check mode runs only read-only vtysh commands (C(-C) validation, C(show running-config)) against the
    router's FRR and writes no file of it. With O(render=frr), when the configs differ, it starts the
    throwaway FRR instance described there (its own processes, network namespace and runtime directory, all
    removed before the module returns); O(render=parser) starts nothing.
  - The preflight's C(frr_drift) audit uses the same comparison, read-only.
seealso:
  - module: netmedic.network.preflight
    description: Its C(frr_drift) audit finds the drift this module repairs (NM-FRR-001 to NM-FRR-003).
  - module: netmedic.network.frr_daemons_options
    description: watchfrr's restart timeout and zebra's netlink buffer, the other half of incident 000.
  - name: vtysh
    description: FRR's shell, which validates (C(-C)) and applies (C(-f)) the plan.
    link: https://docs.frrouting.org/en/latest/vtysh.html
"""

EXAMPLES = r"""
- name: Reconcile FRR to /etc/frr/frr.conf
  netmedic.network.frr_reconcile:

- name: Show what would change, as a diff and as vtysh commands
  netmedic.network.frr_reconcile:
    src: /etc/frr/frr.conf
  check_mode: true
  diff: true
  register: frr_plan

- name: Reconcile, and reconcile back when a session or adjacency that was up is not up within 60 s
  netmedic.network.frr_reconcile:
    src: /etc/frr/frr.conf
    rollback: true
    rollback_window: 60
  register: frr_change
  # frr_change.rollback: desired, before/after (health), last_result (applied, rolled_back, ...)

- name: Reconcile a rendered config in pathspace r1 and save it
  netmedic.network.frr_reconcile:
    content: "{{ lookup('template', 'frr.conf.j2') }}"
    pathspace: r1
    save: true
"""

RETURN = r"""
plan:
  description: What differs and the commands that fix it.
  returned: always
  type: dict
  contains:
    delete:
      description: Number of running lines that are not in the intended config.
      type: int
      sample: 1
    add:
      description: Number of intended lines missing from the running config.
      type: int
      sample: 2
    commands:
      description: The vtysh commands, each prefixed with its context (C(router bgp 65001 > no neighbor X ...)).
      type: list
      elements: str
      sample: ["ip prefix-list PL seq 10 permit 10.1.0.0/16", "interface eth0 > ip ospf cost 100"]
    script:
      description: The exact file given to C(vtysh -f).
      type: str
      sample: "ip prefix-list PL seq 10 permit 10.1.0.0/16\ninterface eth0\n ip ospf cost 100\nexit\n"
  sample:
    delete: 1
    add: 2
    commands: ["ip prefix-list PL seq 10 permit 10.1.0.0/16", "interface eth0 > ip ospf cost 100"]
    script: "ip prefix-list PL seq 10 permit 10.1.0.0/16\ninterface eth0\n ip ospf cost 100\nexit\n"
unified_diff:
  description: The plan as a unified diff of the normalised running config and the intended config.
  returned: always
  type: str
  sample: "--- running\n+++ /etc/frr/frr.conf\n@@ -3,2 +3,3 @@\n interface eth0\n- ip ospf cost 10\n+ ip ospf cost 100\n"
remaining:
  description: Lines (with context) that still differ after applying; empty when FRR converged.
  returned: when not in check mode
  type: list
  elements: str
  sample: []
apply_errors:
  description: Lines of the plan FRR rejected (C(line), C(command), C(error)).
  returned: when changes were applied
  type: list
  elements: dict
  sample: [{line: 2, command: "match ip addres PL", error: "% Unknown command: match ip addres PL"}]
apply_seconds:
  description:
    - How long the one C(vtysh -f) took (the duration of the change; thousands of lines take minutes, which is why
      the frr role runs the module as an async job).
  returned: when changes were applied
  type: float
  sample: 18.8
backup_file:
  description: Where the running configuration was saved before the change.
  returned: when changes were applied and O(backup=true)
  type: str
  sample: /etc/frr/frr.running.conf.20261129T120000.netmedic.bak
saved:
  description: Whether C(write memory) ran.
  returned: when not in check mode
  type: bool
  sample: false
validation_errors:
  description: FRR's complaints about the intended config (only on failure).
  returned: on failure
  type: list
  elements: str
  sample: ["line 12: % Unknown command: router bgpp 65001"]
intended:
  description: Where the intended config came from (its path, or C(intended config) for O(content)).
  returned: always
  type: str
  sample: /etc/frr/frr.conf
frr_version:
  description: The running FRR's version (from its C(frr version) line), or C(unknown).
  returned: once the running config was read
  type: str
  sample: "10.3"
frr_version_tested:
  description: Whether netmedic was tested with this FRR version (8.4, 10.3, 10.7).
  returned: once the running config was read
  type: bool
  sample: true
compared_as:
  description: C(frr) when the intended config was compared in FRR's own words (O(render=frr)), else C(parser).
  returned: once the running config was read
  type: str
  sample: frr
render_seconds:
  description: How long the throwaway instance took (C(start), C(load), C(show), C(total)).
  returned: when the throwaway FRR instance rendered the intended config
  type: dict
  sample: {start: 0.21, load: 1.9, show: 0.08, total: 2.3}
render_error:
  description: Why the throwaway FRR instance could not render the intended config (the parser compared instead).
  returned: when rendering failed
  type: str
  sample: "cannot start a throwaway FRR: unshare: Operation not permitted"
pathspace:
  description: The pathspace used (null for the default instance).
  returned: always
  type: str
  sample: null
rollback:
  description:
    - The change's record (docs/rollback.md). C(desired) what was asked; C(before) and C(after) the health
      (daemons, BGP sessions and prefixes, adjacencies, route counts), null without O(rollback); C(last_result)
      one of C(unchanged), C(would_change), C(applied), C(rolled_back), C(rollback_failed), C(failed);
      C(watched), C(worse), C(undone), C(state_now), C(detected_after), C(healthy_after), C(watch_seconds),
      C(undo_error).
  returned: always
  type: dict
  sample:
    enabled: true
    last_result: rolled_back
    worse: ["BGP session default 192.0.2.2 is Active (Established before)"]
    undone: ["reconciled back to the running config captured before the change (1 command(s))",
             "the running config equals the captured one again"]
    state_now: "daemons running: zebra, bgpd; BGP 1/1 Established; back as before the change"
ansible_facts:
  description: Facts about the FRR daemons.
  returned: always
  type: dict
  contains:
    netmedic_frr:
      description: C(daemons) (name, enabled, running, pid, uptime_seconds, restarted_recently, why)
        and C(restarted_recently) (any daemon up for less than an hour, evidence of a watchfrr restart).
      type: dict
      sample:
        pathspace: null
        restarted_recently: true
        daemons:
          - {name: bgpd, enabled: true, running: true, pid: 1318, uptime_seconds: 65.2, restarted_recently: true, why: ""}
  sample:
    netmedic_frr:
      pathspace: null
      restarted_recently: true
      daemons:
        - {name: bgpd, enabled: true, running: true, pid: 1318, uptime_seconds: 65.2, restarted_recently: true, why: ""}
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.netmedic.network.plugins.module_utils.core import rollback
from ansible_collections.netmedic.network.plugins.module_utils.core.params import SECONDS, new_module
from ansible_collections.netmedic.network.plugins.module_utils.frr import rollback as frr_rollback
from ansible_collections.netmedic.network.plugins.module_utils.frr.reconcile import Request

# Every numeric option, checked first thing: a NaN timeout used to crash deep in the runner (issue 11).
RANGES = dict({"command_timeout": SECONDS, "apply_timeout": SECONDS, "rollback_route_loss": (0.0, 1.0)},
              **rollback.RANGES)


def main():
    module = new_module(
        AnsibleModule, RANGES,
        argument_spec=dict(
            src=dict(type="path"),
            content=dict(type="str"),
            pathspace=dict(type="str"),
            vtysh=dict(type="str", default="vtysh"),
            save=dict(type="bool", default=False),
            backup=dict(type="bool", default=True),
            backup_dir=dict(type="path"),
            require_daemons=dict(type="bool", default=True),
            fail_on_remaining=dict(type="bool", default=True),
            command_timeout=dict(type="float", default=60.0),
            apply_timeout=dict(type="float", default=600.0),
            render=dict(type="str", default="frr", choices=["frr", "parser"]),
            allow_untested_version=dict(type="bool", default=False),
            rollback=dict(type="bool", default=False),
            rollback_window=dict(type="float", default=rollback.DEFAULT_WINDOW),
            rollback_settle=dict(type="float", default=rollback.DEFAULT_SETTLE),
            rollback_route_loss=dict(type="float", default=0.2),
        ),
        mutually_exclusive=[("src", "content")],
        supports_check_mode=True,
    )
    p = module.params
    request = Request(src=p["src"], content=p["content"], pathspace=p["pathspace"], vtysh=p["vtysh"],
                      save=p["save"], backup=p["backup"], backup_dir=p["backup_dir"],
                      require_daemons=p["require_daemons"], fail_on_remaining=p["fail_on_remaining"],
                      command_timeout=p["command_timeout"], apply_timeout=p["apply_timeout"],
                      render=p["render"], allow_untested_version=p["allow_untested_version"],
                      check_mode=module.check_mode)
    out = frr_rollback.run(request, rollback.Settings.from_params(p), p["rollback_route_loss"])
    result = out.result
    if out.diff is not None and module._diff:
        result["diff"] = out.diff
    if out.error:
        module.fail_json(msg=out.error, **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
