#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: bmc_lan_mode
short_description: Read or set a BMC's LAN interface mode (dedicated, shared, failover)
version_added: 0.1.0
description:
  - Reads the LAN interface mode of a BMC and, when O(mode) is given and differs, sets it and
    reads it back to verify.
  - Incident 004, a Supermicro BMC in its factory "failover" mode moved onto the host's shared NIC when
    its dedicated port lost link, sent DHCP there and made the host's active-backup bond flap.
  - The vendor comes from C(ipmitool mc info) (manufacturer id). Supermicro (10876 and 47488) X9 and
    later use C(raw 0x30 0x70 0x0c 0) to read and C(raw 0x30 0x70 0x0c 1 <mode>) to set; the X8 form
    C(0x0c 0 0 0) is read but never written (its public sources disagree).
  - Dell (674) 11G, 12G and 13G use C(ipmitool delloem lan get) and C(lan set) (both lines of the 12G/13G
    output are read); 14G and later (iDRAC9) use C(raw 0x30 0x29) and C(raw 0x30 0x28). Lenovo/IBM
    IMM and XCC (19046, 20301; 2 read only) use the OEM LAN parameter 0xC0. Intel (343) is reported per
    LAN channel and never written.
  - Every read says the vendor, the generation, the command form and why (RV(board_generation),
    RV(form), RV(why)); see the table in docs/bmc.md.
  - Any other vendor (HPE iLO included), or a BMC that answers "invalid command" (0xc1), gives mode
    C(unknown), a warning, no write and no failure. A mode netmedic does not write on a board (the
    Supermicro X8 form, a Dell blade's shared mode, Intel) fails with the reason and writes nothing.
  - In-band (O(interface=open), the default) talks to the local BMC through C(/dev/ipmi0).
    Out-of-band (O(interface=lanplus)) talks IPMI 2.0 over the network; then a change is refused unless
    O(allow_remote_change=true), and after it the module polls until the BMC answers again.
  - The password never appears on a command line, in the process table or in results. It is handed to
    ipmitool in its environment (C(-E)) or read by ipmitool from O(password_file).
author:
  - netmedic.network contributors (@netmedic)
options:
  mode:
    description:
      - The LAN interface mode the BMC should be in. C(dedicated) uses only the BMC's own port;
        C(shared) uses the host's first onboard NIC; C(failover) uses the dedicated port while it has
        link and moves to the shared NIC when it does not.
      - Omit to only read the mode.
    type: str
    choices: [dedicated, shared, failover]
  interface:
    description:
      - C(open) is in-band, through the local C(/dev/ipmi0) (kernel modules ipmi_si and ipmi_devintf).
      - C(lanplus) is out-of-band IPMI 2.0 over the network to O(host).
    type: str
    choices: [open, lanplus]
    default: open
  host:
    description: Address of the BMC. Required with O(interface=lanplus).
    type: str
  port:
    description: UDP port of the BMC's IPMI service (1-65535).
    type: int
    default: 623
  user:
    description: BMC account. Required with O(interface=lanplus).
    type: str
  password:
    description:
      - Password of O(user), from a vault or the inventory. Handed to ipmitool in the environment
        (C(IPMI_PASSWORD) with C(-E)), never on its command line.
      - Mutually exclusive with O(password_file).
    type: str
  password_file:
    description:
      - A file on the host running the module holding the password on its first line (ipmitool C(-f)).
        Keep it mode 0600.
    type: path
  privilege:
    description:
      - Session privilege asked for at login over O(interface=lanplus) (ipmitool C(-L)). ipmitool asks
        for ADMINISTRATOR by default, and reading a Supermicro LAN mode needs it; an account without it
        is refused at login ("invalid role") unless a lower level is asked for.
    type: str
    choices: [ADMINISTRATOR, OPERATOR, USER]
    default: ADMINISTRATOR
  cipher_suite:
    description:
      - IPMI 2.0 cipher suite (ipmitool C(-C)). Pinned because without it ipmitool probes cipher suites
        and every call costs about 10 seconds. 3 (HMAC-SHA1, AES-128) is what most BMCs offer;
        use 17 on BMCs that require SHA-256. Between 0 and 17.
    type: int
    default: 3
  allow_remote_change:
    description:
      - Over O(interface=lanplus), changing the mode can cut the very path the play is using (moving
        the BMC to a port that is not cabled or not in the management network). The module refuses
        unless this is true. It has no effect in-band.
    type: bool
    default: false
  generation:
    description:
      - Supermicro command form. C(auto) decides from the board's answer to the X9 form and its product
        id (an X8-family product id is never written); it falls back to reading the X8 form when the BMC
        refuses the short request. C(x9) says the board is X9 or later (X10, X11, X12, H11...), C(x8)
        reads the X8 form (never written).
    type: str
    choices: [auto, x9, x8]
    default: auto
  command_timeout:
    description:
      - Seconds each ipmitool call may take before it is stopped and the task fails clearly.
      - A finite number between 0.001 and 86400; anything else fails before ipmitool runs.
    type: float
    default: 15
  reconnect_timeout:
    description:
      - Over O(interface=lanplus), seconds to wait after a change for the BMC to answer again before
        failing.
      - A finite number between 0.001 and 86400; anything else fails before ipmitool runs.
    type: float
    default: 60
  rollback:
    description:
      - Read the BMC's health (does it answer over the channel used, its LAN mode, its GUID) before the change,
        watch it after, and set the previous mode back when the BMC stopped answering (docs/rollback.md).
      - The previous mode goes back through the path that still answers, in-band first (C(ipmitool -I open) on
        the host running the module, only when that BMC's C(mc guid) is the GUID of the BMC changed), then the
        channel used; it is read back through the same path. Then the task fails with what got worse, what was
        undone and the state now (RV(rollback)); with no path answering it says what the BMC was set to.
      - The BMC may take O(reconnect_timeout) to answer again; the watch after that lasts at most
        O(rollback_window) and ends once the BMC answered for O(rollback_settle) seconds.
      - In check mode, the C(watched) list of RV(rollback) says what would be watched.
    type: bool
    default: false
requirements:
  - Python 3.8 or newer on the host running the module (the standard library only).
  - ipmitool on that host.
  - In-band (O(interface=open)) - the C(ipmi_devintf) and C(ipmi_si) kernel modules (C(/dev/ipmi0)) and root
    (the bmc role becomes).
seealso:
  - module: netmedic.network.preflight
    description: Its C(bmc) audit finds a BMC in the wrong mode (NM-BMC-001).
  - module: netmedic.network.bond_arp_validate
    description: The other half of incident 004, the bonds the BMC's DHCP broadcasts made flap.
  - name: ipmitool
    description: The IPMI tool the module runs.
    link: https://github.com/ipmitool/ipmitool
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - netmedic.network.rollback
attributes:
  check_mode:
    support: full
    details: Reads the mode and reports what would change; writes nothing.
  diff_mode:
    support: full
    details: Shows the mode before and after.
  platform:
    platforms: posix

notes:
  - On Dell, O(mode=shared) is a shared LOM without failover (the iDRAC's LOM, LOM1 from dedicated) and
    O(mode=failover) a shared LOM with failover to all LOMs; Dell's failover is between host LOMs. A set
    refused for a licence (FM001) exits 0 in ipmitool; the module reads back and fails with that reason.
  - For out-of-band use run the module where ipmitool can reach the BMC, usually with
    C(delegate_to) a management host.
  - C(/proc/PID/environ), where the password lives while ipmitool runs, is readable only by the same
    user and root, unlike C(/proc/PID/cmdline).
"""

EXAMPLES = r"""
- name: Put the local BMC in dedicated mode (in-band, the safe way)
  netmedic.network.bmc_lan_mode:
    mode: dedicated

- name: Only read the mode
  netmedic.network.bmc_lan_mode:
  register: bmc

- name: Out-of-band from a management host, change allowed because the dedicated port is cabled
  netmedic.network.bmc_lan_mode:
    mode: dedicated
    interface: lanplus
    host: "{{ bmc_address }}"
    user: "{{ vault_bmc_user }}"
    password: "{{ vault_bmc_password }}"
    allow_remote_change: true
  delegate_to: mgmt01

- name: The same run on the host itself, setting the mode back in-band when the BMC stops answering
  netmedic.network.bmc_lan_mode:
    mode: dedicated
    interface: lanplus
    host: "{{ bmc_address }}"
    user: "{{ vault_bmc_user }}"
    password: "{{ vault_bmc_password }}"
    allow_remote_change: true
    rollback: true
    rollback_window: 30
"""

RETURN = r"""
mode:
  description: The LAN interface mode now (after a change), or C(unknown).
  returned: always
  type: str
  sample: dedicated
previous_mode:
  description: The mode before the module ran.
  returned: always
  type: str
  sample: failover
supported:
  description: Whether netmedic could read the mode of this BMC.
  returned: always
  type: bool
  sample: true
reason:
  description: Why the mode is unknown (unsupported vendor, "invalid command"...), else null.
  returned: always
  type: str
  sample: null
vendor:
  description: C(supermicro), C(dell), C(lenovo), C(intel), C(hpe) or C(other), from the manufacturer id.
  returned: always
  type: str
  sample: supermicro
manufacturer_id:
  description: IANA manufacturer id from C(ipmitool mc info).
  returned: always
  type: int
  sample: 10876
manufacturer_name:
  description: Manufacturer name as ipmitool prints it.
  returned: always
  type: str
  sample: Super Micro Computer Inc.
product_id:
  description: Product id from C(ipmitool mc info), if any.
  returned: always
  type: int
  sample: 2359
method:
  description: The command family used, C(supermicro-x9), C(supermicro-x8), C(dell), C(dell-11g), C(dell-raw),
    C(lenovo), C(intel), or null.
  returned: always
  type: str
  sample: supermicro-x9
board_generation:
  description: The board's generation as netmedic decided it (C(X11, X9+ command form), C(13G (iDRAC8)), ...).
  returned: always
  type: str
  sample: X9 or later
form:
  description: The ipmitool command that read the mode.
  returned: always
  type: str
  sample: ipmitool raw 0x30 0x70 0x0c 0x00
why:
  description: Why this generation and this command form (the evidence, one sentence).
  returned: always
  type: str
  sample: "manufacturer id 47488 (Supermicro ...); the board answered the X9+ get with one byte, 02 = failover"
detail:
  description: The vendor's own words for the setting (C(shared with lom1, failover to all loms)), or null.
  returned: always
  type: str
  sample: null
settable:
  description: The modes netmedic writes on this board.
  returned: always
  type: list
  elements: str
  sample: [dedicated, shared, failover]
raw:
  description: The BMC's answer to the mode query as ipmitool printed it (after a change, the re-read).
  returned: always
  type: str
  sample: "00"
reconnect_seconds:
  description: Over lanplus after a change, seconds until the BMC answered again; else null.
  returned: always
  type: float
  sample: 0.05
rollback:
  description:
    - The change's record (docs/rollback.md). C(desired) the mode and channel; C(before) and C(after) the
      health (answers, mode, guid, error), null without O(rollback); C(last_result) one of C(unchanged),
      C(would_change), C(applied), C(rolled_back), C(rollback_failed), C(failed); C(watched), C(worse),
      C(undone), C(state_now), C(detected_after), C(healthy_after), C(watch_seconds), C(undo_error).
  returned: always
  type: dict
  sample:
    enabled: true
    last_result: rolled_back
    worse: ["the BMC stopped answering over lanplus after the change"]
    undone: ["mode failover set back in-band and read back"]
    state_now: "answers over lanplus; mode failover (as before the change)"
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.netmedic.network.plugins.module_utils.bmc.lan import RANGES
from ansible_collections.netmedic.network.plugins.module_utils.bmc.parse import MODES
from ansible_collections.netmedic.network.plugins.module_utils.bmc.rollback import ensure
from ansible_collections.netmedic.network.plugins.module_utils.bmc.tool import Ipmitool, Target, password_file_problems
from ansible_collections.netmedic.network.plugins.module_utils.core import rollback
from ansible_collections.netmedic.network.plugins.module_utils.core.params import new_module


def main():
    module = new_module(
        AnsibleModule, dict(RANGES, **rollback.RANGES),
        argument_spec=dict(
            mode=dict(type="str", choices=list(MODES)),
            interface=dict(type="str", choices=["open", "lanplus"], default="open"),
            host=dict(type="str"),
            port=dict(type="int", default=623),
            user=dict(type="str"),
            password=dict(type="str", no_log=True),
            password_file=dict(type="path", no_log=False),
            privilege=dict(type="str", choices=["ADMINISTRATOR", "OPERATOR", "USER"], default="ADMINISTRATOR"),
            cipher_suite=dict(type="int", default=3),
            allow_remote_change=dict(type="bool", default=False),
            generation=dict(type="str", choices=["auto", "x9", "x8"], default="auto"),
            command_timeout=dict(type="float", default=15.0),
            reconnect_timeout=dict(type="float", default=60.0),
            rollback=dict(type="bool", default=False),
            rollback_window=dict(type="float", default=rollback.DEFAULT_WINDOW),
            rollback_settle=dict(type="float", default=rollback.DEFAULT_SETTLE),
        ),
        mutually_exclusive=[("password", "password_file")],
        supports_check_mode=True,
    )
    p = module.params
    target = Target(interface=p["interface"], host=p["host"], port=p["port"], user=p["user"],
                    password=p["password"], password_file=p["password_file"], cipher_suite=p["cipher_suite"],
                    privilege=p["privilege"])
    problems = target.problems()
    if target.remote and p["password_file"] is not None:
        problems += password_file_problems(p["password_file"])
    if problems:
        module.fail_json(msg="; ".join(problems) + ". Nothing was done.")

    tool = Ipmitool(target, timeout=p["command_timeout"])
    run = ensure(tool, p["mode"], rollback.Settings.from_params(p), check_mode=module.check_mode,
                 allow_remote_change=p["allow_remote_change"], reconnect_timeout=p["reconnect_timeout"],
                 generation=p["generation"])
    if run.outcome is None:
        extra = reading_fields(run.reading) if run.reading is not None else {}
        module.fail_json(msg=tool.scrub(run.error), rollback=run.record.to_result(), **extra)
    out = run.outcome
    for warning in out.warnings:
        module.warn(tool.scrub(warning))
    before, after = out.before, out.after
    result = reading_fields(before)
    result.update(changed=out.changed, mode=after.mode, previous_mode=before.mode, detail=after.detail,
                  raw=after.raw, reconnect_seconds=out.reconnect_seconds, rollback=run.record.to_result())
    if module._diff:
        result["diff"] = dict(before=diff_text(before), after=diff_text(after),
                              before_header="%s LAN interface" % target.describe(),
                              after_header="%s LAN interface" % target.describe())
    if run.error:
        module.fail_json(msg=tool.scrub(run.error), **result)
    module.exit_json(**result)


def reading_fields(reading):
    """The result fields that say what was read and how (vendor, generation, command form, why)."""
    return dict(mode=reading.mode, supported=reading.known, reason=reading.reason, vendor=reading.vendor,
                manufacturer_id=reading.manufacturer_id, manufacturer_name=reading.manufacturer_name,
                product_id=reading.product_id, method=reading.method, board_generation=reading.generation,
                form=reading.form, why=reading.why, detail=reading.detail, settable=list(reading.settable),
                raw=reading.raw)


def diff_text(reading):
    return "mode: %s\n" % reading.mode + ("detail: %s\n" % reading.detail if reading.detail else "")


if __name__ == "__main__":
    main()
