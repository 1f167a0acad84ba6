# -*- coding: utf-8 -*-
# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where lab FRR routers run: this machine, or a container of another Debian release.

:class:`LocalMachine` is this host (Debian 12, FRR 8.4.4 from its packages).
:class:`ContainerMachine` is one privileged container of a release image
(``release_image.py``: trixie with FRR 10.3, forky with FRR 10.7.1), started
once and shared by every router of that version: each router is, as on the
host, a network namespace and an FRR pathspace *inside* the container.
Running the other release's binaries from a chroot on the host is fragile
(the frr user's uid differs between the trees, daemons end up under the wrong
uid): a container is the clean way (shared/LAB_NOTES.md).

Commands enter the container with ``nsenter`` into its init's namespaces and
root: 8 ms a command here, against 180 ms for ``podman exec`` (measured on
this machine), and a test runs hundreds of them (pid files, vtysh, ip).
The checkout is mounted read-only at the same path inside, so that the
collection (``build/dev``) imports there as here.

Both machines answer the same calls (:class:`Machine`); :mod:`frrlab` is
written against them.  Test code only.
"""

from __future__ import annotations

import atexit
import json
import os
import pwd
import grp
import shutil
import signal
import subprocess
import sys
from typing import Dict, List, Optional, Sequence, Tuple

import lab as nmlab           # podman and the labelled cleanup (tests/lab/lab.py)
import procs
import release_image

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DEV = os.path.join(REPO, "build", "dev")
CALL = os.path.join(HERE, "frr_call.py")
FRR_LIB = "/usr/lib/frr"

# FRR versions of the lab: version -> the Debian release whose packages carry it
# (None: this machine's own FRR).  Measured: bookworm 8.4.4, trixie 10.3, forky 10.7.1.
VERSIONS: Dict[str, Optional[str]] = {"8.4": None, "10.3": "trixie", "10.7": "forky"}


class LabError(RuntimeError):
    """A lab step failed; the message says which command and why."""


class Machine:
    """A machine that runs FRR routers (see the module docstring)."""

    name = "machine"
    python = "/usr/bin/python3"

    # -- the one primitive ---------------------------------------------------
    def command(self, argv: Sequence[str]) -> List[str]:
        """The argv that runs ``argv`` on this machine, from here."""
        raise NotImplementedError

    def run(self, argv: Sequence[str], timeout: float = 30, check: bool = True,
            input: Optional[str] = None) -> subprocess.CompletedProcess:
        """Run ``argv`` (no shell) on this machine; LabError on timeout (and on rc != 0 with ``check``)."""
        try:
            proc = subprocess.run(self.command(argv), input=input, capture_output=True, text=True, errors="replace",
                                  timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise LabError("%s: %s: no answer within %s s" % (self.name, " ".join(argv), timeout)) from None
        if check and proc.returncode != 0:
            raise LabError("%s: %s exited %d: %s" % (self.name, " ".join(argv), proc.returncode,
                                                     (proc.stderr or proc.stdout).strip()[-500:]))
        return proc

    def sh(self, argv: Sequence[str], timeout: float = 30, check: bool = True, input: Optional[str] = None) -> str:
        """stdout of :meth:`run`."""
        return self.run(argv, timeout=timeout, check=check, input=input).stdout

    def start_daemons(self, argv: Sequence[str], log: str, timeout: float = 30) -> str:
        """Run ``argv`` that starts daemons, its output to the file ``log`` (returned): FRR 10's daemons keep
        the stdout/stderr they were started with, so a pipe would never reach end-of-file."""
        script = '"$@" >"$0" 2>&1; rc=$?; cat "$0"; exit $rc'
        return self.sh(["sh", "-c", script, log] + list(argv), timeout=timeout)

    # -- files and processes (overridden by LocalMachine with direct calls) ----
    def write_file(self, path: str, content: str, mode: int = 0o640, frr_owned: bool = True) -> None:
        owner = "frr:frr" if frr_owned else "root:root"
        self.sh(["sh", "-c", 'cat > "$1" && chown "$2" "$1" && chmod "$3" "$1"', "write_file", path, owner,
                 "%o" % mode], input=content)

    def read_file(self, path: str) -> str:
        return self.sh(["cat", path])

    def exists(self, path: str) -> bool:
        return self.run(["test", "-e", path], check=False).returncode == 0

    def make_dir(self, path: str, mode: int = 0o750, frr_owned: bool = True) -> None:
        self.sh(["install", "-d", "-m", "%o" % mode] + (["-o", "frr", "-g", "frr"] if frr_owned else []) + [path])

    def remove_tree(self, path: str) -> None:
        if path.rstrip("/") in ("", "/etc/frr", "/var/run/frr", "/run/frr"):
            raise LabError("refusing to remove %r" % path)
        self.run(["rm", "-rf", "--one-file-system", path], check=False)

    def pid_alive(self, pid: int) -> bool:
        """Running and not a zombie."""
        out = self.run(["ps", "-o", "stat=", "-p", str(pid)], check=False).stdout.strip()
        return bool(out) and not out.startswith("Z")

    def kill(self, pid: int, sig: int = signal.SIGKILL) -> None:
        self.run(["kill", "-%d" % int(sig), str(pid)], check=False)

    def processes(self) -> List[Tuple[int, List[str]]]:
        """(pid, argv) of every process."""
        out = self.sh(["ps", "-e", "-o", "pid=,args="])
        found = []
        for line in out.splitlines():
            pid, _sep, args = line.strip().partition(" ")
            if pid.isdigit():
                found.append((int(pid), args.split()))
        return found

    def netns_list(self) -> List[str]:
        return [line.split()[0] for line in self.sh(["ip", "netns", "list"], check=False).splitlines() if line.strip()]

    def listdir(self, path: str) -> List[str]:
        return self.sh(["ls", "-1A", path], check=False).split()

    # -- FRR --------------------------------------------------------------
    def frr_version(self) -> str:
        """The FRR version installed here (``zebra --version``: "zebra version 10.3" -> "10.3")."""
        cached = getattr(self, "_frr_version", None)
        if cached is None:
            out = self.sh([os.path.join(FRR_LIB, "zebra"), "--version"], check=False)
            words = out.split("\n", 1)[0].split()
            cached = words[2] if len(words) >= 3 and words[1] == "version" else "unknown"
            self._frr_version = cached
        return cached

    def has_daemon(self, daemon: str) -> bool:
        return self.exists(os.path.join(FRR_LIB, daemon))

    def call(self, func: str, timeout: float = 900, **kwargs) -> object:
        """Run ``frr_call.py FUNC`` with this machine's python3 (the collection imported from the checkout):
        its JSON answer.  Raises LabError when it printed none."""
        proc = self.run([self.python, CALL, func, json.dumps(kwargs)], timeout=timeout, check=False)
        try:
            return json.loads(proc.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            raise LabError("%s: frr_call %s printed no answer (rc %d): %s %s" % (
                self.name, func, proc.returncode, proc.stdout[-1500:], proc.stderr[-3000:])) from None

    def close(self) -> None:
        """Release the machine (a container is removed)."""


class LocalMachine(Machine):
    """This machine: commands run as they are, files and processes through the OS."""

    name = "host"

    def __init__(self):
        self.python = sys.executable if os.path.exists(os.path.join(DEV, "ansible_collections")) else "/usr/bin/python3"

    def command(self, argv: Sequence[str]) -> List[str]:
        return list(argv)

    def write_file(self, path: str, content: str, mode: int = 0o640, frr_owned: bool = True) -> None:
        with open(path, "w") as fh:
            fh.write(content)
        uid, gid = frr_ids() if frr_owned else (0, 0)
        os.chown(path, uid, gid)
        os.chmod(path, mode)

    def read_file(self, path: str) -> str:
        with open(path) as fh:
            return fh.read()

    def exists(self, path: str) -> bool:
        return os.path.exists(path)

    def make_dir(self, path: str, mode: int = 0o750, frr_owned: bool = True) -> None:
        os.makedirs(path, exist_ok=True)
        uid, gid = frr_ids() if frr_owned else (0, 0)
        os.chown(path, uid, gid)
        os.chmod(path, mode)

    def remove_tree(self, path: str) -> None:
        if path.rstrip("/") in ("", "/etc/frr", "/var/run/frr", "/run/frr"):
            raise LabError("refusing to remove %r" % path)
        if os.path.isdir(path):
            shutil.rmtree(path, ignore_errors=True)

    def pid_alive(self, pid: int) -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        try:
            with open("/proc/%d/stat" % pid) as fh:
                return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            return False

    def kill(self, pid: int, sig: int = signal.SIGKILL) -> None:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass

    def processes(self) -> List[Tuple[int, List[str]]]:
        return [(pid, [a.decode(errors="replace") for a in argv if a]) for pid, argv in procs.processes()]

    def listdir(self, path: str) -> List[str]:
        return os.listdir(path) if os.path.isdir(path) else []


def frr_ids() -> Tuple[int, int]:
    """This machine's frr uid and gid (0, 0 when FRR is not installed)."""
    try:
        return pwd.getpwnam("frr").pw_uid, grp.getgrnam("frr").gr_gid
    except KeyError:
        return 0, 0


class ContainerMachine(Machine):
    """A privileged container of a release image, entered with nsenter (see the module docstring)."""

    # PID 1 of the container: reaps the daemons that frrinit.sh double-forks (they are re-parented to it).
    # Not systemd: forky's systemd 262 cannot boot on this machine's cgroup v1 (release_image.py).
    REAPER = ("import os, signal, time\n"
              "signal.signal(signal.SIGTERM, lambda *a: os._exit(0))\n"
              "while True:\n"
              "    try:\n"
              "        os.waitpid(-1, 0)\n"
              "    except ChildProcessError:\n"
              "        time.sleep(0.5)\n")

    def __init__(self, release: str, prefix: str = "nmfrrv"):
        self.release = release
        self.name = release
        self.image = release_image.build(release)
        nmlab.ensure_podman_collection()     # the podman connection of Host.ansible / Host.playbook
        self._lab = nmlab.Lab("%s-%s" % (prefix, release), unique=True)
        try:
            # --privileged: ip netns add (mounts), veths, zebra's netlink socket options, FRR's capabilities
            self.host = self._lab.host(
                "frr", image=self.image, systemd=False, caps=(), devices=(), volumes=["%s:%s:ro" % (REPO, REPO)],
                extra_args=["--privileged", "--entrypoint", json.dumps([self.python, "-c", self.REAPER])])
            pid = nmlab.podman(["inspect", "--format", "{{.State.Pid}}", self.host.name]).stdout.strip()
            if not pid.isdigit() or pid == "0":
                raise LabError("%s: podman gave no pid for %s" % (release, self.host.name))
            self.pid = int(pid)
        except BaseException:
            self._lab.close()
            raise

    def command(self, argv: Sequence[str]) -> List[str]:
        # all of the container's namespaces, its root and cwd; a clean environment (not this venv's PATH)
        return ["nsenter", "-t", str(self.pid), "-a", "-r", "-w", "env", "-i",
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C.UTF-8",
                "HOME=/root"] + list(argv)

    def close(self) -> None:
        self._lab.close()


_MACHINES: Dict[str, Machine] = {}


def machine(version: str) -> Machine:
    """The (shared) machine that runs FRR ``version`` (a key of :data:`VERSIONS`), started on first use."""
    if version not in VERSIONS:
        raise LabError("unknown lab FRR version %r (known: %s)" % (version, ", ".join(VERSIONS)))
    got = _MACHINES.get(version)
    if got is None:
        release = VERSIONS[version]
        got = LocalMachine() if release is None else ContainerMachine(release)
        _MACHINES[version] = got
    return got


def local() -> Machine:
    return machine("8.4")


def release(version: str) -> None:
    """Close the machine of ``version`` (a container is removed; this host stays)."""
    got = _MACHINES.pop(version, None)
    if got is not None:
        got.close()


@atexit.register
def close_all() -> None:
    """Close every machine (containers removed); registered to run at exit."""
    for version in list(_MACHINES):
        _MACHINES.pop(version).close()


def selected_versions() -> List[str]:
    """The versions the FRR suites run on: ``NETMEDIC_FRR_VERSIONS`` (comma-separated), default all."""
    value = os.environ.get("NETMEDIC_FRR_VERSIONS", "").strip()
    if not value:
        return list(VERSIONS)
    chosen = [v.strip() for v in value.split(",") if v.strip()]
    unknown = [v for v in chosen if v not in VERSIONS]
    if unknown:
        raise LabError("NETMEDIC_FRR_VERSIONS: unknown version(s) %s (known: %s)"
                       % (", ".join(unknown), ", ".join(VERSIONS)))
    return chosen
