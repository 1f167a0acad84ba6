# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A bond's health for rollback (issue 16): active slave, each slave's link state, link failures.

Read-only, from sysfs only (under the module's ``root``): ``bonding/active_slave``,
``operstate`` and, per slave, ``bonding_slave/mii_status`` (with ARP
monitoring the ARP monitor sets it: a slave whose probes go unanswered is
``down``), ``bonding_slave/state`` (active/backup) and
``bonding_slave/link_failure_count`` (Linux 3.13+, Documentation/ABI/testing/sysfs-class-net).

Worse, for a bond that was working before the change:

* it had an active slave (active-backup) and has none now (every slave
  down: ``arp_validate all`` with an ``arp_ip_target`` that does not
  answer);
* some slave was up and none is now (the other modes);
* the bond itself was up and is down now.

A slave going down is not worse by itself: that is what validation is for
(incident 004's dead-switch port must go down).

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

from typing import Any, Dict, List, Sequence

from ansible_collections.netmedic.network.plugins.module_utils.bond.sysfs import BondError, read_bond
from ansible_collections.netmedic.network.plugins.module_utils.core.health import Health, HealthError
from ansible_collections.netmedic.network.plugins.module_utils.core.sysfs import Sysfs, SysfsError


def slave_state(sysfs: Sysfs, slave: str) -> Dict[str, Any]:
    base = ("sys", "class", "net", slave, "bonding_slave")
    return {"mii_status": sysfs.read(*(base + ("mii_status",))),
            "state": sysfs.read(*(base + ("state",))),
            "link_failure_count": sysfs.read_int(*(base + ("link_failure_count",)), default=0)}


def bond_state(sysfs: Sysfs, name: str) -> Dict[str, Any]:
    try:
        bond = read_bond(sysfs, name)
        slaves = {s: slave_state(sysfs, s) for s in bond.slaves}
    except (BondError, SysfsError) as exc:
        raise HealthError(str(exc)) from None
    return {"mode": bond.mode, "operstate": bond.operstate, "arp_validate": bond.arp_validate,
            "active_slave": bond.active_slave, "slaves": slaves,
            "slaves_up": sorted(s for s, st in slaves.items() if st["mii_status"] == "up")}


def _up(state: Dict[str, Any]) -> bool:
    return state.get("operstate") in ("up", "unknown")


class BondHealth(Health):
    """The health of the bonds a bond_arp_validate run changes."""

    def __init__(self, sysfs: Sysfs, bonds: Sequence[str]):
        self.sysfs = sysfs
        self.bonds = list(bonds)

    def snapshot(self) -> Dict[str, Any]:
        return {name: bond_state(self.sysfs, name) for name in self.bonds}

    def compare(self, before: Dict[str, Any], after: Dict[str, Any]) -> List[str]:
        worse = []
        for name, was in before.items():
            now = after.get(name)
            if now is None:
                worse.append("bond %s is gone" % name)
            elif was.get("active_slave") and not now.get("active_slave"):
                worse.append("bond %s has no active slave (before: %s; slaves now: %s)"
                             % (name, was["active_slave"], _slaves(now)))
            elif was.get("slaves_up") and not now.get("slaves_up"):
                worse.append("bond %s has no slave up (before: %s; now: %s)"
                             % (name, ", ".join(was["slaves_up"]), _slaves(now)))
            elif _up(was) and not _up(now):
                worse.append("bond %s is %s (before: %s)" % (name, now.get("operstate"), was.get("operstate")))
        return worse

    def watched(self, before: Dict[str, Any]) -> List[str]:
        out = []
        for name, was in before.items():
            if was.get("active_slave"):
                out.append("bond %s keeps an active slave (now %s)" % (name, was["active_slave"]))
            elif was.get("slaves_up"):
                out.append("bond %s keeps a slave up (now %s)" % (name, ", ".join(was["slaves_up"])))
            elif _up(was):
                out.append("bond %s stays up" % name)
            else:
                out.append("bond %s: nothing (no slave up, bond %s before the change)" % (name, was.get("operstate")))
        return out

    def describe(self, snapshot: Dict[str, Any]) -> str:
        return "; ".join("%s arp_validate=%s, active slave %s, slaves %s" % (
            name, st.get("arp_validate"), st.get("active_slave") or "none", _slaves(st))
            for name, st in snapshot.items())


def _slaves(state: Dict[str, Any]) -> str:
    slaves = state.get("slaves") or {}
    return ", ".join("%s %s" % (s, st.get("mii_status")) for s, st in sorted(slaves.items())) or "none"
