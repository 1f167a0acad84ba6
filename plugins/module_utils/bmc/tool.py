# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Talk to a BMC with ipmitool, in-band (``-I open``) or over the LAN (``-I lanplus``).

* Every call goes through :class:`runner.Runner` with a timeout: a hung BMC is a
  clear :class:`IpmiTimeout`, never a hung play.
* The password never reaches the command line (``/proc/PID/cmdline`` is
  world-readable): it goes to ipmitool in the environment (``-E`` reads
  ``IPMI_PASSWORD``; ``/proc/PID/environ`` is readable only by the same user
  and root) or from a file the caller owns (``-f FILE``).  Error messages are
  scrubbed of it as well.
* The cipher suite is pinned (``-C 3`` by default): without it ipmitool spends
  about 10 s per call probing cipher suites.
* The session privilege is explicit (``-L``, ADMINISTRATOR by default as in
  ipmitool): reading a Supermicro LAN mode needs it, and an account that may
  not have it is refused at login ("invalid role").
* Failures are classified (issue 13) into exceptions whose ``str()`` an
  operator understands and whose ``kind`` the audit maps to a finding:
  authentication (wrong password, unknown user), authorisation (privilege),
  a session refused for a reason ipmitool does not give, unsupported command
  (0xc1), timeout, unreachable, no /dev/ipmi0.  ipmitool prints the same
  line for a wrong password and a silent BMC; we ask once more with ``-v``.

Standard library only: this file runs on managed hosts.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
import stat
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ansible_collections.netmedic.network.plugins.module_utils.bmc.parse import (
    AUTH_FAILED, CC_INSUFFICIENT_PRIVILEGE, CC_NOT_SUPPORTED, NO_DEVICE, NO_PASSWORD, PRIVILEGE, SESSION,
    UNREACHABLE, McInfo, classify_error, parse_completion_code, parse_mc_info, parse_raw_response)
from ansible_collections.netmedic.network.plugins.module_utils.core.params import SECONDS, range_error
from ansible_collections.netmedic.network.plugins.module_utils.core.runner import (
    CommandError, CommandNotFound, CommandTimeout, Runner)

IPMITOOL = "ipmitool"
PASSWORD_ENV = "IPMI_PASSWORD"
DEFAULT_TIMEOUT = 15.0
DEFAULT_CIPHER_SUITE = 3
INTERFACES = ("open", "lanplus")
# ipmitool -L: the session privilege asked for at login (ipmitool's default is ADMINISTRATOR).
PRIVILEGES = ("ADMINISTRATOR", "OPERATOR", "USER")
DEFAULT_PRIVILEGE = "ADMINISTRATOR"
PORT_RANGE = (1, 65535)
CIPHER_SUITE_RANGE = (0, 17)        # IPMI 2.0 table 22-20: cipher suite ids 0-17
# ipmitool refuses longer ones itself ("Username is too long (> 16 bytes)", "lanplus: password is
# longer than 20 bytes"): say so naming the option instead of running it.
MAX_USER_BYTES = 16
MAX_PASSWORD_BYTES = 20
_HOSTNAME_RE = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_-]{1,63})*\.?$")
# Not a shell in sight (argv lists only), but no BMC account has these, and a user name with them
# is a templating accident rather than a name.
_USER_BAD_RE = re.compile(r"[\x00-\x20\x7f;|&$`<>(){}'\"\\]")


class IpmiError(Exception):
    """ipmitool could not do what was asked; ``str()`` is for operators."""

    kind = "error"


class IpmiNotInstalled(IpmiError):
    kind = "not_installed"


class IpmiAuthError(IpmiError):
    """Authentication: the BMC does not accept this user and password (or cannot read the password)."""

    kind = AUTH_FAILED


class IpmiPrivilegeError(IpmiError):
    """Authorisation: the login is fine but the account may not have the privilege asked for."""

    kind = PRIVILEGE


class IpmiSessionError(IpmiError):
    """The BMC answered but refused the RMCP+ session and ipmitool does not say why."""

    kind = SESSION


class IpmiUnreachable(IpmiError):
    kind = UNREACHABLE


class IpmiTimeout(IpmiError):
    kind = "timeout"


class IpmiNoDevice(IpmiError):
    kind = NO_DEVICE


class IpmiCommandError(IpmiError):
    """The BMC answered with a non-zero completion code (``cc``), or ipmitool failed otherwise."""

    kind = "command"

    def __init__(self, message: str, cc: Optional[int] = None):
        super().__init__(message)
        self.cc = cc


class IpmiUnsupported(IpmiCommandError):
    """The BMC has no such command (completion code 0xc1 invalid command, 0xc2, 0xd5, 0xd6)."""

    kind = "unsupported"


# The kinds that mean "we got no answer at all" (poll again after a LAN mode change).
NO_ANSWER = (IpmiTimeout, IpmiUnreachable, IpmiSessionError)


@dataclasses.dataclass(frozen=True)
class Target:
    """Which BMC, and how to reach it."""

    interface: str = "open"
    host: Optional[str] = None
    port: int = 623
    user: Optional[str] = None
    password: Optional[str] = dataclasses.field(default=None, repr=False)
    password_file: Optional[str] = None
    cipher_suite: Optional[int] = DEFAULT_CIPHER_SUITE
    privilege: str = DEFAULT_PRIVILEGE

    @property
    def remote(self) -> bool:
        return self.interface == "lanplus"

    def describe(self) -> str:
        if self.remote:
            return "the BMC at %s:%d" % (self.host, self.port)
        return "the local BMC (/dev/ipmi0)"

    def problems(self) -> List[str]:
        """What is wrong with these settings, as sentences naming the option (empty when usable).

        Never echoes the password.
        """
        out = []
        if self.interface not in INTERFACES:
            out.append("interface must be one of %s, not %r" % (", ".join(INTERFACES), self.interface))
        if self.privilege not in PRIVILEGES:
            out.append("privilege must be one of %s, not %r" % (", ".join(PRIVILEGES), self.privilege))
        if self.remote:
            if not self.host:
                out.append("interface=lanplus needs host (the BMC's address)")
            elif not _host_ok(self.host):
                out.append("host must be an IP address or a host name, not %r" % (self.host,))
            if not self.user:
                out.append("interface=lanplus needs user (a BMC account)")
            elif not isinstance(self.user, str) or _USER_BAD_RE.search(self.user) \
                    or len(self.user.encode("utf-8")) > MAX_USER_BYTES:
                out.append("user must be a BMC account name of at most %d bytes without spaces, quotes or shell "
                           "characters, not %r" % (MAX_USER_BYTES, self.user))
            if self.password is None and not self.password_file:
                out.append("interface=lanplus needs password (from a vault) or password_file")
            if self.password is not None and self.password_file:
                out.append("give password or password_file, not both")
            if self.password is not None:
                out += _password_problems(self.password)
            for name, value, bounds in (("port", self.port, PORT_RANGE),
                                        ("cipher_suite", self.cipher_suite, CIPHER_SUITE_RANGE)):
                msg = range_error(name, value, bounds) or _integer_error(name, value)
                if msg:
                    out.append(msg)
        return out


def _integer_error(name: str, value: Any) -> Optional[str]:
    if value is not None and isinstance(value, float) and not value.is_integer():
        return "%s must be a whole number, got %r" % (name, value)
    return None


def _host_ok(host: Any) -> bool:
    if not isinstance(host, str):
        return False
    try:
        ipaddress.ip_address(host.split("%", 1)[0])  # fe80::1%eth0
        return True
    except ValueError:
        return bool(_HOSTNAME_RE.match(host))


def _password_problems(password: Any) -> List[str]:
    if not isinstance(password, str):
        return ["password must be a string"]
    if "\0" in password:
        return ["password contains a NUL character, which cannot be passed to ipmitool"]
    if len(password.encode("utf-8")) > MAX_PASSWORD_BYTES:
        return ["password is longer than %d bytes, the IPMI 2.0 limit (ipmitool refuses it)" % MAX_PASSWORD_BYTES]
    return []


def password_file_problems(path: Any) -> List[str]:
    """Why ``path`` cannot be ipmitool's ``-f`` file (missing, a directory, unreadable), as sentences.

    The module checks it before running anything; the audit lets ipmitool say
    it (a finding about the BMC rather than a failed audit).
    """
    if not isinstance(path, str) or not path.strip() or "\0" in path:
        return ["password_file must be a path, not %r" % (path,)]
    try:
        st = os.stat(path)
    except OSError as exc:
        return ["password_file %s cannot be read: %s" % (path, exc.strerror)]
    if not stat.S_ISREG(st.st_mode):
        kind = "a directory, not a file" if stat.S_ISDIR(st.st_mode) else "not a regular file"
        return ["password_file %s is %s" % (path, kind)]
    if not os.access(path, os.R_OK):
        return ["password_file %s is not readable" % path]
    return []


class Ipmitool:
    """Run ipmitool against one :class:`Target` with a timeout on every call."""

    def __init__(self, target: Target, runner: Optional[Runner] = None, timeout: float = DEFAULT_TIMEOUT):
        problem = range_error("timeout", timeout, SECONDS)
        if problem:
            # The module and the audit check their own option first; this guards direct callers.
            raise ValueError(problem)
        self.target = target
        self.runner = runner or Runner(timeout=timeout)
        self.timeout = timeout
        self.calls = 0

    # ------------------------------------------------------------ command line
    def argv(self, args: Sequence[str], verbose: bool = False) -> List[str]:
        t = self.target
        cmd = [IPMITOOL]
        if verbose:
            cmd.append("-v")
        cmd += ["-I", t.interface]
        if t.remote:
            cmd += ["-H", str(t.host), "-p", str(int(t.port)), "-U", str(t.user), "-L", t.privilege]
            if t.cipher_suite is not None:
                cmd += ["-C", str(int(t.cipher_suite))]
            if t.password_file:
                cmd += ["-f", t.password_file]
            else:
                cmd.append("-E")
        return cmd + [str(a) for a in args]

    def env(self) -> Dict[str, str]:
        if self.target.remote and self.target.password is not None and not self.target.password_file:
            return {PASSWORD_ENV: self.target.password}
        return {}

    def scrub(self, text: str) -> str:
        pw = self.target.password
        if pw and text:
            text = text.replace(pw, "********")
        return text

    # ------------------------------------------------------------ calls
    def run(self, args: Sequence[str], verbose: bool = False) -> str:
        """Run one ipmitool command; its stdout, or a classified :class:`IpmiError`."""
        return self.run_full(args, verbose)[0]

    def run_full(self, args: Sequence[str], verbose: bool = False) -> Tuple[str, str]:
        """Run one ipmitool command; (stdout, stderr) when it exits 0, else a classified :class:`IpmiError`.

        stderr matters on success too: ``delloem lan set`` prints a refused set
        ("FM001 : A required license is missing or expired") and exits 0.
        """
        what = " ".join(str(a) for a in args)
        res = self._call(args, verbose, what)
        if res.rc == 0:
            return res.stdout, self.scrub(res.stderr or "")
        err = self.scrub((res.stderr or res.stdout or "").strip())
        kind = classify_error(err)
        if kind == SESSION and self.target.remote and not verbose:
            err = self._diagnose(err)
            kind = classify_error(err)
        raise self._error(kind, err, what, res.rc)

    def _call(self, args: Sequence[str], verbose: bool, what: str):
        self.calls += 1
        try:
            return self.runner(self.argv(args, verbose=verbose), timeout=self.timeout, env=self.env())
        except CommandNotFound:
            raise IpmiNotInstalled("ipmitool is not installed on this host (install the ipmitool package)") from None
        except CommandTimeout:
            raise IpmiTimeout("%s did not answer 'ipmitool %s' within %g s; ipmitool was stopped. The BMC may be "
                              "hung, rebooting or unreachable: if it answers ping, reset it from the host "
                              "('ipmitool mc reset cold' in-band), or raise the timeout."
                              % (self.target.describe(), what, self.timeout)) from None
        except CommandError as exc:
            raise IpmiError(self.scrub(str(exc))) from None

    def _diagnose(self, err: str) -> str:
        """stderr of ``-v mc info``: ipmitool says why the session failed only when verbose."""
        try:
            res = self._call(["mc", "info"], True, "mc info")
        except IpmiTimeout:
            return err + "\nNo response from remote controller (netmedic: -v mc info timed out)"
        if res.rc == 0:
            return err
        return self.scrub((res.stderr or "").strip()) or err

    def _error(self, kind: Optional[str], err: str, what: str, rc: int) -> IpmiError:
        t = self.target
        last = err.splitlines()[-1] if err else "no message"
        if kind == AUTH_FAILED:
            return IpmiAuthError("%s refused the login of user %r: wrong password or user name, or a password "
                                 "changed on the BMC (ipmitool: %s). Check the user and the password (file); "
                                 "the network is fine, the BMC answered." % (t.describe(), t.user, _matching(err, kind)))
        if kind == NO_PASSWORD:
            return IpmiAuthError("ipmitool could not read the BMC password (%s)" % last)
        if kind == NO_DEVICE:
            return IpmiNoDevice("this host has no usable local BMC device /dev/ipmi0 (load the ipmi_si and "
                                "ipmi_devintf kernel modules, or use interface=lanplus): %s" % last)
        cc = parse_completion_code(err)
        if kind == PRIVILEGE:
            if cc == CC_INSUFFICIENT_PRIVILEGE:
                return IpmiPrivilegeError(
                    "%s refused 'ipmitool %s' at session privilege %s (completion code 0xd4, insufficient "
                    "privilege level): this command needs a higher privilege on this BMC. Use an account with "
                    "ADMINISTRATOR privilege and privilege=ADMINISTRATOR." % (t.describe(), what, t.privilege))
            return IpmiPrivilegeError(
                "%s refused a session at privilege %s for user %r (ipmitool: %s): the account's maximum "
                "privilege on this channel is lower. Give the account ADMINISTRATOR on the BMC, or ask for "
                "less with privilege=OPERATOR (reading a Supermicro LAN mode still needs ADMINISTRATOR)."
                % (t.describe(), t.privilege, t.user, _matching(err, kind)))
        if cc is not None:
            cls = IpmiUnsupported if cc in CC_NOT_SUPPORTED else IpmiCommandError
            return cls("%s answered 'ipmitool %s' with completion code 0x%02x (%s)"
                       % (t.describe(), what, cc, last.split(": ", 1)[-1]), cc=cc)
        if kind == UNREACHABLE:
            return IpmiUnreachable("%s does not answer (%s). Check the address, port, network path and that IPMI "
                                   "over LAN is enabled on the BMC." % (t.describe(), last))
        if kind == SESSION:
            return IpmiSessionError("%s refused the IPMI v2 session of user %r and ipmitool gives no reason, not "
                                    "even with -v (%s). Check the user, the password and the cipher suite "
                                    "(cipher_suite), then the network." % (t.describe(), t.user, last))
        return IpmiCommandError("'ipmitool %s' failed on %s (exit %d): %s" % (what, t.describe(), rc, last))

    def mc_info(self) -> McInfo:
        # -v over lanplus makes ipmitool say *why* a session failed (RAKP 2 HMAC
        # is invalid = wrong password); it adds lines to stderr only.
        return parse_mc_info(self.run(["mc", "info"], verbose=self.target.remote))

    def raw(self, netfn: int, cmd: int, data: Sequence[int] = ()) -> List[int]:
        args = ["raw", "0x%02x" % netfn, "0x%02x" % cmd] + ["0x%02x" % b for b in data]
        return parse_raw_response(self.run(args))


def _matching(err: str, kind: str) -> str:
    """The stderr line that made ``kind`` (what ipmitool said), else the last line."""
    for line in err.splitlines():
        if classify_error(line) == kind:
            return line.strip("> ").strip()
    return err.splitlines()[-1] if err else ""
