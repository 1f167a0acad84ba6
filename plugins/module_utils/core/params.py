# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validate numeric module options once: finite, within a range, named in the message.

Ansible's ``type: float`` accepts ``nan``, ``inf`` and ``1e308``.  A NaN
timeout compares false with everything, so ``while time.monotonic() < deadline``
never ends and ``subprocess`` raises deep inside the runner (issue 11: a
``reconnect_timeout=nan`` made ipmi_lan_mode call ipmitool forever).  Every
module declares the range of each numeric option in one table and calls
:func:`range_errors` before doing anything.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import math
from typing import Any, Dict, List, Mapping, Optional, Tuple, Union

Number = Union[int, float]
# ``(minimum, maximum)``, both inclusive; ``None`` leaves that side open.
Range = Tuple[Optional[Number], Optional[Number]]

# One day: no single step of a maintenance task should wait longer, and a typo
# such as 3e9 must not become a task that never ends.
MAX_SECONDS = 86400.0
SECONDS = (0.001, MAX_SECONDS)  # a timeout or a wait: positive, at most a day
SECONDS_OR_ZERO = (0.0, MAX_SECONDS)


def range_error(name: str, value: Any, bounds: Range) -> Optional[str]:
    """The message for one option, or None when ``value`` is fine (``None`` is fine: unset)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "%s must be a number, got %r" % (name, value)
    if isinstance(value, float) and not math.isfinite(value):
        return "%s must be a finite number, got %r" % (name, value)
    low, high = bounds
    if (low is not None and value < low) or (high is not None and value > high):
        return "%s must be %s, got %r" % (name, _describe(bounds), value)
    return None


def range_errors(params: Mapping[str, Any], ranges: Dict[str, Range]) -> List[str]:
    """Messages for every option of ``ranges`` whose value in ``params`` is out of range."""
    return [msg for msg in (range_error(name, params.get(name), bounds) for name, bounds in ranges.items()) if msg]


def check_module_ranges(module, ranges: Dict[str, Range]) -> None:
    """``fail_json`` with every out-of-range option named, before the module does anything."""
    errors = range_errors(module.params, ranges)
    if errors:
        module.fail_json(msg="; ".join(errors) + ". Nothing was done.")


def new_module(module_class, ranges: Optional[Dict[str, Range]] = None, **spec):
    """``module_class(**spec)`` with every numeric option checked; the one way modules are built.

    ansible-core's ``type: int`` check computes ``int(Decimal('inf'))`` and
    does not catch the OverflowError (seen on 2.19): ``port=inf`` ended in a
    traceback.  Then the options are read again untyped and the infinite ones
    named.  ``module_class`` is ``AnsibleModule``, passed in so this file
    stays importable without Ansible.
    """
    try:
        module = _nul_safe_log(module_class)(**spec)
    except OverflowError:
        argspec = spec["argument_spec"]
        ints = [k for k, v in argspec.items() if v.get("type") == "int"]
        raw = dict(argspec, **{k: dict(argspec[k], type="raw") for k in ints})
        module = _nul_safe_log(module_class)(**dict(spec, argument_spec=raw))
        bad = [k for k in ints if str(module.params.get(k)).strip().lstrip("+-").lower() in ("inf", "infinity")]
        module.fail_json(msg="%s must be a finite whole number. Nothing was done." % " and ".join(bad or ints))
    if ranges:
        check_module_ranges(module, ranges)
    return module


def _nul_safe_log(module_class):
    """``module_class`` whose invocation log escapes NUL bytes.

    Python 3.12+'s ``syslog.syslog`` refuses a NUL (ValueError), which AnsibleModule
    turns into "Failed to log to syslog" while logging the invocation, before any
    check of ours: ``root="/a\\x00b"`` then failed without naming the option (seen
    with ansible-core 2.20 and 2.21, whose controllers need Python 3.12+).
    """
    if not hasattr(module_class, "_log_to_syslog"):
        return module_class

    class NulSafeLog(module_class):
        def _log_to_syslog(self, msg):
            super()._log_to_syslog(msg.replace("\x00", "\\x00") if isinstance(msg, str) else msg)

    return NulSafeLog


def _describe(bounds: Range) -> str:
    low, high = bounds
    if low is not None and high is not None:
        return "between %s and %s" % (_num(low), _num(high))
    if low is not None:
        return "at least %s" % _num(low)
    return "at most %s" % _num(high)


def _num(value: Number) -> str:
    return ("%g" % value) if isinstance(value, float) else str(value)
