"""The netmedic lab: lab hosts are podman containers of the lab image.

Each lab host runs systemd as PID 1 with NET_ADMIN/NET_RAW and /dev/net/tun,
sits on private podman networks, and is reachable by Ansible through the
``containers.podman.podman`` connection (``podman exec``; no SSH).

From pytest (``tests/integration/conftest.py`` puts this directory on
``sys.path`` and provides the ``lab`` / ``lab_image`` fixtures)::

    def test_something(lab):
        net = lab.network("core")
        a = lab.host("a", networks=[net])
        b = lab.host("b", networks=[net])
        a.exec(["ping", "-c1", "-W2", b.ip(net)])
        result = a.ansible("netmedic.network.preflight", {})

Or as a context manager anywhere: ``with Lab("nmfrr-bgp") as lab: ...``.

Every container and network a ``Lab`` creates carries the label
``netmedic-lab=<run id>``; ``Lab.close()`` removes them all (idempotent, also
called at interpreter exit), and ``cleanup_all()`` removes everything any run
left behind (``make lab-down``).  Names are ``<prefix>-<name>`` (with
``unique=True``, as the ``lab`` fixture does: ``<prefix>-<tag>-<name>``; use
``host.name``, never a spelled-out name): use your area prefix (``nmfrr-``, ``nmtinc-``...).

As a command (used by ``make lab-image / lab-up / lab-down``)::

    python tests/lab/lab.py image                # build the image when out of date
    python tests/lab/lab.py derived NAME PKG...  # image with extra Debian packages
    python tests/lab/lab.py up [--hosts N]       # a lab that stays up: nmlab-dev-h1, ...
    python tests/lab/lab.py down                 # remove everything labelled netmedic-lab
    python tests/lab/lab.py status
"""

from __future__ import annotations

import argparse
import atexit
import hashlib
import json
import os
import secrets
import shlex
import signal
import sys
import tempfile
import time
from typing import Dict, Iterable, List, Optional, Sequence

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DEV = os.path.join(REPO, "build", "dev")
COLLECTIONS = os.path.join(REPO, "build", "collections")
VENV_BIN = os.path.join(REPO, ".venv", "bin")


def _import_runner():
    try:
        from ansible_collections.netmedic.network.plugins.module_utils.core import runner
    except ImportError:  # run as a script: make the checkout importable like tests/conftest.py does
        link = os.path.join(DEV, "ansible_collections", "netmedic", "network")
        if not os.path.islink(link):
            os.makedirs(os.path.dirname(link), exist_ok=True)
            try:
                os.symlink(REPO, link)
            except FileExistsError:
                pass
        sys.path.insert(0, DEV)
        from ansible_collections.netmedic.network.plugins.module_utils.core import runner
    return runner


runner = _import_runner()
Result = runner.Result
CommandError = runner.CommandError

# NETMEDIC_LAB_IMAGE (also read by build-image.sh): another tag, to try an image change without
# rebuilding the one every other checkout on this machine uses.
IMAGE = os.environ.get("NETMEDIC_LAB_IMAGE") or "localhost/netmedic-lab:latest"
LABEL = "netmedic-lab"                 # value: the run id
PREFIX_LABEL = "netmedic-lab.prefix"   # value: the Lab's prefix
PID_LABEL = "netmedic-lab.pid"         # value: pid of the process that owns the run
HASH_LABEL = "netmedic.lab.hash"       # on images: what they were built from

# Podman needs runc and explicit ulimits on this kind of machine (LAB_NOTES).
os.environ.setdefault("CONTAINERS_CONF", os.path.join(HERE, "containers.conf"))


def podman(args: Sequence[str], check: bool = True, timeout: float = 120, input: Optional[str] = None) -> Result:
    """Run ``podman ARGS`` (argv list) through the collection's runner."""
    return runner.run(["podman"] + list(args), timeout=timeout, check=check, input=input)


def _ansible_env() -> Dict[str, str]:
    paths = [DEV, COLLECTIONS] + [p for p in os.environ.get("ANSIBLE_COLLECTIONS_PATH", "").split(os.pathsep) if p]
    seen = []
    for p in paths:
        if p not in seen:
            seen.append(p)
    path = os.environ.get("PATH", runner.SYSTEM_PATH)
    if os.path.isdir(VENV_BIN) and VENV_BIN not in path.split(os.pathsep):
        path = VENV_BIN + os.pathsep + path
    return {
        "ANSIBLE_COLLECTIONS_PATH": os.pathsep.join(seen),
        "ANSIBLE_ROLES_PATH": os.path.join(REPO, "roles"),
        "ANSIBLE_HOST_KEY_CHECKING": "False",
        "ANSIBLE_RETRY_FILES_ENABLED": "False",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_PYTHON_INTERPRETER": "/usr/bin/python3",
        # podman exec enters as root; saying so lets Ansible skip the roles' become (no sudo in the image)
        "ANSIBLE_REMOTE_USER": "root",
        "LC_ALL": "C.UTF-8",        # the runner's default C locale makes Ansible refuse to start
        "PATH": path,
    }


def _ansible_exe(name: str) -> str:
    exe = os.path.join(VENV_BIN, name)
    return exe if os.access(exe, os.X_OK) else name


# ---------------------------------------------------------------- images

def _run_script(name: str, timeout: float) -> Result:
    res = runner.run([os.path.join(HERE, name)], timeout=timeout)
    if not res.ok:
        raise CommandError("tests/lab/%s failed (rc %d):\n%s" % (name, res.rc, (res.stdout + res.stderr)[-3000:]), res)
    return res


def ensure_image() -> str:
    """Build the lab image when missing or out of date (a no-op in well under a second otherwise)."""
    _run_script("build-image.sh", timeout=1800)
    return IMAGE


def ensure_podman_collection() -> str:
    """Install containers.podman and ansible.posix into build/collections when missing (a no-op otherwise)."""
    _run_script("install-podman-collection.sh", timeout=600)
    return COLLECTIONS


def ensure_derived_image(name: str, packages: Iterable[str]) -> str:
    """``localhost/netmedic-lab-NAME:latest``: the lab image plus Debian ``packages``.

    Cached by a label holding a hash of the base image id and the package list:
    rebuilt only when either changes.  Packages are installed from the machine's
    Debian mirror (the image's sources.list) with ``--network=host``.
    """
    if not name.replace("-", "").isalnum() or name != name.lower():
        raise ValueError("derived image name must be lowercase letters, digits and dashes: %r" % name)
    packages = sorted(set(packages))
    if not packages or any(not p or p.startswith("-") or any(c.isspace() for c in p) for p in packages):
        raise ValueError("bad package list: %r" % (packages,))
    base = ensure_image()
    base_id = podman(["image", "inspect", "--format", "{{.Id}}", base]).stdout.strip()
    digest = hashlib.sha256(json.dumps([base_id, packages]).encode()).hexdigest()[:16]
    tag = "localhost/netmedic-lab-%s:latest" % name
    current = podman(["image", "inspect", "--format", '{{ index .Labels "%s" }}' % HASH_LABEL, tag], check=False)
    if current.ok and current.stdout.strip() == digest:
        return tag
    old = podman(["image", "inspect", "--format", "{{.Id}}", tag], check=False)
    containerfile = "\n".join([
        "FROM %s" % base,
        "RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends %s"
        " && apt-get clean && rm -rf /var/lib/apt/lists/*" % " ".join(shlex.quote(p) for p in packages),
        "LABEL %s=%s" % (HASH_LABEL, digest),
        "LABEL netmedic.lab.extra-packages=%s" % ",".join(packages),
        'CMD ["/sbin/init"]',
        "",
    ])
    with tempfile.TemporaryDirectory(prefix="nmlab-derived-") as ctx:
        with open(os.path.join(ctx, "Containerfile"), "w") as fh:
            fh.write(containerfile)
        podman(["build", "--quiet", "--network=host", "--runtime=runc", "--layers=false", "-t", tag,
                "-f", os.path.join(ctx, "Containerfile"), ctx], timeout=1800)
    if old.ok and old.stdout.strip():
        podman(["rmi", old.stdout.strip()], check=False)  # fails harmlessly while a container uses it
    return tag


# ---------------------------------------------------------------- hosts

class Host:
    """One lab host (a container).  ``name`` is the container name."""

    def __init__(self, lab: "Lab", name: str, short: str, networks: Sequence[str]):
        self.lab = lab
        self.name = name
        self.short = short
        self.networks = list(networks)
        self.start_seconds = 0.0   # from `podman run` to systemd "running" (or to the container being up)
        self.boot_state = ""

    def __repr__(self):
        return "Host(%r)" % self.name

    def exec(self, argv: List[str], check: bool = True, timeout: float = 60, input: Optional[str] = None) -> Result:
        """Run ``argv`` in the host (``podman exec``); raises CommandError when check and rc != 0."""
        if isinstance(argv, (str, bytes)):
            raise TypeError("Host.exec takes an argv list, not a shell string")
        opts = ["exec"] + (["-i"] if input is not None else [])
        return podman(opts + [self.name] + [str(a) for a in argv], check=check, timeout=timeout, input=input)

    def sh(self, script: str, check: bool = True, timeout: float = 60) -> Result:
        """Run a shell snippet in the host (for test set-up; prefer exec with an argv)."""
        return self.exec(["sh", "-c", script], check=check, timeout=timeout)

    def inspect(self) -> dict:
        return json.loads(podman(["inspect", self.name]).stdout)[0]

    def ip(self, network: str) -> str:
        """This host's IPv4 address on a podman ``network``."""
        nets = self.inspect()["NetworkSettings"]["Networks"]
        if network not in nets:
            raise KeyError("%s is not on network %s (it is on: %s)" % (self.name, network, ", ".join(nets)))
        return nets[network]["IPAddress"]

    def put_file(self, content: str, path: str, mode: int = 0o644) -> None:
        """Write ``content`` to ``path`` in the host (parent directories created)."""
        self.exec(["sh", "-c", 'mkdir -p "$(dirname "$1")" && cat > "$1" && chmod "$2" "$1"', "put_file",
                   path, "%o" % mode], input=content)

    def read_file(self, path: str) -> str:
        return self.exec(["cat", path]).stdout

    def _ansible_base(self, exe: str) -> List[str]:
        return [_ansible_exe(exe), "-i", self.name + ",", "-c", "containers.podman.podman"]

    def ansible(self, module: str, args: Optional[dict] = None, check: bool = False, diff: bool = False,
                timeout: float = 300) -> dict:
        """Run one module ad hoc against this host; return the module's result dict.

        The dict is what the ``json`` callback reports for the host (``failed``,
        ``changed``, the module's return values, ``diff`` when ``diff=True``).
        Raises CommandError only when Ansible itself produced no result (bad
        module name, connection failure...); a failed module is returned.
        """
        argv = self._ansible_base("ansible") + ["all", "-m", module]
        if args:   # a JSON dict; an empty one would be taken for "raw params"
            argv += ["-a", json.dumps(args)]
        if check:
            argv.append("--check")
        if diff:
            argv.append("--diff")
        env = _ansible_env()
        env.update({"ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json", "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",
                    "ANSIBLE_CALLBACK_RESULT_FORMAT": "json"})
        res = runner.run(argv, timeout=timeout, env=env, cwd=REPO)
        try:
            out = json.loads(res.stdout[res.stdout.index("{"):])
            return out["plays"][0]["tasks"][0]["hosts"][self.name]
        except (ValueError, KeyError, IndexError):
            raise CommandError("ansible -m %s on %s gave no result: %s\n%s" % (
                module, self.name, res.describe(), res.stdout[-2000:]), res) from None

    def playbook(self, path: str, extravars: Optional[dict] = None, check: bool = False, diff: bool = False,
                 timeout: float = 600) -> Result:
        """Run ``ansible-playbook PATH`` against this host only (inventory = this host).

        Returns the runner Result (rc, stdout, stderr); it does not raise on a
        failed play, so the test can show the output: ``assert r.rc == 0, r.stdout``.
        """
        argv = self._ansible_base("ansible-playbook") + [os.path.abspath(path)]
        if extravars:
            argv += ["-e", json.dumps(extravars)]
        if check:
            argv.append("--check")
        if diff:
            argv.append("--diff")
        return runner.run(argv, timeout=timeout, env=_ansible_env(), cwd=REPO)


# ---------------------------------------------------------------- labs

class Lab:
    """Containers and networks of one run; a context manager.  ``close()`` removes them all."""

    def __init__(self, prefix: str, unique: bool = False):
        """``prefix``: your area prefix plus a label (``nmfrr-bgp``).  With ``unique``
        names get a short random tag (``nmfrr-bgp-3f2a-r1``) so that two runs of the
        same test (a developer's and ``make test``) can run side by side."""
        prefix = prefix.strip("-")
        if not prefix or not all(c.isalnum() or c in "-_." for c in prefix):
            raise ValueError("lab prefix must be letters, digits, '-', '_' or '.': %r" % prefix)
        self.prefix = prefix
        tag = secrets.token_hex(2)
        self.name_prefix = "%s-%s" % (prefix, tag) if unique else prefix
        self.run_id = "%s.%d.%s" % (prefix, os.getpid(), tag)
        self.hosts: Dict[str, Host] = {}
        self.networks: List[str] = []
        self.closed = False
        self._remove_stale()
        atexit.register(self.close)

    def __enter__(self) -> "Lab":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self):
        return "Lab(%r, run_id=%r)" % (self.prefix, self.run_id)

    def _labels(self) -> List[str]:
        return ["--label", "%s=%s" % (LABEL, self.run_id), "--label", "%s=%s" % (PREFIX_LABEL, self.prefix),
                "--label", "%s=%d" % (PID_LABEL, os.getpid())]

    def _remove_stale(self) -> None:
        """Remove what an earlier run with the same prefix left behind, if that process is gone."""
        stale = set()
        for kind in ("container", "network"):
            for labels in _labelled(kind, "%s=%s" % (PREFIX_LABEL, self.prefix)).values():
                pid = labels.get(PID_LABEL, "")
                if labels.get(LABEL) and not (pid.isdigit() and os.path.exists("/proc/%s" % pid)):
                    stale.add(labels[LABEL])
        for run_id in stale:
            _remove_run(run_id)

    def _name(self, name: str) -> str:
        if not name or not all(c.isalnum() or c in "-_" for c in name):
            raise ValueError("lab object names are letters, digits, '-' and '_': %r" % name)
        return "%s-%s" % (self.name_prefix, name)

    def network(self, name: str, subnet: Optional[str] = None, internal: bool = True) -> str:
        """Create a podman bridge network ``<prefix>-<name>``; return its name (pass it to host())."""
        self._check_open()
        full = self._name(name)
        argv = ["network", "create"] + self._labels()
        if internal:
            argv.append("--internal")
        if subnet:
            argv += ["--subnet", subnet]
        podman(argv + [full])
        self.networks.append(full)
        return full

    def host(self, name: str, networks: Sequence[str] = (), image: Optional[str] = None, systemd: bool = True,
             caps: Sequence[str] = ("NET_ADMIN", "NET_RAW"), devices: Sequence[str] = ("/dev/net/tun",),
             volumes: Sequence[str] = (), extra_args: Sequence[str] = ()) -> Host:
        """Start container ``<prefix>-<name>`` (hostname ``name``) and wait until it is ready.

        With ``systemd`` (default) PID 1 is systemd and this returns once
        ``systemctl is-system-running`` reports the boot finished.  Without a
        network the host has only loopback.  ``networks`` are joined in order
        (eth0, eth1, ...).  ``volumes`` are ``podman -v`` specs.
        """
        self._check_open()
        full = self._name(name)
        image = image or IMAGE
        argv = ["run", "-d", "--name", full, "--hostname", name] + self._labels()
        for net in networks or ["none"]:
            argv += ["--network", net]
        for cap in caps:
            argv += ["--cap-add", cap]
        for dev in devices:
            argv += ["--device", dev]
        for vol in volumes:
            argv += ["-v", vol]
        if systemd:
            argv += ["--systemd=always", "--stop-signal", "SIGRTMIN+3"]
        argv += list(extra_args) + [image]
        argv += ["/sbin/init"] if systemd else ["sleep", "infinity"]
        host = Host(self, full, name, networks)
        start = time.monotonic()
        self.hosts[name] = host     # registered before run: close() removes it even if start fails
        podman(argv)
        if systemd:
            host.boot_state = self._wait_for_systemd(host)
        host.start_seconds = time.monotonic() - start
        return host

    @staticmethod
    def _wait_for_systemd(host: Host, timeout: float = 90) -> str:
        deadline = time.monotonic() + timeout
        state = ""
        while time.monotonic() < deadline:
            res = host.exec(["systemctl", "is-system-running", "--wait"], check=False,
                            timeout=max(1.0, deadline - time.monotonic()))
            state = res.stdout.strip()
            if state in ("running", "degraded"):
                return state
            time.sleep(0.1)   # dbus/systemd not answering yet ("offline", connection refused)
        failed = host.exec(["systemctl", "--failed", "--no-legend"], check=False, timeout=10).stdout
        raise CommandError("%s: systemd did not finish booting within %.0f s (state %r)\n%s"
                           % (host.name, timeout, state, failed))

    def _check_open(self):
        if self.closed:
            raise RuntimeError("%r is closed" % self)

    def close(self) -> None:
        """Remove every container and network of this run.  Idempotent; Ctrl-C cannot interrupt it."""
        if self.closed:
            return
        old = None
        try:
            old = signal.signal(signal.SIGINT, signal.SIG_IGN)
        except ValueError:   # not the main thread
            pass
        try:
            _remove_run(self.run_id)
            self.closed = True
        finally:
            if old is not None:
                signal.signal(signal.SIGINT, old)
        try:
            atexit.unregister(self.close)
        except Exception:  # pragma: no cover
            pass

    def detach(self) -> None:
        """Keep this lab's containers after the process exits (``make lab-up``)."""
        atexit.unregister(self.close)
        self.closed = True


def _labelled(kind: str, label_filter: str) -> Dict[str, Dict[str, str]]:
    """{name: labels} of podman containers/networks matching ``label_filter``."""
    if kind == "container":
        res = podman(["ps", "-a", "--filter", "label=" + label_filter, "--format", "json"], check=False)
        items = json.loads(res.stdout or "[]") if res.ok else []
        return {c["Names"][0]: c.get("Labels") or {} for c in items}
    res = podman(["network", "ls", "--filter", "label=" + label_filter, "--format", "json"], check=False)
    items = json.loads(res.stdout or "[]") if res.ok else []
    return {n.get("name") or n.get("Name"): n.get("labels") or n.get("Labels") or {} for n in items}


def _remove_run(run_id: Optional[str], label_filter: Optional[str] = None) -> None:
    label_filter = label_filter or ("%s=%s" % (LABEL, run_id) if run_id else LABEL)
    containers = list(_labelled("container", label_filter))
    if containers:
        podman(["rm", "-f", "-t", "0"] + containers, check=False, timeout=180)
    networks = list(_labelled("network", label_filter))
    if networks:
        podman(["network", "rm", "-f"] + networks, check=False)
    left = list(_labelled("container", label_filter)) + list(_labelled("network", label_filter))
    if left:
        raise CommandError("lab cleanup left behind: %s" % ", ".join(left))


def cleanup_all(prefix: Optional[str] = None) -> List[str]:
    """Remove every container and network carrying the netmedic-lab label; return their names.

    Also other people's running labs and Molecule instances: for ``make lab-down``
    and CI.  With ``prefix``, only the labs created with that ``Lab`` prefix.
    """
    label_filter = "%s=%s" % (PREFIX_LABEL, prefix.strip("-")) if prefix else LABEL
    names = list(_labelled("container", label_filter)) + list(_labelled("network", label_filter))
    _remove_run(None, label_filter)
    return names


# ---------------------------------------------------------------- command line

DEV_PREFIX = "nmlab-dev"


def _cmd_up(hosts: int) -> None:
    ensure_image()
    cleanup_all(DEV_PREFIX)   # the previous `make lab-up`
    lab = Lab(DEV_PREFIX)
    try:
        net = lab.network("net")
        started = [lab.host("h%d" % (i + 1), networks=[net]) for i in range(hosts)]
    except BaseException:
        lab.close()
        raise
    lab.detach()
    names = ",".join(h.name for h in started) + ","
    print("lab up: network %s" % net)
    for h in started:
        print("  %-16s %-15s started in %.1f s (%s)" % (h.name, h.ip(net), h.start_seconds, h.boot_state))
    print()
    print("Reach it with Ansible (from %s):" % REPO)
    print("  export ANSIBLE_COLLECTIONS_PATH=%s:%s" % (DEV, COLLECTIONS))
    print("  .venv/bin/ansible all -i %s -c containers.podman.podman -m ping" % names)
    print("  .venv/bin/ansible-playbook -i %s -c containers.podman.podman playbooks/preflight.yml" % names)
    print("A shell: podman exec -it %s bash        Remove it: make lab-down" % started[0].name)


def _cmd_status() -> None:
    for kind in ("container", "network"):
        for name, labels in sorted(_labelled(kind, LABEL).items()):
            print("%-9s %-30s run %s" % (kind, name, labels.get(LABEL)))


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="lab.py", description="netmedic lab: podman containers of the lab image")
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("image", help="build the lab image when missing or out of date")
    d = sub.add_parser("derived", help="the lab image plus Debian packages")
    d.add_argument("name")
    d.add_argument("packages", nargs="+")
    u = sub.add_parser("up", help="start a lab (%s-h1, ...) that stays up" % DEV_PREFIX)
    u.add_argument("--hosts", type=int, default=2)
    sub.add_parser("down", help="remove every container and network labelled %s" % LABEL)
    sub.add_parser("status", help="list what is labelled %s" % LABEL)
    args = parser.parse_args(argv)
    try:
        if args.cmd == "image":
            print(ensure_image())
        elif args.cmd == "derived":
            print(ensure_derived_image(args.name, args.packages))
        elif args.cmd == "up":
            _cmd_up(args.hosts)
        elif args.cmd == "down":
            removed = cleanup_all()
            print("lab down: removed %d objects%s" % (len(removed), (": " + ", ".join(removed)) if removed else ""))
        elif args.cmd == "status":
            _cmd_status()
    except CommandError as exc:
        print("lab: %s" % exc, file=sys.stderr)
        if exc.result is not None and exc.result.stderr:
            print(exc.result.stderr[-3000:], file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
