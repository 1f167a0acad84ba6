"""A two-host tinc switch-mode lab in network namespaces (real tincd, real bridges).

    underlay:  nmtinc-a [nmtinc-ua 10.99.0.1] ---veth--- [nmtinc-ub 10.99.0.2] nmtinc-b
    host a:    br-int (10.98.0.11) <- nmtinc-ta (tinc tap), nmtinc-cpa <-veth-> client ns nmtinc-ca (10.98.0.1)
    host b:    br-int (10.98.0.12) <- nmtinc-tb (tinc tap), nmtinc-cpb <-veth-> client ns nmtinc-cb (10.98.0.2)

tinc runs ``Mode = switch`` / ``DeviceType = tap``, network name ``nmtinc``,
config in ``WORKDIR/<host>``, pidfile and logfile there too; ``tinc-up`` brings
the tap up and (by default) enslaves it to br-int.  :meth:`inject_loop` joins
the two br-int with a second layer-2 path (a veth pair), which with STP off is
a loop.  Used by the integration tests and by tests/bench/tinc_outage.py.
Everything is named ``nmtinc-*``; :meth:`teardown` removes it all (also the
leftovers of an earlier run).
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "lab"))
import procs  # noqa: E402  (tests/lab: shared with the other labs)

PREFIX = "nmtinc-"
NET = "nmtinc"
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
DEV = os.path.join(REPO, "build", "dev")
MU = "ansible_collections.netmedic.network.plugins.module_utils"
VENV_BIN = os.path.join(REPO, ".venv", "bin")
HOSTS = {
    "a": {"ns": "nmtinc-a", "client": "nmtinc-ca", "underlay": "nmtinc-ua", "under_ip": "10.99.0.1",
          "tap": "nmtinc-ta", "bridge_ip": "10.98.0.11", "client_ip": "10.98.0.1", "cport": "nmtinc-cpa",
          "peer": "b"},
    "b": {"ns": "nmtinc-b", "client": "nmtinc-cb", "underlay": "nmtinc-ub", "under_ip": "10.99.0.2",
          "tap": "nmtinc-tb", "bridge_ip": "10.98.0.12", "client_ip": "10.98.0.2", "cport": "nmtinc-cpb",
          "peer": "a"},
}
BRIDGE = "br-int"
TINC_UP_ATTACH = '#!/bin/sh\nip link set "$INTERFACE" up\nip link set "$INTERFACE" master br-int\n'
TINC_UP_PLAIN = '#!/bin/sh\nip link set "$INTERFACE" up\n'


def sh(argv, check=True, timeout=30, **kw):
    return subprocess.run(argv, check=check, timeout=timeout, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, **kw)


def require_tools():
    missing = [t for t in ("tincd", "ip", "ping", "tcpdump") if shutil.which(t) is None]
    if missing:
        raise RuntimeError("the tinc lab needs %s (Debian packages tinc, iproute2, iputils-ping, tcpdump; "
                           "`make test` installs them)" % ", ".join(missing))
    if os.geteuid() != 0:
        raise RuntimeError("the tinc lab needs root (network namespaces)")


def cleanup_leftovers():
    """Kill tincd of earlier labs and delete nmtinc-* namespaces."""
    procs.kill_matching(lambda argv: procs.named(argv, "tincd") and any(b"/nmtinc-lab-" in a for a in argv))
    out = sh(["ip", "netns", "list"], check=False).stdout
    for line in out.splitlines():
        name = line.split()[0] if line.split() else ""
        if name.startswith(PREFIX):
            sh(["ip", "netns", "del", name], check=False)


class TincLab:
    def __init__(self, tinc_up_attaches=True):
        require_tools()
        self.tinc_up_attaches = tinc_up_attaches
        self.workdir = tempfile.mkdtemp(prefix="nmtinc-lab-")
        self.loop = False

    # ------------------------------------------------------------ paths
    def conf(self, h):
        return os.path.join(self.workdir, h)

    def pidfile(self, h):
        return os.path.join(self.workdir, h, "tinc.pid")

    def logfile(self, h):
        return os.path.join(self.workdir, h, "tinc.log")

    def command(self, h):
        return ["tincd", "-n", NET, "-c", self.conf(h), "--pidfile=" + self.pidfile(h),
                "--logfile=" + self.logfile(h)]

    def pid(self, h):
        try:
            with open(self.pidfile(h)) as fh:
                return int(fh.read().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    # ------------------------------------------------------------ build
    def setup(self):
        cleanup_leftovers()
        try:
            self._setup()
        except BaseException:
            self.teardown()
            raise
        return self

    def _setup(self):
        for h, d in HOSTS.items():
            for ns in (d["ns"], d["client"]):
                sh(["ip", "netns", "add", ns])
                self.nsx(ns, ["ip", "link", "set", "lo", "up"])
                self.nsx(ns, ["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
                              "net.ipv6.conf.default.disable_ipv6=1"])
        a, b = HOSTS["a"], HOSTS["b"]
        sh(["ip", "link", "add", a["underlay"], "netns", a["ns"], "type", "veth", "peer", "name", b["underlay"],
            "netns", b["ns"]])
        for h, d in HOSTS.items():
            ns = d["ns"]
            self.nsx(ns, ["ip", "addr", "add", d["under_ip"] + "/24", "dev", d["underlay"]])
            self.nsx(ns, ["ip", "link", "set", d["underlay"], "up"])
            self.nsx(ns, ["ip", "link", "add", BRIDGE, "type", "bridge", "stp_state", "0"])
            self.nsx(ns, ["ip", "addr", "add", d["bridge_ip"] + "/24", "dev", BRIDGE])
            self.nsx(ns, ["ip", "link", "set", BRIDGE, "up"])
            sh(["ip", "link", "add", "nmtinc-c0", "netns", d["client"], "type", "veth", "peer", "name", d["cport"],
                "netns", ns])
            self.nsx(ns, ["ip", "link", "set", d["cport"], "master", BRIDGE, "up"])
            self.nsx(d["client"], ["ip", "addr", "add", d["client_ip"] + "/24", "dev", "nmtinc-c0"])
            self.nsx(d["client"], ["ip", "link", "set", "nmtinc-c0", "up"])
            self.write_config(h)
        for h in HOSTS:
            with open(os.path.join(self.conf(h), "hosts", h)) as fh:
                pub = fh.read()
            with open(os.path.join(self.conf(HOSTS[h]["peer"]), "hosts", h), "w") as fh:
                fh.write(pub)
        for h in HOSTS:
            self.start(h)
        self.wait_connected()

    def write_config(self, h):
        d = HOSTS[h]
        os.makedirs(os.path.join(self.conf(h), "hosts"), exist_ok=True)
        with open(os.path.join(self.conf(h), "tinc.conf"), "w") as fh:
            fh.write("Name = %s\nMode = switch\nDeviceType = tap\nInterface = %s\nAddressFamily = ipv4\n"
                     "ConnectTo = %s\n" % (h, d["tap"], d["peer"]))
        with open(os.path.join(self.conf(h), "hosts", h), "w") as fh:
            fh.write("Address = %s\n" % d["under_ip"])
        self.set_tinc_up(h, self.tinc_up_attaches)
        sh(["tincd", "-n", NET, "-c", self.conf(h), "-K2048"], stdin=subprocess.DEVNULL)

    def set_tinc_up(self, h, attaches):
        path = os.path.join(self.conf(h), "tinc-up")
        with open(path, "w") as fh:
            fh.write(TINC_UP_ATTACH if attaches else TINC_UP_PLAIN)
        os.chmod(path, 0o755)

    def start(self, h):
        self.nsx(HOSTS[h]["ns"], self.command(h))

    def wait_gone(self, pid, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with open("/proc/%d/stat" % pid) as fh:
                    if fh.read().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
                        return
            except OSError:
                return
            time.sleep(0.01)
        raise RuntimeError("pid %d still runs after %d s" % (pid, timeout))

    def wait_connected(self, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.ping("a", HOSTS["b"]["client_ip"], count=1, interval=0.2, wait=1)[1] == 1:
                return
            time.sleep(0.2)
        raise RuntimeError("the tinc lab clients cannot reach each other after %d s:\n%s" % (
            timeout, open(self.logfile("a")).read()[-2000:]))

    # ------------------------------------------------------------ use
    def nsx(self, ns, argv, check=True, timeout=30, **kw):
        return sh(["ip", "netns", "exec", ns] + list(argv), check=check, timeout=timeout, **kw)

    def link(self, h, ifname):
        out = self.nsx(HOSTS[h]["ns"], ["ip", "-j", "-d", "link", "show", "dev", ifname], check=False)
        if out.returncode != 0:
            return None
        return json.loads(out.stdout)[0]

    def master(self, h):
        link = self.link(h, HOSTS[h]["tap"])
        return link.get("master") if link else None

    def ping(self, from_host, to_ip, count=3, interval=0.2, wait=1, deadline=None):
        """(sent, received) of ``ping`` from host ``from_host``'s client."""
        argv = ["ping", "-n", "-q", "-c", str(count), "-i", str(interval), "-W", str(wait), to_ip]
        if deadline:
            argv[1:1] = ["-w", str(deadline)]
        out = self.nsx(HOSTS[from_host]["client"], argv, check=False, timeout=count * interval + wait + 30).stdout
        m = re.search(r"(\d+) packets transmitted, (\d+) received", out)
        return (int(m.group(1)), int(m.group(2))) if m else (0, 0)

    def start_pinger(self, from_host, to_ip, count, interval=0.01):
        """Background ``ping -D`` (timestamps); :func:`pinger_result` reads it."""
        return subprocess.Popen(["ip", "netns", "exec", HOSTS[from_host]["client"], "ping", "-n", "-D", "-c",
                                 str(count), "-i", str(interval), "-W", "1", to_ip],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)

    def inject_loop(self):
        sh(["ip", "link", "add", "nmtinc-la", "netns", HOSTS["a"]["ns"], "type", "veth", "peer", "name",
            "nmtinc-lb", "netns", HOSTS["b"]["ns"]])
        self.nsx(HOSTS["a"]["ns"], ["ip", "link", "set", "nmtinc-la", "master", BRIDGE, "up"])
        self.nsx(HOSTS["b"]["ns"], ["ip", "link", "set", "nmtinc-lb", "master", BRIDGE, "up"])
        self.loop = True

    def remove_loop(self):
        self.nsx(HOSTS["a"]["ns"], ["ip", "link", "del", "nmtinc-la"], check=False)
        self.loop = False

    def start_seeder(self, seconds, interval=0.2):
        """Broadcast ARP requests every ``interval`` s on host a's br-int (source: the bridge's own MAC, which
        makes the kernel log its loop message) and from client a: with a loop, each one circulates forever."""
        code = ("import socket, struct, sys, time\n"
                "dev, ip, secs, every = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])\n"
                "mac = bytes.fromhex(open('/sys/class/net/%s/address' % dev).read().strip().replace(':', ''))\n"
                "arp = struct.pack('!HHBBH6s4s6s4s', 1, 0x0800, 6, 4, 1, mac, socket.inet_aton(ip), b'\\0' * 6,\n"
                "                  socket.inet_aton('10.98.0.250'))\n"
                "frame = b'\\xff' * 6 + mac + struct.pack('!H', 0x0806) + arp\n"
                "s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)\n"
                "s.bind((dev, 0))\n"
                "end = time.monotonic() + secs\n"
                "while time.monotonic() < end:\n"
                "    s.send(frame)\n"
                "    time.sleep(every)\n")
        procs = []
        for ns, dev, ip in ((HOSTS["a"]["ns"], BRIDGE, HOSTS["a"]["bridge_ip"]),
                            (HOSTS["a"]["client"], "nmtinc-c0", HOSTS["a"]["client_ip"])):
            procs.append(subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, "-c", code, dev, ip,
                                           str(seconds), str(interval)],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        return procs

    # ------------------------------------------------------------ the code under test
    def _in_host(self, h, code, *args, timeout=180):
        """Python ``code`` run inside host ``h``'s namespace, ``args`` as sys.argv[1:] and ``from MU.<area>``
        importing the collection's module_utils; what it printed, as JSON."""
        prog = "import json, sys, time\nsys.path.insert(0, %r)\n" % DEV + code.replace("from MU.", "from %s." % MU)
        out = self.nsx(HOSTS[h]["ns"], [sys.executable, "-c", prog] + [str(a) for a in args], timeout=timeout)
        return json.loads(out.stdout)

    def _options(self, h, opts):
        params = {"netname": NET, "config_dir": self.conf(h), "pidfile": self.pidfile(h)}
        params.update(opts)
        return json.dumps(params)

    def run_restart(self, h, **opts):
        """Run the restart runbook (module_utils tinc.restart) inside host ``h``'s namespace; the report dict."""
        code = ("from MU.tinc.options import RestartOptions\n"
                "from MU.tinc.restart import safe_restart\n"
                "from MU.tinc.storm import StormThresholds\n"
                "p = json.loads(sys.argv[1])\nth = p.pop('thresholds', None)\ncheck = p.pop('check_mode', False)\n"
                "o = RestartOptions(thresholds=StormThresholds(**th) if th else StormThresholds(), **p)\n"
                "print(json.dumps(safe_restart(o, check_mode=check).to_dict()))\n")
        return self._in_host(h, code, self._options(h, opts))

    def run_guarded(self, h, window=60, settle=5, rollback=True, **opts):
        """tinc_safe_restart's code with ``rollback: true`` (module_utils tinc.rollback.ensure) inside host ``h``'s
        namespace (``rollback=False``: without it): ``{"report": ..., "rollback": ..., "seconds": the call's own time}``."""
        code = ("from MU.core.rollback import Settings\n"
                "from MU.tinc.options import RestartOptions\n"
                "from MU.tinc.rollback import ensure\n"
                "p = json.loads(sys.argv[1])\ncheck = p.pop('check_mode', False)\nt0 = time.monotonic()\n"
                "rep, rec = ensure(RestartOptions(**p), Settings(enabled=sys.argv[4] == '1', "
                "window=float(sys.argv[2]), settle=float(sys.argv[3])), check_mode=check)\n"
                "print(json.dumps({'report': rep.to_dict(), 'rollback': rec.to_result(), "
                "'seconds': time.monotonic() - t0}))\n")
        return self._in_host(h, code, self._options(h, opts), window, settle, "1" if rollback else "0")

    def run_audit(self, h, **options):
        """Run the tinc audit inside host ``h``'s namespace against a root whose etc/tinc/nmtinc is the lab's."""
        root = os.path.join(self.workdir, "root-" + h)
        if not os.path.isdir(root):
            os.makedirs(os.path.join(root, "etc", "tinc"))
            os.makedirs(os.path.join(root, "run"))
            os.symlink(self.conf(h), os.path.join(root, "etc", "tinc", NET))
            os.symlink(self.pidfile(h), os.path.join(root, "run", "tinc.%s.pid" % NET))
            for d in ("proc", "sys", "dev"):
                os.symlink("/" + d, os.path.join(root, d))
        code = ("from MU.core.audit import AuditContext\n"
                "from MU.tinc import audit as audit_tinc\n"
                "ctx = AuditContext(root=sys.argv[1], options={'tinc': json.loads(sys.argv[2])})\n"
                "print(json.dumps([f.to_dict() for f in audit_tinc.AUDIT.run(ctx)]))\n")
        return self._in_host(h, code, root, json.dumps(options), timeout=120)

    def run_ansible(self, h, args, check=False):
        """``ansible localhost -m netmedic.network.tinc_safe_restart`` inside host ``h``'s namespace."""
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=DEV, ANSIBLE_CALLBACK_RESULT_FORMAT="json",
                   ANSIBLE_STDOUT_CALLBACK="default", ANSIBLE_LOCALHOST_WARNING="false",
                   ANSIBLE_INVENTORY_UNPARSED_WARNING="false", ANSIBLE_NOCOLOR="1",
                   ANSIBLE_PYTHON_INTERPRETER=sys.executable)
        params = {"netname": NET, "config_dir": self.conf(h), "pidfile": self.pidfile(h)}
        params.update(args)
        argv = [os.path.join(VENV_BIN, "ansible"), "localhost", "-c", "local", "-m",
                "netmedic.network.tinc_safe_restart", "-a", json.dumps(params)]
        if check:
            argv.append("--check")
        out = self.nsx(HOSTS[h]["ns"], argv, check=False, timeout=180, env=env, cwd=REPO)
        text = out.stdout
        if "=>" not in text:
            raise AssertionError("no module result from ansible:\n%s\n%s" % (text, out.stderr))
        result = json.loads(text[text.index("=>") + 2:])
        result["_status"] = text[:text.index("=>")].split("|")[-1].strip()  # SUCCESS, CHANGED, FAILED!
        return result

    def run_playbook(self, extra_vars=None):
        """playbooks/tinc.yml over hosts tinc-a and tinc-b (each a namespace); (rc, output)."""
        hosts = {}
        for h in HOSTS:
            # Ansible's local connection, with a python that runs inside the host's namespace
            wrapper = os.path.join(self.workdir, "python-" + h)
            with open(wrapper, "w") as fh:
                fh.write('#!/bin/sh\nexec ip netns exec %s %s "$@"\n' % (HOSTS[h]["ns"], sys.executable))
            os.chmod(wrapper, 0o755)
            hosts["tinc-" + h] = {"ansible_connection": "local", "ansible_python_interpreter": wrapper,
                                  "tinc_config_dir": self.conf(h), "tinc_pidfile": self.pidfile(h)}
        inventory = os.path.join(self.workdir, "inventory.json")
        with open(inventory, "w") as fh:
            json.dump({"all": {"hosts": hosts, "vars": dict({"tinc_netname": NET}, **(extra_vars or {}))}}, fh)
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=DEV, ANSIBLE_ROLES_PATH=os.path.join(REPO, "roles"),
                   ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="false")
        out = sh([os.path.join(VENV_BIN, "ansible-playbook"), "-i", inventory,
                  os.path.join(REPO, "playbooks", "tinc.yml"), "-e", "tinc_targets=all"], check=False, timeout=300, env=env,
                 cwd=self.workdir)
        return out.returncode, out.stdout + out.stderr

    # ------------------------------------------------------------ teardown
    def teardown(self):
        for h in HOSTS:
            pid = self.pid(h)
            if pid:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        cleanup_leftovers()
        shutil.rmtree(self.workdir, ignore_errors=True)


def pinger_result(proc, timeout=120):
    """(sent, received, longest gap in seconds between replies) of a :meth:`TincLab.start_pinger`."""
    out, _err = proc.communicate(timeout=timeout)
    stamps = [float(m.group(1)) for m in re.finditer(r"^\[(\d+\.\d+)\].*icmp_seq=", out, re.M)]
    m = re.search(r"(\d+) packets transmitted, (\d+) received", out)
    sent, received = (int(m.group(1)), int(m.group(2))) if m else (0, len(stamps))
    gap = max((b - a for a, b in zip(stamps, stamps[1:])), default=0.0)
    return sent, received, gap
