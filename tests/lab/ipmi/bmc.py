"""A real IPMI peer for tests: OpenIPMI's ipmi_sim on loopback, with our OEM module.

``ipmi_sim`` speaks IPMI 1.5/2.0 over LAN (UDP) on 127.0.0.1; ``nmbmc_oem.c``
(beside this file, compiled with gcc against libopenipmi-dev on first use) makes
it answer one vendor's LAN-interface commands, per profile (PROFILES.md says
what each answers and from which public source)::

    from bmc import Bmc
    with Bmc(profile="supermicro", mode="failover") as b:    # started, answering
        b.ipmitool("raw", "0x30", "0x70", "0x0c", "0")        # -> " 02"
        b.read_mode()                                         # -> "failover" (the OEM module's state)
        b.set_calls()                                         # -> [] (sets the OEM module accepted)
        b.pause(); ...; b.resume()                            # SIGSTOP: a BMC that stops answering
    # stopped (also when the block raised), state directory removed

Options: ``profile`` (PROFILES below), ``mode`` the start mode (failover,
Supermicro's factory default), ``admin_refused=True`` a BMC that refuses
sessions at ADMINISTRATOR (the account is an operator), ``kcs_port`` also
serve a KCS system interface to qemu on that TCP port (``serial kcs ... codec
VM``, man 5 ipmi_lan), ``licence=False`` a Dell without the licence a
dedicated port needs.  The older ``vendor``/``oem``/``generation`` arguments
still pick a profile.

Each instance gets a free UDP port and a private state directory (prefix
``nmbmc-``).  The password reaches ipmitool only through ``IPMI_PASSWORD``.

As a command::

    python3 tests/lab/ipmi/bmc.py [serve] [--profile dell-13g] [--mode failover] [--admin-refused]
                                        # foreground; Ctrl-C or SIGTERM stops it
    python3 tests/lab/ipmi/bmc.py up --state FILE [options]   # leave it running (Molecule prepare)
    python3 tests/lab/ipmi/bmc.py down --state FILE           # stop it (Molecule cleanup)
"""

from __future__ import annotations

import argparse
import atexit
import hashlib
import json
import os
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, Optional

from role_gate import RoleGate

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(HERE, "nmbmc_oem.c")
PREFIX = "nmbmc-"
MODES = {"dedicated": 0, "shared": 1, "failover": 2}
CIPHER_SUITE = 3
LAN_GUID = "a123456789abcdefa123456789abcdef"   # lan.conf.in's guid

# profile -> (manufacturer id, product id, OEM module options or None).  The ids are the ones real
# boards print (sources in PROFILES.md): X11DPT 0x0937 (ipmitool's product table), X11SPM-T(P)F
# 0x0964 and X9SCV-LN4F+ 0x061e on 47488 (mithro/gdoc2netcfg tests/test_supplements/
# test_bmc_firmware.py), X8SIA 0x060b (ipmitool), Lenovo 0x0414 (a published XCC mc info), Intel
# S2600WFT 0x007b (ipmitool issue 155), SR635/SR655's AMI TSM 1287 (xcat2/xcat-core commit 6dbc16c2;
# it answers parameter 0xC0 here like an XCC, so a test shows netmedic does not even ask).
PROFILES = {
    "supermicro": (10876, 0x0937, "profile=supermicro"),
    "supermicro-47488": (47488, 0x0964, "profile=supermicro"),
    "supermicro-47488-x9scv": (47488, 0x061E, "profile=supermicro"),
    "supermicro-x8": (10876, 0x060B, "profile=supermicro gen=x8"),
    "supermicro-nooem": (10876, 0x0937, None),
    "dell-11g": (674, 0x0100, "profile=dell imc=0x0a"),
    "dell-12g": (674, 0x0100, "profile=dell imc=0x10"),
    "dell-13g": (674, 0x0100, "profile=dell imc=0x20"),
    "dell-13g-blade": (674, 0x0100, "profile=dell imc=0x21"),
    "idrac9": (674, 0x0100, "profile=dell imc=0x30"),
    "lenovo": (19046, 0x0414, "profile=lenovo"),
    "lenovo-tsm": (19046, 1287, "profile=lenovo"),
    "intel": (343, 0x007B, "profile=intel"),
    "hpe": (11, 0x2000, None),
    "other": (7244, 0x0048, None),
}
# Dell (selection, failover) and Lenovo port bytes of each start mode; Intel channel addresses.
DELL_START = {"dedicated": (1, 0), "shared": (2, 0), "failover": (2, 6)}
LENOVO_START = {"dedicated": "1", "shared": "0"}
INTEL_START = {"dedicated": "ip3=198.51.100.21", "shared": "ip1=192.0.2.21 ip3=198.51.100.21",
               "failover": "ip1=192.0.2.21"}
# The operator account of the admin_refused BMC (role_gate.py refuses its ADMINISTRATOR sessions).
OPERATOR = "oper"


class BmcError(RuntimeError):
    pass


_RUNNING = set()  # started and not yet stopped: stopped at interpreter exit (Ctrl-C in a test)


@atexit.register
def _stop_leftovers() -> None:
    for b in list(_RUNNING):
        b.stop()


def _need(tool: str, package: str) -> str:
    path = shutil.which(tool, path=os.environ.get("PATH", "") + ":/usr/sbin:/usr/bin:/sbin:/bin")
    if not path:
        raise BmcError("%s not found: install the Debian package %s (make test does)" % (tool, package))
    return path


def build_module() -> str:
    """Compile nmbmc_oem.c once per source version; path of the .so."""
    with open(SOURCE, "rb") as fh:
        digest = hashlib.sha256(fh.read()).hexdigest()[:12]
    outdir = os.path.join(tempfile.gettempdir(), "%sbuild-%s" % (PREFIX, digest))
    so = os.path.join(outdir, "nmbmc_oem.so")
    if os.path.exists(so):
        return so
    if not os.path.exists("/usr/include/OpenIPMI/mcserv.h"):
        raise BmcError("/usr/include/OpenIPMI/mcserv.h missing: install the Debian package libopenipmi-dev")
    gcc = _need("gcc", "gcc")
    os.makedirs(outdir, exist_ok=True)
    tmp = so + ".%d.tmp" % os.getpid()
    proc = subprocess.run([gcc, "-Wall", "-Wextra", "-Werror", "-O2", "-shared", "-fPIC", "-o", tmp, SOURCE],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, timeout=120,
                          check=False)
    if proc.returncode != 0:
        raise BmcError("building the ipmi_sim OEM module failed:\n" + proc.stdout)
    os.replace(tmp, so)
    return so


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _fill(template: str, **values) -> str:
    with open(os.path.join(HERE, template), encoding="utf-8") as fh:
        return string.Template(fh.read()).substitute(**values)


class Bmc:
    """One ipmi_sim BMC on 127.0.0.1; a context manager that always stops it."""

    def __init__(self, vendor: str = "supermicro", oem: bool = True, mode: str = "failover",
                 generation: str = "x9", user: str = "admin", password: str = "nmbmc-S3cret-pw",
                 start_timeout: float = 10.0, profile: Optional[str] = None, admin_refused: bool = False,
                 kcs_port: Optional[int] = None, licence: bool = True):
        profile = profile or _legacy_profile(vendor, oem, generation)
        if profile not in PROFILES:
            raise ValueError("profile must be one of %s" % ", ".join(PROFILES))
        if mode not in MODES:
            raise ValueError("mode must be one of %s" % ", ".join(MODES))
        self.profile, self.mode = profile, mode
        self.generation = "x8" if profile == "supermicro-x8" else "x9"
        self.vendor = {10876: "supermicro", 47488: "supermicro", 674: "dell", 19046: "lenovo", 343: "intel",
                       11: "hpe"}.get(PROFILES[profile][0], "other")
        self.oem = PROFILES[profile][2] is not None
        self.user, self.password = user, password
        self.admin_refused, self.kcs_port, self.licence = admin_refused, kcs_port, licence
        self.privilege = "ADMINISTRATOR"
        self.gate: Optional[RoleGate] = None
        self.start_timeout = start_timeout
        self.host = "127.0.0.1"
        self.port: Optional[int] = None
        self.dir: Optional[str] = None
        self.proc: Optional[subprocess.Popen] = None
        self.paused = False

    # ------------------------------------------------------------ lifecycle
    def __enter__(self) -> "Bmc":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def pid(self) -> Optional[int]:
        return self.proc.pid if self.proc else None

    @property
    def oem_log(self) -> str:
        return os.path.join(self.dir or "", "oem.log")

    def start(self) -> "Bmc":
        ipmi_sim = _need("ipmi_sim", "openipmi")
        _need("ipmitool", "ipmitool")
        so = build_module() if self.oem else None
        self.dir = tempfile.mkdtemp(prefix=PREFIX)
        os.chmod(self.dir, 0o700)
        os.makedirs(os.path.join(self.dir, "state"))
        manufacturer, product, _options = PROFILES[self.profile]
        last_error = ""
        try:
            for _attempt in range(3):  # a free port can be taken between probe and bind
                self.port = free_udp_port()
                loadlib = 'loadlib "%s" "%s"' % (so, self.module_options()) if so else ""
                serial = "serial kcs 127.0.0.1 %d codec VM" % self.kcs_port if self.kcs_port else ""
                with open(os.path.join(self.dir, "lan.conf"), "w", encoding="utf-8") as fh:
                    fh.write(_fill("lan.conf.in", port=self.port, loadlib=loadlib, user=self.user,
                                   password=self.password, serial=serial, operator=OPERATOR))
                with open(os.path.join(self.dir, "bmc.emu"), "w", encoding="utf-8") as fh:
                    fh.write(_fill("bmc.emu.in", manufacturer="0x%04x" % manufacturer, product="0x%04x" % product))
                log = open(os.path.join(self.dir, "ipmi_sim.log"), "w")
                try:
                    self.proc = subprocess.Popen(
                        [ipmi_sim, "-n", "-p", "-c", "lan.conf", "-f", "bmc.emu", "-s", "state"],
                        cwd=self.dir, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                        start_new_session=True)
                finally:
                    log.close()
                _RUNNING.add(self)
                if self._wait_answering():
                    if self.admin_refused:
                        self._refuse_admin()
                    return self
                last_error = self.log()
                self._kill()
            raise BmcError("ipmi_sim did not answer 'mc info' on 127.0.0.1 within %g s:\n%s"
                           % (self.start_timeout, last_error))
        except BaseException:
            self.stop()
            raise

    def module_options(self) -> str:
        """The OEM module's options for this profile and start mode."""
        # the GUID of lan.conf.in's startlan, answered in-band too (issue 16: rollback matches it)
        options = [PROFILES[self.profile][2], "log=%s" % self.oem_log, "guid=" + LAN_GUID]
        if self.vendor == "supermicro":
            options.append("mode=%d" % MODES[self.mode])
        elif self.vendor == "dell":
            options.append("sel=%d fo=%d" % DELL_START[self.mode])
            if not self.licence:
                options.append("licence=0")
        elif self.vendor == "lenovo":
            options.append("port=%s" % LENOVO_START.get(self.mode, "1"))
        elif self.vendor == "intel":
            options.append(INTEL_START[self.mode])
        return " ".join(options)

    def _refuse_admin(self) -> None:
        """From now on the BMC's port is role_gate.py's: sessions at ADMINISTRATOR get "invalid role"."""
        inner = self.port
        self.port = free_udp_port()
        self.gate = RoleGate(self.port, inner)
        self.user, self.privilege = OPERATOR, "OPERATOR"

    def _wait_answering(self) -> bool:
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                if self.ipmitool("mc", "info", timeout=3).returncode == 0:
                    return True
            except subprocess.TimeoutExpired:
                pass
            time.sleep(0.1)
        return False

    def _kill(self) -> None:
        if self.gate:
            self.gate.stop()
            self.gate = None
        if not self.proc:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGCONT)
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=5)
        self.proc = None
        self.paused = False

    def stop(self) -> None:
        """Stop ipmi_sim (also a paused one) and remove its directory.  Idempotent."""
        try:
            self._kill()
        finally:
            _RUNNING.discard(self)
            if self.dir and os.path.isdir(self.dir):
                shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def pause(self) -> None:
        """SIGSTOP ipmi_sim: the BMC stops answering (a hung BMC)."""
        os.killpg(self.proc.pid, signal.SIGSTOP)
        self.paused = True

    def resume(self) -> None:
        os.killpg(self.proc.pid, signal.SIGCONT)
        self.paused = False

    # ------------------------------------------------------------ poking
    def env(self) -> Dict[str, str]:
        env = dict(os.environ)
        env["IPMI_PASSWORD"] = self.password
        return env

    def ipmitool_argv(self, *args: str) -> List[str]:
        return ["ipmitool", "-I", "lanplus", "-C", str(CIPHER_SUITE), "-H", self.host, "-p", str(self.port),
                "-U", self.user, "-L", self.privilege, "-E"] + list(args)

    def ipmitool(self, *args: str, timeout: float = 10) -> subprocess.CompletedProcess:
        return subprocess.run(self.ipmitool_argv(*args), env=self.env(), stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                              timeout=timeout, check=False)

    def read_mode(self) -> Optional[str]:
        """The mode as the OEM module holds it, read with plain ipmitool over LAN (None: no such setting)."""
        if self.vendor == "supermicro" and self.oem:
            req = ["0x0c", "0"] if self.generation == "x9" else ["0x0c", "0", "0", "0"]
            data = self._raw("0x30", "0x70", *req)
            if self.generation == "x9":
                return {v: k for k, v in MODES.items()}[data[0]]
            return {(0, 0): "failover", (1, 0): "dedicated", (1, 1): "shared"}[tuple(data)]
        if self.profile == "dell-11g":
            return {0: "shared", 1: "failover", 2: "dedicated", 3: "failover"}[self._raw("0x30", "0x25")[0]]
        if self.vendor == "dell":
            return _dell_mode(*self._raw("0x30", "0x29")[:2])
        if self.vendor == "lenovo":
            return "dedicated" if self._raw("0x0c", "0x02", "0x01", "0xc0", "0", "0")[1] == 1 else "shared"
        return None

    def _raw(self, *request: str) -> List[int]:
        res = self.ipmitool("raw", *request)
        if res.returncode != 0:
            raise BmcError("ipmitool raw %s failed: %s" % (" ".join(request), res.stderr.strip()))
        return [int(b, 16) for b in res.stdout.split()]

    def set_calls(self) -> List[str]:
        """Modes set through the OEM commands so far (``["dedicated"]``), from the module's log."""
        out = []
        try:
            with open(self.oem_log, encoding="utf-8") as fh:
                lines = [line.split() for line in fh if line.strip()]
        except FileNotFoundError:
            return []
        for words in lines:
            nums = [int(w) for w in words[1:]]
            if words[0] == "set":
                out.append({str(v): k for k, v in MODES.items()}.get(words[1], words[1]))
            elif words[0] == "dell":
                out.append(_dell_mode(nums[0], nums[1]))
            elif words[0] == "dell11":
                out.append({0: "shared", 1: "failover", 2: "dedicated", 3: "failover"}[nums[0]])
            elif words[0] == "lenovo":
                out.append("dedicated" if nums[0] == 1 else "shared")
        return out

    def raw_log(self) -> List[str]:
        """The OEM module's log lines as written ("dell 2 0")."""
        try:
            with open(self.oem_log, encoding="utf-8") as fh:
                return [line.strip() for line in fh if line.strip()]
        except FileNotFoundError:
            return []

    def log(self) -> str:
        try:
            with open(os.path.join(self.dir or "", "ipmi_sim.log"), encoding="utf-8", errors="replace") as fh:
                return fh.read()
        except OSError:
            return ""

    def module_params(self, **extra) -> Dict[str, object]:
        """Parameters of netmedic.network.bmc_lan_mode that reach this BMC over lanplus."""
        params = dict(interface="lanplus", host=self.host, port=self.port, user=self.user,
                      password=self.password, cipher_suite=CIPHER_SUITE, privilege=self.privilege)
        params.update(extra)
        return params


def _legacy_profile(vendor: str, oem: bool, generation: str) -> str:
    """The profile the pre-issue-13 arguments meant (vendor supermicro|dell|other, oem, generation)."""
    if vendor == "supermicro":
        return "supermicro-x8" if generation == "x8" else "supermicro" if oem else "supermicro-nooem"
    if vendor == "dell":
        return "dell-13g" if oem else "other"
    return vendor


def _dell_mode(sel: int, fo: int) -> str:
    return "dedicated" if sel == 1 else "shared" if fo == 0 else "failover"


def _detach(b: Bmc) -> Dict[str, object]:
    """Leave ``b`` running after this process exits; the state ``down`` needs."""
    state = {"pid": b.pid, "port": b.port, "host": b.host, "dir": b.dir, "user": b.user,
             "password": b.password, "vendor": b.vendor, "mode": b.mode, "generation": b.generation,
             "profile": b.profile, "privilege": b.privilege}
    b.proc = None  # stop() must not kill it now
    b.dir = None
    _RUNNING.discard(b)
    return state


def down(state: Dict[str, object]) -> None:
    """Stop a BMC started by ``up`` (checks the pid still is that ipmi_sim)."""
    pid, workdir = int(state["pid"]), str(state["dir"])
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as fh:
            ours = fh.read().split(b"\0")[0].endswith(b"ipmi_sim") and \
                os.path.realpath("/proc/%d/cwd" % pid) == os.path.realpath(workdir)
    except OSError:
        ours = False
    if ours:
        for sig in (signal.SIGCONT, signal.SIGTERM):
            try:
                os.killpg(pid, sig)
            except ProcessLookupError:
                break
        deadline = time.monotonic() + 5
        while os.path.exists("/proc/%d" % pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if os.path.exists("/proc/%d" % pid):
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    if os.path.basename(workdir).startswith(PREFIX):
        shutil.rmtree(workdir, ignore_errors=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    ap.add_argument("action", nargs="?", choices=["serve", "up", "down"], default="serve",
                    help="serve: run in the foreground until Ctrl-C/SIGTERM; up: start, write --state, "
                         "leave running; down: stop what --state describes")
    ap.add_argument("--state", help="JSON state file (up/down)")
    ap.add_argument("--profile", choices=sorted(PROFILES), default=None)
    ap.add_argument("--vendor", choices=["supermicro", "dell", "other"], default="supermicro")
    ap.add_argument("--admin-refused", action="store_true")
    ap.add_argument("--kcs-port", type=int, default=None)
    ap.add_argument("--mode", choices=sorted(MODES), default="failover")
    ap.add_argument("--no-oem", action="store_true")
    ap.add_argument("--x8", action="store_true")
    args = ap.parse_args(argv)
    if args.action in ("up", "down") and not args.state:
        ap.error("%s needs --state FILE" % args.action)
    if args.action == "down":
        try:
            with open(args.state, encoding="utf-8") as fh:
                down(json.load(fh))
        except FileNotFoundError:
            return 0
        os.unlink(args.state)
        return 0
    b = Bmc(vendor=args.vendor, mode=args.mode, oem=not args.no_oem, generation="x8" if args.x8 else "x9",
            profile=args.profile, admin_refused=args.admin_refused, kcs_port=args.kcs_port)
    if args.action == "up":
        b.start()
        state = _detach(b)
        fd = os.open(args.state, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(state, fh)
        print(json.dumps({k: v for k, v in state.items() if k != "password"}))
        return 0
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # SIGTERM stops ipmi_sim too
    with b:
        print("ipmi_sim pid %s on 127.0.0.1:%s (user %s, password in IPMI_PASSWORD=%s)"
              % (b.pid, b.port, b.user, b.password))
        print("  " + " ".join(b.ipmitool_argv("mc", "info")))
        try:
            while b.proc.poll() is None:
                time.sleep(1)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
