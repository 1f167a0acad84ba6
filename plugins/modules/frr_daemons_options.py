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
  - The file is rewritten atomically with a timestamped backup, owner and mode kept. Before the rewrite
    the new file is sourced by C(bash) (as C(frrcommon.sh) does) to check that it still parses and gives
    the intended values.
  - FRR is not restarted unless O(restart=true); the new values apply at the next FRR start. The result
    says whether the running FRR uses other values (RV(restart_needed)).
  - An option value that uses shell expansion (C($VAR), backticks) is refused with an explanation
    instead of being guessed at.
author:
  - netmedic.network contributors (@netmedic)
options:
  watchfrr_restart_timeout:
    description:
      - Seconds watchfrr lets a restart (including the C(vtysh -b) push of frr.conf) run before killing it
        (watchfrr C(-T), C(--restart-timeout)). FRR's default is 20.
      - Allowed range 5 to 3600.
    type: int
  zebra_netlink_buffer:
    description:
      - Bytes of zebra's netlink receive buffer (zebra C(-s), C(--nl-bufsize)). The binary's default is
        4194304 (4 MiB); Debian's daemons file ships 90000000.
      - Allowed range 1048576 to 2147483647.
    type: int
  pathspace:
    description:
      - FRR pathspace (C(frrinit.sh start NAME), C(vtysh -N NAME)); the file is then
        C(/etc/frr/NAME/daemons). Ignored when O(path) is given.
    type: str
  path:
    description: The daemons file. Default C(/etc/frr/daemons), or C(/etc/frr/PATHSPACE/daemons).
    type: path
  backup:
    description: Keep a timestamped copy of the old file next to it before rewriting it.
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
    description: Seconds to wait for the FRR restart command.
    type: int
    default: 300
attributes:
  check_mode:
    support: full
    description: Reports what would change; writes and restarts nothing.
  diff_mode:
    support: full
    description: Shows the daemons file before and after.
notes:
  - At least one of O(watchfrr_restart_timeout) and O(zebra_netlink_buffer) is required.
  - Managed hosts need only Python 3.8+ and the standard library (and C(bash), which FRR needs anyway).
seealso:
  - module: netmedic.network.preflight
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
"""

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.netmedic.network.plugins.module_utils import fileops
from ansible_collections.netmedic.network.plugins.module_utils import frr_daemons as fd
from ansible_collections.netmedic.network.plugins.module_utils.runner import CommandError, Runner

FRRINIT = "/usr/lib/frr/frrinit.sh"


def _running(pathspace):
    out = {"watchfrr_restart_timeout": None, "zebra_netlink_buffer": None}
    for daemon, key, opt, default in (("watchfrr", "watchfrr_restart_timeout", fd.WATCHFRR_TIMEOUT_OPT,
                                       fd.WATCHFRR_RESTART_TIMEOUT_DEFAULT),
                                      ("zebra", "zebra_netlink_buffer", fd.ZEBRA_BUFSIZE_OPT,
                                       fd.ZEBRA_NL_BUFSIZE_DEFAULT)):
        p = fd.daemon_process("/", pathspace, daemon)
        if p.running:
            try:
                value = fd.option_value(" ".join(p.argv[1:]), opt)
                out[key] = int(value) if value is not None else default
            except (ValueError, fd.DaemonsFileError):
                out[key] = None
    return out


def _file_values(text):
    a = fd.parse_assignments(text)
    t = fd.option_value(fd.daemon_options(a, "watchfrr"), fd.WATCHFRR_TIMEOUT_OPT)
    s = fd.option_value(fd.daemon_options(a, "zebra"), fd.ZEBRA_BUFSIZE_OPT)
    return {"watchfrr_restart_timeout": int(t) if t and t.isdigit() else fd.WATCHFRR_RESTART_TIMEOUT_DEFAULT,
            "zebra_netlink_buffer": int(s) if s and s.isdigit() else fd.ZEBRA_NL_BUFSIZE_DEFAULT}


def _restart_argv(pathspace):
    if not pathspace and os.path.isdir("/run/systemd/system"):
        return ["systemctl", "restart", "frr"]
    return [FRRINIT, "restart"] + ([pathspace] if pathspace else [])


def main():
    module = AnsibleModule(
        argument_spec=dict(
            watchfrr_restart_timeout=dict(type="int"),
            zebra_netlink_buffer=dict(type="int"),
            pathspace=dict(type="str"),
            path=dict(type="path"),
            backup=dict(type="bool", default=True),
            restart=dict(type="bool", default=False),
            restart_timeout=dict(type="int", default=300),
        ),
        required_one_of=[("watchfrr_restart_timeout", "zebra_netlink_buffer")],
        supports_check_mode=True,
    )
    p = module.params
    t, s = p["watchfrr_restart_timeout"], p["zebra_netlink_buffer"]
    if t is not None and not 5 <= t <= 3600:
        module.fail_json(msg="watchfrr_restart_timeout must be between 5 and 3600 seconds, not %d" % t)
    if s is not None and not 1048576 <= s <= 2147483647:
        module.fail_json(msg="zebra_netlink_buffer must be between 1048576 (1 MiB) and 2147483647 bytes, not %d" % s)
    if p["restart_timeout"] <= 0:
        module.fail_json(msg="restart_timeout must be a positive number of seconds")
    try:
        pathspace = fd.check_pathspace(p["pathspace"])
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    path = p["path"] or os.path.join(fd.etc_dir("/", pathspace), "daemons")

    try:
        before = fileops.read_text(path)
        after, changes = fd.plan_options(before, t, s)
    except (fileops.FileOpError, fd.DaemonsFileError) as exc:
        module.fail_json(msg="cannot edit FRR's daemons file: %s" % exc, path=path)

    runner = Runner(timeout=30)
    result = dict(changed=bool(changes), path=path, changes=changes, restarted=False)
    if changes:
        # the new file must still be a shell fragment that gives the values we meant
        fdesc, tmp = tempfile.mkstemp(prefix="netmedic-daemons-", suffix=".check")
        try:
            with os.fdopen(fdesc, "w", encoding="utf-8") as fh:
                fh.write(after)
            wf, zb = fd.shell_values(runner, tmp)
        except (OSError, CommandError, fd.DaemonsFileError) as exc:
            module.fail_json(msg="the edited daemons file did not pass the bash check, nothing written: %s" % exc,
                             path=path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        expect = fd.parse_assignments(after)
        for var, got in (("watchfrr_options", wf), ("zebra_options", zb)):
            if var in changes and got != expect[var].value:
                module.fail_json(msg="the edited daemons file gives %s=%r under bash, expected %r; nothing written"
                                 % (var, got, expect[var].value), path=path)
        if module._diff:
            result["diff"] = fileops.ansible_diff(before, after, path)
        if not module.check_mode:
            try:
                saved = fileops.write_atomic(path, after, backup=p["backup"])
            except fileops.FileOpError as exc:
                module.fail_json(msg="cannot write FRR's daemons file: %s" % exc, path=path)
            if saved:
                result["backup_file"] = saved

    running = _running(pathspace)
    wanted = _file_values(after)
    result["running"] = running
    result["restart_needed"] = any(running[k] is not None and running[k] != wanted[k] for k in running)
    if p["restart"] and changes and not module.check_mode:
        argv = _restart_argv(pathspace)
        try:
            res = runner(argv, timeout=p["restart_timeout"])
        except CommandError as exc:
            module.fail_json(msg="the daemons file was changed but the FRR restart failed: %s" % exc, **result)
        if not res.ok:
            module.fail_json(msg="the daemons file was changed but the FRR restart failed: %s" % res.describe(),
                             **result)
        result["restarted"] = True
        result["running"] = _running(pathspace)
        result["restart_needed"] = any(result["running"][k] is not None and result["running"][k] != wanted[k]
                                       for k in running)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
