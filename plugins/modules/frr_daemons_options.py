#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: frr_daemons_options
short_description: Set watchfrr's restart timeout and zebra's netlink buffer in FRR's daemons file
version_added: 0.1.0
description:
  - Sets C(-T) (restart timeout) in C(watchfrr_options) and C(-s) (netlink receive buffer) in
    C(zebra_options) of C(/etc/frr/daemons) (or C(/etc/frr/PATHSPACE/daemons)), keeping every other
    option and every other line of the file as it is.
  - Incident 000, zebra overran its netlink buffer, watchfrr ran C(restart all), and its 20 s default
    restart timeout killed the push of a large frr.conf; the daemons came back with part of their
    configuration. The C(frr_settings) preflight audit (NM-FRR-010, NM-FRR-011) says which values to set.
  - The file is rewritten atomically with a timestamped backup, owner and mode kept, every other byte
    (CRLF line ends included) as it was; a symlink is edited at its target. The file is never executed;
    the edited copy is read back by the module's own parser (the values must be the intended ones, every
    other variable unchanged) and, before a real write, checked by C(bash -n), which parses it without
    running anything. Check mode runs no command at all.
  - The options are read as the daemon's argv (as C(frrcommon.sh)'s C(eval) and C(getopt_long) split
    them). C(-T 300), C(-T300), C(--restart-timeout=300) and C(--restart-timeout 300) are changed in
    place, a C(-T) without a value gets one, and an absent option is appended.
  - FRR is not restarted unless O(restart=true); the new values apply at the next FRR start. The result
    says whether the running FRR uses other values (RV(restart_needed)).
  - An option value that uses shell expansion (C($VAR), backticks) or shell syntax, or a file whose shell
    code could set the variable, is refused with an explanation instead of being guessed at.
author:
  - netmedic.network contributors (@netmedic)
options:
  watchfrr_restart_timeout:
    description:
      - Seconds watchfrr lets a restart (including the C(vtysh -b) push of frr.conf) run before killing it
        (watchfrr C(-T), C(--restart-timeout)). FRR's default is 20.
      - Allowed range 5 to 3600. watchfrr refuses 0; under 5 s no real frr.conf loads (about 55 lines/s under
        load); above an hour a wedged restart would keep a daemon down longer than any config needs (20,000
        lines took 380 s at 53 lines/s).
    type: int
  zebra_netlink_buffer:
    description:
      - Bytes of zebra's netlink receive buffer (zebra C(-s), C(--nl-bufsize)). The binary's default is
        4194304 (4 MiB); Debian's daemons file ships 90000000.
      - Allowed range 4194304 to 1073741823. zebra calls anything under 4194304 "smaller than recommended";
        the kernel caps the buffer at 1073741823 (INT_MAX/2, which it doubles), and a value over
        2147483647 wraps to a negative int that gives zebra the smallest buffer of all.
    type: int
  pathspace:
    description:
      - FRR pathspace (C(frrinit.sh start NAME), C(vtysh -N NAME)); the file is then
        C(/etc/frr/NAME/daemons). Ignored when O(path) is given.
    type: str
  path:
    description:
      - The daemons file. Default C(ROOT/etc/frr/daemons), or C(ROOT/etc/frr/PATHSPACE/daemons).
      - A symlink is followed; the file it points to is edited.
    type: path
  root:
    description:
      - Filesystem root under which the daemons file, C(/var/run/frr) and C(/proc) are read.
        Only tests and chroots need anything but C(/); O(restart=true) needs C(/).
    type: path
    default: /
  backup:
    description:
      - Keep a timestamped copy of the old file next to it (C(daemons.YYYYmmddTHHMMSS.netmedic.bak)) before
        rewriting it. FRR never reads it, because C(frrcommon.sh) reads only C(daemons) and, for the default
        instance, C(daemons.conf), C(/etc/default/frr) and C(/etc/sysconfig/frr), each by name.
    type: bool
    default: true
  restart:
    description:
      - Restart FRR after changing the file, so that the new values apply now. A restart drops every
        routing session of the host; do it in a maintenance window.
      - Uses C(systemctl restart frr) on a systemd host without O(pathspace), otherwise
        C(/usr/lib/frr/frrinit.sh restart [PATHSPACE]) (run the module in the router's network
        namespace for a pathspace router).
      - Nothing is restarted when the file did not change.
    type: bool
    default: false
  restart_timeout:
    description:
      - Seconds to wait for the FRR restart command. Allowed range 1 to 3600 (systemd gives frr.service
        2 minutes to stop and 2 to start; frrinit.sh restart does the same two steps).
    type: int
    default: 300
  rollback:
    description:
      - With O(restart=true), read the router's health before (BGP sessions and accepted prefixes, OSPF,
        OSPFv3 and IS-IS adjacencies, route counts, the daemons running; see netmedic.network.frr_reconcile),
        watch it after the restart, and when it got worse write the previous file back, restart FRR again and
        check the running daemons use the previous values; then fail with what got worse, what was undone
        and the state now (docs/rollback.md).
      - O(rollback_window) must cover the sessions coming back after a restart (hold and connect timers).
      - Refused without O(restart=true), because the file then acts only at the next FRR start and nothing can be
        watched.
    type: bool
    default: false
requirements:
  - Python 3.8 or newer on the host (the standard library only).
  - FRR (its daemons file; C(bash), which FRR's scripts need anyway, reads it).
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - netmedic.network.rollback
attributes:
  check_mode:
    support: full
    details: Reports what would change; writes and restarts nothing.
  diff_mode:
    support: full
    details: Shows the daemons file before and after.
  platform:
    platforms: posix

notes:
  - At least one of O(watchfrr_restart_timeout) and O(zebra_netlink_buffer) is required.
  - Bad input (a number out of range, C(nan), an empty O(path) or O(root), a directory or a missing file)
    fails with the option named and nothing written.
seealso:
  - module: netmedic.network.preflight
    description: Its C(frr_settings) audit recommends the values (NM-FRR-010, NM-FRR-011).
  - module: netmedic.network.frr_reconcile
  - name: watchfrr
    description: FRR's watchdog and its restart timeout (-T).
    link: https://docs.frrouting.org/en/latest/watchfrr.html
  - name: zebra
    description: zebra's netlink receive buffer (-s).
    link: https://docs.frrouting.org/en/latest/zebra.html
"""

EXAMPLES = r"""
- name: Give watchfrr time to load a large frr.conf after a restart
  netmedic.network.frr_daemons_options:
    watchfrr_restart_timeout: 300

- name: Same for a pathspace router, and a 180 MB netlink buffer for zebra
  netmedic.network.frr_daemons_options:
    pathspace: edge1
    watchfrr_restart_timeout: 300
    zebra_netlink_buffer: 180000000

- name: Restart with the new values, and go back to the old file when a session does not come back in 120 s
  netmedic.network.frr_daemons_options:
    watchfrr_restart_timeout: 300
    restart: true
    rollback: true
    rollback_window: 120

- name: Apply the preflight's fix for NM-FRR-010 and restart FRR now (maintenance window)
  netmedic.network.frr_daemons_options:
    watchfrr_restart_timeout: 160
    restart: true
"""

RETURN = r"""
path:
  description: The daemons file.
  returned: always
  type: str
  sample: /etc/frr/daemons
changes:
  description: The option variables that changed (or would change in check mode), before and after.
  returned: always
  type: dict
  sample: {watchfrr_options: {before: null, after: "-T 300"}}
backup_file:
  description: The copy of the old file, when one was made.
  returned: when the file changed and O(backup=true)
  type: str
  sample: /etc/frr/daemons.20261121T052000.netmedic.bak
restart_needed:
  description: The running watchfrr or zebra uses other values than the file now holds; they apply at the next FRR restart.
  returned: always
  type: bool
  sample: true
running:
  description: The values the running watchfrr (C(-T)) and zebra (C(-s)) use, null when not running.
  returned: always
  type: dict
  sample: {watchfrr_restart_timeout: 20, zebra_netlink_buffer: 90000000}
restarted:
  description: Whether FRR was restarted.
  returned: always
  type: bool
  sample: false
rollback:
  description:
    - The change's record (docs/rollback.md), C(desired), C(before) and C(after) (the health, null without
      O(rollback)), C(last_result) (C(unchanged), C(would_change), C(applied), C(rolled_back),
      C(rollback_failed), C(failed)), C(watched), C(worse), C(undone), C(state_now).
  returned: always
  type: dict
  sample:
    enabled: true
    last_result: applied
    worse: []
    undone: []
    state_now: "daemons running: zebra, bgpd, watchfrr; BGP 2/2 Established"
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.netmedic.network.plugins.module_utils.core.diff import ansible_diff
from ansible_collections.netmedic.network.plugins.module_utils.core import rollback
from ansible_collections.netmedic.network.plugins.module_utils.core.params import new_module
from ansible_collections.netmedic.network.plugins.module_utils.frr.daemons_rollback import ensure
from ansible_collections.netmedic.network.plugins.module_utils.frr.settings import RANGES, Request


def main():
    module = new_module(
        AnsibleModule, dict(RANGES, **rollback.RANGES),
        argument_spec=dict(
            watchfrr_restart_timeout=dict(type="int"),
            zebra_netlink_buffer=dict(type="int"),
            pathspace=dict(type="str"),
            path=dict(type="path"),
            root=dict(type="path", default="/"),
            backup=dict(type="bool", default=True),
            restart=dict(type="bool", default=False),
            restart_timeout=dict(type="int", default=300),
            rollback=dict(type="bool", default=False),
            rollback_window=dict(type="float", default=rollback.DEFAULT_WINDOW),
            rollback_settle=dict(type="float", default=rollback.DEFAULT_SETTLE),
        ),
        required_one_of=[("watchfrr_restart_timeout", "zebra_netlink_buffer")],
        supports_check_mode=True,
    )
    p = module.params
    request = Request(watchfrr_restart_timeout=p["watchfrr_restart_timeout"],
                      zebra_netlink_buffer=p["zebra_netlink_buffer"], pathspace=p["pathspace"], path=p["path"],
                      root=p["root"], backup=p["backup"], restart=p["restart"],
                      restart_timeout=p["restart_timeout"])
    run = ensure(request, rollback.Settings.from_params(p), check_mode=module.check_mode)
    if run.error:
        module.fail_json(msg=str(run.error), rollback=run.record.to_result(), **run.error.data)
    out = run.outcome
    result = out.result()
    result["rollback"] = run.record.to_result()
    if out.changed and module._diff:
        result["diff"] = ansible_diff(out.before, out.after, out.path)
    if run.record.stop_batch:
        module.fail_json(msg=run.record.message(), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
