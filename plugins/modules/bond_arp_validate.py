#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: bond_arp_validate
short_description: Set a Linux bond's arp_validate in the running kernel and in its configuration
version_added: 0.1.0
description:
  - Sets the bonding driver's C(arp_validate) option of one, several or all
    bonds, in the running kernel (sysfs) and persistently in the configuration
    that owns the bond, which is one of ifupdown (C(bond-arp-validate) in
    C(/etc/network/interfaces) and the files it sources), NetworkManager
    keyfiles (C(arp_validate) in C([bond])), systemd-networkd C(.netdev)
    (C(ARPValidate=)), netplan (C(parameters.arp-validate)) or RHEL ifcfg
    (C(BONDING_OPTS)).
  - Written for incident 004. An active-backup bond with C(arp_ip_target) but
    C(arp_validate=none) treats B(any) frame a slave receives as proof that the
    slave is alive. A port on a dead switch that still receives broadcasts
    (there, DHCP requests from a BMC in failover LAN mode) was made active
    again and again, and the bond flapped.
  - The default value is C(all). With it the active slave counts only ARP
    replies from an C(arp_ip_target) and a backup only the ARP probes the
    active slave sends through the switches, so no stray broadcast, DHCP or
    gratuitous ARP keeps a dead port alive. The C(filter) values (Linux 3.15
    and newer) only drop non-ARP frames and accept ARP from anyone, which a BMC
    that also sends ARP would still defeat; systemd-networkd and netplan cannot
    persist them either. Use C(active) or C(filter_active) when backup slaves
    cannot see the active slave's probes (switches that do not flood ARP
    between them), because with C(all) such backups stay down.
  - Every requested bond is checked before anything is written. An unknown
    bond, a bond in 802.3ad, balance-tlb or balance-alb mode (the kernel has no
    ARP monitoring there), a value the owning backend cannot store, or an
    unreadable or unparsable configuration file fails the task and changes
    nothing.
  - The running values are written first, bond by bond (the kernel refuses a
    value it does not support, and such a value is then never persisted), then
    each configuration file once, with the edits of every bond it configures
    (two bonds in one netplan file, one interfaces file...).
  - Configuration files keep every other byte (comments, CRLF or mixed line
    endings, a last line without newline, a byte order mark), their owner and
    mode; a symlinked file is edited at its target and the link kept. They are
    replaced atomically and the old version is kept as a timestamped
    C(.netmedic.bak) copy under C(/var/backups/netmedic), mirroring the
    original path (C(/var/backups/netmedic/etc/netplan/50-bond.yaml.<stamp>.netmedic.bak)).
  - Backups never stay next to the files, because each owning tool reads its
    directory by rules a backup could match. NetworkManager loads every file
    in C(/etc/NetworkManager/system-connections) except hidden ones and names
    ending in C(~), C(.swp), C(.swpx), C(.pem), C(.der), C(.nmmeta) or a
    mkstemp suffix, so a C(.bak) copy there is a second profile;
    C(source interfaces.d/*) (ifupdown) reads every file there;
    systemd-networkd reads only C(*.netdev), C(*.network), C(*.link) and
    drop-ins C(*.d/*.conf); netplan reads only C(*.yaml); initscripts and
    NetworkManager's ifcfg-rh read only C(ifcfg-*) names and skip C(~),
    C(.bak), C(.old), C(.orig), C(.rpmnew), C(.rpmorig), C(.rpmsave),
    C(.rej), C(.augnew), C(.augtmp). The module finds the configuration by
    the same rules; backups an older version left in
    C(/etc/NetworkManager/system-connections) are reported in a warning.
  - ifcfg files are read as bash reads them (single, double and C($'...')
    quoting, empty values such as C(HWADDR=), trailing comments); a value that
    needs a shell to evaluate fails the task only on a line the module needs
    (C(DEVICE), C(BONDING_OPTS)). netplan files are edited in block style; an
    empty flow mapping C({}) on the way to the value (the bond or its
    C(parameters) written as C({})) is opened into block style, other flow style is refused only where it may
    hold the bond.
author:
  - netmedic.network contributors (@netmedic)
options:
  bonds:
    description:
      - Names of the bonds to change. Each must exist.
      - Empty means every bond that uses ARP monitoring (C(arp_interval) above
        0) in a mode that supports it; the others are returned in C(left_alone).
    type: list
    elements: str
    default: []
  value:
    description:
      - The C(arp_validate) value to set. See the description for why C(all) is
        the default.
      - C(none) turns validation off, which is refused on an active-backup bond
        that is up unless O(force=true).
    type: str
    default: all
    choices: [none, active, backup, all, filter, filter_active, filter_backup]
  force:
    description:
      - Allow turning validation off (O(value=none)) on an active-backup bond
        that is up. Kernels before Linux 5.2 (commit a9b8a2b39ce6, May 2019)
        then mark every slave down, which is a full outage of the bond.
    type: bool
    default: false
  runtime:
    description: Change the running kernel's value (sysfs).
    type: bool
    default: true
  persist:
    description:
      - Change the configuration that owns the bond, so the value survives a
        reboot or a restart of the network stack.
      - The task fails when no configuration for the bond is found (for bonds
        built by scripts set this to false).
    type: bool
    default: true
  backend:
    description:
      - Which configuration owns the bonds. C(auto) looks in every known place
        and fails when none or several configure a bond.
    type: str
    default: auto
    choices: [auto, ifupdown, networkmanager, networkd, netplan, ifcfg]
  backup:
    description: Keep a timestamped copy of each configuration file before changing it.
    type: bool
    default: true
  reload:
    description:
      - After changing a file, make its owner read it again where that is
        harmless on a live host, so an unrelated later reload does not revert
        the running value. NetworkManager - C(nmcli connection load FILE)
        (when NetworkManager runs); netplan - C(netplan generate). Nothing is
        restarted or re-applied; the running value is set through sysfs.
      - Only when O(root) is C(/).
    type: bool
    default: true
  root:
    description:
      - Filesystem root under which C(/sys), C(/etc) and C(/var/backups) are
        read and written. Only tests and chroots need anything but C(/). It
        must be an existing directory given as an absolute path; an empty
        value is refused (it does not mean C(/)). Symlinks under it are
        followed as the running kernel follows them (an absolute link points
        outside a chroot).
    type: path
    default: /
  rollback:
    description:
      - Watch the changed bonds after the change and undo it when they got worse (docs/rollback.md).
      - Worse is a bond that had an active slave (active-backup) and has none, had a slave up and has none
        (other modes), or was up and is down, when the health has not held for O(rollback_settle) seconds
        within O(rollback_window). A slave going down alone is not worse (validation is meant to do that).
      - The undo writes each bond's previous runtime value back and the previous text of each changed file
        (its backup), reads both back and runs the reload step again; then the task fails with what got
        worse, what was undone and the state now (RV(rollback)).
      - Only the running kernel is watched; with O(runtime=false) there is nothing to watch.
      - In check mode, the C(watched) list of RV(rollback) says what would be watched.
    type: bool
    default: false
requirements:
  - Python 3.8 or newer on the host (the standard library only).
  - The Linux bonding driver (C(/sys/class/net/BOND/bonding)).
  - C(nmcli) for O(backend=networkmanager) and C(netplan) for O(backend=netplan) when O(reload=true).
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - netmedic.network.rollback
attributes:
  check_mode:
    support: full
    details: Reports what would change in the kernel and in which files, and writes nothing.
  diff_mode:
    support: full
    details: Shows the sysfs value before and after and a diff of each configuration file.
  platform:
    platforms: posix

notes:
  - The netmedic.network.preflight audit C(bond) reports bonds that need
    this module (check ids C(NM-BOND-001) to C(NM-BOND-005)).
seealso:
  - module: netmedic.network.preflight
    description: Its C(bond) audit finds the bonds this module fixes (NM-BOND-001 to NM-BOND-005).
  - module: netmedic.network.bmc_lan_mode
    description: The other half of incident 004, the BMC whose DHCP broadcasts kept a dead port alive.
  - name: Linux bonding driver documentation (arp_validate)
    description: What each value validates or filters.
    link: https://www.kernel.org/doc/html/latest/networking/bonding.html
"""

EXAMPLES = r"""
- name: Validate ARP on every bond that uses ARP monitoring (incident 004)
  netmedic.network.bond_arp_validate:

- name: One bond, persisted through its netplan file, showing what changes
  netmedic.network.bond_arp_validate:
    bonds: [bond0]
    value: all
    backend: netplan
  check_mode: true
  diff: true

- name: Validate ARP on bond0, and undo it when bond0 loses its active slave within 30 s
  netmedic.network.bond_arp_validate:
    bonds: [bond0]
    rollback: true
    rollback_window: 30
  register: bond_change
  # bond_change.rollback.last_result: applied, rolled_back or rollback_failed (the task fails on both)

- name: Only the running kernel, for a bond built by a script
  netmedic.network.bond_arp_validate:
    bonds: [bond1]
    value: filter_backup
    persist: false
"""

RETURN = r"""
bonds:
  description: One entry per bond worked on.
  returned: always
  type: list
  elements: dict
  contains:
    name: {description: Bond name., type: str, sample: bond0}
    mode: {description: Bonding mode., type: str, sample: active-backup}
    arp_interval: {description: "ARP monitoring interval in ms (0 is off).", type: int, sample: 1000}
    arp_ip_target: {description: ARP targets., type: list, elements: str, sample: [192.0.2.1]}
    before: {description: Runtime arp_validate before the task., type: str, sample: none}
    after: {description: "Runtime arp_validate after the task (in check mode, what it would be).", type: str, sample: all}
    runtime_changed: {description: "Whether the kernel value changed (or would change).", type: bool, sample: true}
    backend: {description: "The configuration that owns the bond (null when O(persist=false)).", type: str, sample: ifupdown}
    persisted_before: {description: "The value the configuration applied before (C(none) when unset).", type: str, sample: none}
    files:
      description: Files changed (or that would change), with their backup and a unified diff.
      type: list
      elements: dict
      sample:
        - path: /etc/network/interfaces
          changed: true
          backup: /var/backups/netmedic/etc/network/interfaces.20260101T120000.netmedic.bak
          diff: "--- /etc/network/interfaces (before)\n+++ ..."
    changed: {description: Whether anything changed for this bond., type: bool, sample: true}
  sample:
    - name: bond0
      mode: active-backup
      arp_interval: 1000
      arp_ip_target: [192.0.2.1]
      before: none
      after: all
      runtime_changed: true
      backend: ifupdown
      persisted_before: none
      files:
        - path: /etc/network/interfaces
          changed: true
          backup: /var/backups/netmedic/etc/network/interfaces.20260101T120000.netmedic.bak
          diff: "--- /etc/network/interfaces (before)\n+++ ..."
      changed: true
left_alone:
  description: Bonds left alone when O(bonds) is empty, with the reason.
  returned: always
  type: list
  elements: dict
  sample:
    - {name: bond2, reason: mode 802.3ad has no ARP monitoring}
reloaded:
  description: Commands run after persisting (O(reload)).
  returned: always
  type: list
  elements: str
  sample: ["nmcli connection load /etc/NetworkManager/system-connections/bond0.nmconnection"]
rollback:
  description:
    - The change's record (docs/rollback.md). C(desired) what was asked; C(before) and C(after) the bonds'
      health (active slave, each slave's mii_status, state and link_failure_count), null without O(rollback);
      C(last_result) one of C(unchanged), C(would_change), C(applied), C(rolled_back), C(rollback_failed),
      C(failed); C(watched), C(worse), C(undone), C(state_now), C(detected_after), C(healthy_after),
      C(watch_seconds), C(undo_error).
  returned: always
  type: dict
  sample:
    enabled: true
    desired: {bonds: [bond0], arp_validate: all, runtime: true, persist: true}
    last_result: rolled_back
    worse: ["bond bond0 has no active slave (before: eth0; slaves now: eth0 down, eth1 down)"]
    undone: ["bond0 arp_validate back to none (read back)", "/etc/network/interfaces restored as it was"]
    state_now: "bond0 arp_validate=none, active slave eth0, slaves eth0 up, eth1 up; back as before the change"
    detected_after: 5.1
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.netmedic.network.plugins.module_utils.bond.arp_validate import Request
from ansible_collections.netmedic.network.plugins.module_utils.bond.rollback import ensure
from ansible_collections.netmedic.network.plugins.module_utils.bond.persist import BACKEND_NAMES
from ansible_collections.netmedic.network.plugins.module_utils.bond.sysfs import ARP_VALIDATE_VALUES
from ansible_collections.netmedic.network.plugins.module_utils.core import rollback
from ansible_collections.netmedic.network.plugins.module_utils.core.params import new_module


def main():
    module = new_module(
        AnsibleModule, rollback.RANGES,
        argument_spec=dict(
            bonds=dict(type="list", elements="str", default=[]),
            value=dict(type="str", default="all", choices=list(ARP_VALIDATE_VALUES)),
            force=dict(type="bool", default=False),
            runtime=dict(type="bool", default=True),
            persist=dict(type="bool", default=True),
            backend=dict(type="str", default="auto", choices=["auto"] + list(BACKEND_NAMES)),
            backup=dict(type="bool", default=True),
            reload=dict(type="bool", default=True),
            root=dict(type="path", default="/"),
            rollback=dict(type="bool", default=False),
            rollback_window=dict(type="float", default=rollback.DEFAULT_WINDOW),
            rollback_settle=dict(type="float", default=rollback.DEFAULT_SETTLE),
        ),
        supports_check_mode=True,
    )
    p = module.params
    request = Request(bonds=p["bonds"], value=p["value"], force=p["force"], runtime=p["runtime"],
                      persist=p["persist"], backend=p["backend"], backup=p["backup"], reload=p["reload"],
                      root=p["root"])
    run = ensure(request, rollback.Settings.from_params(p), check_mode=module.check_mode)
    if run.error:
        module.fail_json(msg=str(run.error), rollback=run.record.to_result(), **run.error.result())
    out = run.outcome
    for warning in out.warnings:
        module.warn(warning)
    result = dict(changed=out.changed, bonds=out.bonds(), left_alone=out.left_alone, reloaded=out.reloaded,
                  rollback=run.record.to_result())
    if module._diff:
        result["diff"] = out.diffs()
    if run.record.stop_batch:
        module.fail_json(msg=run.record.message(), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
