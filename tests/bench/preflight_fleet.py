"""Benchmark: the fleet preflight against `ansible -m ping`, over podman exec and SSH, up to 1,000 hosts.

Prints figures; asserts nothing (a timed assertion would flake on a busy machine).

1. Audits inside the module on one lab host (what the host spends; the rest is Ansible).
2. Side by side in one run, per transport (podman exec, SSH with pipelining and
   ControlPersist) and size (10, 50, 100 lab hosts, forks min(N, 20)):
   `ansible all -m ansible.builtin.ping` and `ansible-playbook playbooks/preflight.yml`,
   wall time, the ratio preflight / ping (goal: <= 1.25 at 100 hosts), and the
   controller's CPU time per host.
   With --before DIR, an earlier checkout's playbook beside it at the largest size.
3. Big: --big inventory hosts (1,000) over SSH on as many containers as --containers
   allows, each container standing for several inventory hosts (one sshd port each, so
   each inventory host has its own SSH connection): controller CPU per host and hosts
   per minute per controller core.  With --mitogen DIR (mitogen installed there with
   `pip install --target DIR mitogen`), the same with Mitogen's strategy beside it.

Controller CPU is the CPU time of the Ansible process tree, SSH clients and their
ControlPersist masters included: a cpuacct cgroup when this machine lets us make one,
else the children's rusage (which misses the masters).  The lab hosts are containers on
the same machine: wall times include the hosts' own work, CPU figures do not.

Usage: .venv/bin/python tests/bench/preflight_fleet.py [--sizes 10,50,100] [--transports podman,ssh]
                                                       [--big 1000] [--containers 250] [--mitogen DIR]
Lab hosts are containers without systemd (the audits do not need it); they are removed at the end.
"""

import argparse
import concurrent.futures
import glob
import json
import math
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "lab"))
sys.path.insert(0, os.path.join(REPO, "tests"))
# conftest makes the collection importable
import conftest  # noqa: E402,F401  pylint: disable=unused-import
import lab as labmod  # noqa: E402
import labssh  # noqa: E402

BIN = os.path.join(REPO, ".venv", "bin")
CGROUP_ROOT = "/sys/fs/cgroup/cpuacct"
SSH_PORT_BASE = 2200


class Meter:
    """CPU time of a command's whole process tree: a cpuacct cgroup of our own, or RUSAGE_CHILDREN."""

    def __init__(self):
        self.path = os.path.join(CGROUP_ROOT, "nmbench-%d" % os.getpid())
        try:
            os.mkdir(self.path)
            self.kind = "cgroup"
        except OSError:
            self.path = None
            self.kind = "rusage (ControlPersist masters not counted)"

    def _join(self):   # in the child, before exec: the child and everything it starts are counted
        with open(os.path.join(self.path, "cgroup.procs"), "w") as fh:
            fh.write(str(os.getpid()))

    def _usage(self):
        if self.path:
            with open(os.path.join(self.path, "cpuacct.usage")) as fh:
                return int(fh.read()) / 1e9
        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        return ru.ru_utime + ru.ru_stime

    def run(self, argv, env, timeout=3600):
        """(wall seconds, CPU seconds, stdout) of ``argv``; exits the benchmark when it fails."""
        cpu0, start = self._usage(), time.monotonic()
        proc = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=REPO, timeout=timeout, check=False,
                              preexec_fn=self._join if self.path else None)
        wall = time.monotonic() - start
        if proc.returncode != 0:
            raise SystemExit("command failed (%d): %s\n%s\n%s" % (proc.returncode, " ".join(argv),
                                                                  proc.stdout[-3000:], proc.stderr[-2000:]))
        return wall, self._usage() - cpu0, proc.stdout

    def close(self):
        if self.path:
            try:
                os.rmdir(self.path)
            except OSError:
                pass


def stop_masters(control_dir):
    """End the ControlPersist masters of one run (ours: their command line names our control directory)."""
    for cmdline in glob.glob("/proc/[0-9]*/cmdline"):
        try:
            with open(cmdline, "rb") as fh:
                if control_dir.encode() not in fh.read():
                    continue
            os.kill(int(cmdline.split("/")[2]), signal.SIGTERM)
        except (OSError, ValueError):
            continue


def start_hosts(lab, names, network, ssh_ports=None):
    """Lab hosts (no systemd), four started at a time; sshd on ``ssh_ports`` when given."""
    def one(name):
        host = lab.host(name, networks=[network], systemd=False)
        if ssh_ports:
            labssh.start_sshd(host, ports=ssh_ports)
        return host
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        return list(pool.map(one, names))


def inventory(path, hosts, transport, network, per_host=1):
    """An INI inventory of ``len(hosts) * per_host`` hosts; several inventory hosts share a container."""
    lines = ["[fleet]"]
    for host in hosts:
        address = host.ip(network) if transport != "podman" else None
        for k in range(per_host):
            name = "%s-%d" % (host.short, k) if per_host > 1 else host.short
            if transport == "podman":
                lines.append("%s ansible_connection=containers.podman.podman ansible_host=%s "
                             "ansible_python_interpreter=/usr/bin/python3" % (name, host.name))
            else:
                port = SSH_PORT_BASE + k if per_host > 1 else None
                lines.append("%s %s" % (name, labssh.inventory_vars(address, port)))
    with open(path, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    return len(lines) - 1


def side_by_side(meter, env, inv, forks, report_dir, transport, extra_env=None, checkout=REPO):
    """Wall and CPU of ping and of the preflight playbook (of ``checkout``) over the whole inventory, in turn."""
    figures = {}
    commands = (
        ("ping", [os.path.join(BIN, "ansible"), "all", "-i", inv, "-f", str(forks), "-m", "ansible.builtin.ping",
                  "-o"]),
        ("preflight", [os.path.join(BIN, "ansible-playbook"), "-i", inv, "-f", str(forks),
                       "-e", "preflight_fail_on=never", "-e", "preflight_report_dir=%s" % report_dir,
                       "-e", "preflight_targets=fleet", os.path.join(checkout, "playbooks", "preflight.yml")]),
    )
    if checkout != REPO:    # an earlier checkout's collection, from its own build/dev link
        extra_env = dict(extra_env or {}, ANSIBLE_COLLECTIONS_PATH=os.pathsep.join(
            [os.path.join(checkout, "build", "dev")] + env["ANSIBLE_COLLECTIONS_PATH"].split(os.pathsep)[1:]))
    for label, argv in commands:
        run_env = dict(env, **(extra_env or {}))
        control_dir = tempfile.mkdtemp(prefix="nmbench-cp-")   # cold connections in every run
        run_env["ANSIBLE_SSH_CONTROL_PATH_DIR"] = control_dir
        try:
            wall, cpu, dummy = meter.run(argv, run_env)
        finally:
            if transport == "ssh":
                stop_masters(control_dir)
        figures[label] = (wall, cpu)
    return figures


def audit_time(meter, env, inv, host):
    json_env = dict(env, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_LOAD_CALLBACK_PLUGINS="1")
    out = meter.run([os.path.join(BIN, "ansible"), "-i", inv, host, "-m", "netmedic.network.preflight"], json_env)[2]
    try:
        res = json.loads(out[out.index("{"):])["plays"][0]["tasks"][0]["hosts"][host]
    except (ValueError, KeyError, IndexError):
        return
    print("audits inside the module on one lab host: %.3f s over %d audits (%s)" % (
        sum(a["duration"] for a in res["audits"]), len(res["audits"]),
        ", ".join("%s=%s" % (a["name"], a["status"]) for a in res["audits"])))


def mitogen_env(directory):
    """Mitogen for Ansible's linear strategy, from where ``pip install --target`` put it (optional)."""
    return {"ANSIBLE_STRATEGY_PLUGINS": os.path.join(directory, "ansible_mitogen", "plugins", "strategy"),
            "ANSIBLE_STRATEGY": "mitogen_linear", "PYTHONPATH": directory}


def row(transport, n, forks, figures):
    (pw, pc), (fw, fc) = figures["ping"], figures["preflight"]
    print("%-11s %6d %6d %9.1f %9.1f %7.2f %11.3f %12.3f %10.0f" % (
        transport, n, forks, pw, fw, fw / pw, pc / n, fc / n, 60 * n / fc if fc else 0))


HEADER = "%-11s %6s %6s %9s %9s %7s %11s %12s %10s" % (
    "transport", "hosts", "forks", "ping s", "preflt s", "ratio", "ping cpu/h", "preflt cpu/h", "h/min/core")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10,50,100")
    ap.add_argument("--transports", default="podman,ssh")
    ap.add_argument("--forks", type=int, default=20)
    ap.add_argument("--big", type=int, default=1000, help="inventory hosts of the big run (0: none)")
    ap.add_argument("--containers", type=int, default=250, help="containers of the big run at most")
    ap.add_argument("--big-transports", default="ssh")
    ap.add_argument("--mitogen", default="", help="directory mitogen is installed in (pip install --target DIR)")
    ap.add_argument("--before", default="", help="a checkout of earlier code (git worktree add DIR COMMIT; its "
                                                 "build/dev link made): its preflight.yml at the largest size too")
    args = ap.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(",") if s)
    transports = [t for t in args.transports.split(",") if t]
    cores = os.cpu_count() or 1

    labmod.ensure_image()
    labmod.ensure_podman_collection()
    env = dict(os.environ)
    env.update(labmod._ansible_env())
    env["ANSIBLE_CONFIG"] = os.path.join(REPO, "ansible.cfg")
    # as the README advises for SSH: pipelining (ansible.cfg) and ControlPersist
    env["ANSIBLE_SSH_ARGS"] = "-C -o ControlMaster=auto -o ControlPersist=60s"
    meter = Meter()
    print("controller: %d cores; CPU measured by %s" % (cores, meter.kind))
    print("h/min/core: preflight hosts per minute per core of controller CPU (60 * hosts / preflight CPU s)")

    n_containers = max(sizes + [min(args.big, args.containers)])
    per_host = math.ceil(args.big / n_containers) if args.big else 1
    if per_host + 1 > labssh.MAX_PORTS:
        ap.error("--big %d on %d containers is %d sshd ports each, more than sshd's %d: more --containers"
                 % (args.big, n_containers, per_host + 1, labssh.MAX_PORTS))
    ssh_ports = [SSH_PORT_BASE + k for k in range(per_host)] if "ssh" in transports + args.big_transports.split(",") \
        else None
    try:
        with labmod.Lab("nmbench") as lab, tempfile.TemporaryDirectory() as tmp:
            net = lab.network("net", subnet="10.231.0.0/22")
            t0 = time.monotonic()
            # ssh on port 22 and on SSH_PORT_BASE.. for the big run's extra inventory hosts
            hosts = start_hosts(lab, ["h%04d" % i for i in range(1, n_containers + 1)], net,
                                ([22] + ssh_ports) if ssh_ports else None)
            ports = " (sshd on %d ports each)" % (1 + len(ssh_ports)) if ssh_ports else ""
            print("started %d lab hosts in %.1f s%s" % (len(hosts), time.monotonic() - t0, ports))
            inv = os.path.join(tmp, "one.ini")
            inventory(inv, hosts[:1], "podman", net)
            audit_time(meter, env, inv, hosts[0].short)

            print("\nside by side: ansible -m ping | ansible-playbook playbooks/preflight.yml (cpu/h: controller "
                  "CPU s per host)")
            print(HEADER)
            for transport in transports:
                for n in sizes:
                    inv = os.path.join(tmp, "%s-%d.ini" % (transport, n))
                    inventory(inv, hosts[:n], transport, net)
                    forks = min(n, args.forks)
                    row(transport, n, forks, side_by_side(meter, env, inv, forks, tmp, transport))
                    if args.before and n == sizes[-1]:
                        before = side_by_side(meter, env, inv, forks, tmp, transport, checkout=args.before)
                        row("%s before" % transport, n, forks, before)
                    if transport == "ssh" and args.mitogen and n == sizes[-1]:
                        row("ssh+mitogen", n, forks, side_by_side(meter, env, inv, forks, tmp, transport,
                                                                  mitogen_env(args.mitogen)))

            if args.big:
                print("\nbig: %d inventory hosts on %d containers (%d each)" % (
                    args.big, n_containers, per_host))
                print(HEADER)
                # one task per host needs no long ControlPersist; a short one bounds the masters
                # (and their sessions on the lab hosts) alive at once
                env["ANSIBLE_SSH_ARGS"] = "-C -o ControlMaster=auto -o ControlPersist=15s"
                for transport in [t for t in args.big_transports.split(",") if t]:
                    inv = os.path.join(tmp, "big-%s.ini" % transport)
                    total = inventory(inv, hosts, transport, net, per_host)
                    row(transport, total, args.forks, side_by_side(meter, env, inv, args.forks, tmp, transport))
                    if transport == "ssh" and args.mitogen:
                        row("ssh+mitogen", total, args.forks, side_by_side(meter, env, inv, args.forks, tmp, transport,
                                                                           mitogen_env(args.mitogen)))
    finally:
        meter.close()


if __name__ == "__main__":
    main()
