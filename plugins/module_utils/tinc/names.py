# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a tinc network name, a Linux interface name and a probe address may be.

Every name from the play is checked before it reaches a path, an argv or a
message: a network name becomes ``/etc/tinc/NET``, an address becomes a
``ping`` argument.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from ansible_collections.netmedic.network.plugins.module_utils.tinc.errors import TincStateError

NETNAME_RE = re.compile(r"^[A-Za-z0-9_]{1,64}$")
# Linux refuses '/', ':' and whitespace in interface names (dev_valid_name); control characters
# (a NUL cannot even be passed to `ip`) and more than IFNAMSIZ-1 = 15 bytes are refused here too.
IFNAME_RE = re.compile(r"^[^\s/:\x00-\x1f\x7f]{1,15}$")
_HOSTNAME_RE = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_-]{1,63})*\.?$")


def valid_ifname(name: Any) -> bool:
    return isinstance(name, str) and bool(IFNAME_RE.match(name)) and len(name.encode("utf-8", "replace")) <= 15


def validate_netname(netname: str) -> None:
    if not isinstance(netname, str) or not NETNAME_RE.match(netname or ""):
        raise TincStateError("netname %r is not a tinc network name (letters, digits and _ only)" % (netname,))


def host_or_address(value: Any) -> bool:
    """An IP address or a host name (never something ``ping`` could take as an option)."""
    if not isinstance(value, str):
        return False
    try:
        ipaddress.ip_address(value)
        return True
    except ValueError:
        return bool(_HOSTNAME_RE.match(value))
