# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The throwaway FRR instance of :mod:`frr.render`, run as a Python process of its own.

:func:`frr.render.render` runs this file's source with ``python -c`` (arguments
as JSON in argv[1], the configuration on stdin) and reads one JSON line back.
The process:

1. moves itself into a new, empty network namespace (``unshare(CLONE_NEWNET)``):
   the daemons it starts see no interface of the router, reach no peer, and
   install nothing in the router's kernel tables;
2. starts the router's FRR daemons (zebra, mgmtd on FRR 9 and later, the ones
   the daemons file enables, staticd) in the foreground as its own children,
   with a pathspace of their own (``-N nmrender-PID-RANDOM``: sockets and pid
   files under ``/var/run/frr/nmrender-...``, no file under ``/etc/frr``), no
   vty TCP port (``-P 0``), no BGP listener (``-p 0``);
3. loads the configuration with ``vtysh -N ... -f`` and prints
   ``show running-config``;
4. kills the daemons and removes the runtime directory, whatever happened.

The caller's runner kills this process group on timeout (the daemons run in
the foreground, in the same group).  Standard library only: this file runs
on managed hosts.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import grp
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
from typing import Any, Dict, List, Optional

CLONE_NEWNET = 0x40000000
PREFIX = "nmrender-"
_LINE_ERROR_RE = re.compile(r"^line (\d+): (.*)$")


class ChildError(Exception):
    """Why the throwaway instance could not render the configuration."""


def _unshare_net() -> None:
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    if libc.unshare(CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise ChildError("cannot create a private network namespace (unshare: %s)" % os.strerror(err))


def _frr_ids():
    try:
        return pwd.getpwnam("frr").pw_uid, grp.getgrnam("frr").gr_gid
    except KeyError:
        raise ChildError("there is no 'frr' user on this host") from None


def _remove_stale(run_base: str) -> None:
    """Runtime directories of earlier instances whose process is gone (a SIGKILLed module)."""
    try:
        names = os.listdir(run_base)
    except OSError:
        return
    for name in names:
        if not name.startswith(PREFIX):
            continue
        pid = name[len(PREFIX):].split("-", 1)[0]
        if pid.isdigit() and not os.path.exists("/proc/%s" % pid):
            shutil.rmtree(os.path.join(run_base, name), ignore_errors=True)


def _vtysh(args: Dict[str, Any], name: str, *extra: str, stdin: Optional[str] = None,
           timeout: float = 60) -> subprocess.CompletedProcess:
    # A process of its own with no AnsibleModule (run_command needs one): ansible-core 2.21's pylint
    # ansible-bad-function check does not apply here
    return subprocess.run(  # pylint: disable=ansible-bad-function
        [args["vtysh"], "-N", name] + list(extra), input=stdin, capture_output=True,
        text=True, timeout=timeout, check=False)


def _wait_ready(args: Dict[str, Any], name: str, rundir: str, daemons: List[str],
                procs: Dict[str, subprocess.Popen], deadline: float) -> None:
    while True:
        dead = [d for d, p in procs.items() if p.poll() is not None]
        if dead:
            raise ChildError("FRR daemon(s) %s exited at start" % ", ".join(dead))
        if all(os.path.exists(os.path.join(rundir, "%s.vty" % d)) for d in daemons):
            if _vtysh(args, name, "-c", "show version", timeout=10).returncode == 0:
                return
        if time.monotonic() > deadline:
            raise ChildError("FRR daemons did not answer within %d s" % args["start_timeout"])
        time.sleep(0.05)


def run(args: Dict[str, Any], text: str) -> Dict[str, Any]:
    """Render ``text`` (see the module docstring); the JSON-able answer."""
    started = time.monotonic()
    run_base = args["run_base"]
    _remove_stale(run_base)
    name = "%s%d-%s" % (PREFIX, os.getpid(), secrets.token_hex(3))
    rundir = os.path.join(run_base, name)
    uid, gid = _frr_ids()
    procs: Dict[str, subprocess.Popen] = {}
    try:
        os.makedirs(run_base, mode=0o755, exist_ok=True)
        os.mkdir(rundir, 0o750)
        os.chown(rundir, uid, gid)
        _unshare_net()
        for daemon in args["daemons"]:
            argv = [os.path.join(args["frr_lib"], daemon), "-N", name, "-P", "0", "-F", args["profile"]]
            if daemon == "bgpd":
                argv += ["-p", "0"]
            # the daemons run in the foreground as this process's children (no AnsibleModule here)
            procs[daemon] = subprocess.Popen(  # pylint: disable=ansible-bad-function
                argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_ready(args, name, rundir, args["daemons"], procs, time.monotonic() + args["start_timeout"])
        ready = time.monotonic()
        # A file, not /dev/stdin: FRR 10's vtysh -f forks one child per daemon and each reads the file
        # again (measured on 10.3: from stdin only the first daemon got the config).
        conf = os.path.join(rundir, "intended.conf")
        with open(conf, "w", encoding="utf-8") as fh:
            fh.write(text)
        loaded = _vtysh(args, name, "-f", conf, timeout=args["load_timeout"])
        errors = []
        for raw in (loaded.stdout + "\n" + loaded.stderr).splitlines():
            m = _LINE_ERROR_RE.match(raw.strip())
            if m:
                errors.append({"line": int(m.group(1)), "error": m.group(2).strip()})
        done = time.monotonic()
        shown = _vtysh(args, name, "-c", "show running-config", timeout=args["load_timeout"])
        if shown.returncode != 0:
            raise ChildError("show running-config failed: %s" % (shown.stderr or shown.stdout).strip()[-300:])
        return {"running": shown.stdout, "errors": errors,
                "seconds": {"start": round(ready - started, 3), "load": round(done - ready, 3),
                            "show": round(time.monotonic() - done, 3)}}
    except (ChildError, OSError, subprocess.SubprocessError) as exc:
        return {"error": str(exc)}
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGKILL)
        for p in procs.values():
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        shutil.rmtree(rundir, ignore_errors=True)


def main() -> None:
    args = json.loads(sys.argv[1])
    sys.stdout.write(json.dumps(run(args, sys.stdin.read())) + "\n")


if __name__ == "__main__":
    main()
