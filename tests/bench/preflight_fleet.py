"""Benchmark: what one preflight costs per host, and how a fleet run scales.

Prints figures; asserts nothing (a timed assertion would flake on a busy machine).

1. One host: `ansible -m setup` (what gather_facts costs) against
   `ansible -m netmedic.network.preflight` (the whole audit, one module call),
   median of several runs each.
2. Fleet: `ansible-playbook playbooks/preflight.yml` over 10, 50 and 100 lab
   hosts (podman containers of the lab image), with forks set to min(N, 20).

Usage: .venv/bin/python tests/bench/preflight_fleet.py [--sizes 10,50,100] [--repeat 3]
Lab hosts are containers without systemd here (the audits do not need it) so
that 100 of them start in a minute or two on 2 cores.
"""

import argparse
import json
import os
import statistics
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


def timed(argv, env):
    start = time.monotonic()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=REPO, timeout=1800, check=False)
    elapsed = time.monotonic() - start
    if proc.returncode != 0:
        raise SystemExit("command failed (%d): %s\n%s\n%s" % (proc.returncode, " ".join(argv),
                                                              proc.stdout[-3000:], proc.stderr[-2000:]))
    return elapsed, proc.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10,50,100")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))

    labmod.ensure_image()
    labmod.ensure_podman_collection()
    env = dict(os.environ)
    env.update(labmod._ansible_env())
    env["ANSIBLE_CONFIG"] = os.path.join(REPO, "ansible.cfg")
    bin_dir = os.path.join(REPO, ".venv", "bin")

    with labmod.Lab("nmbench") as lab, tempfile.TemporaryDirectory() as tmp:
        t0 = time.monotonic()
        hosts = [lab.host("h%03d" % i, systemd=False) for i in range(1, max(sizes) + 1)]
        print("started %d lab hosts in %.1f s" % (len(hosts), time.monotonic() - t0))
        inventory = os.path.join(tmp, "inventory.ini")
        with open(inventory, "w") as fh:
            fh.write("[fleet]\n")
            for h in hosts:
                fh.write("%s ansible_connection=containers.podman.podman ansible_python_interpreter=/usr/bin/python3\n"
                         % h.name)
        first = hosts[0].name
        adhoc = [os.path.join(bin_dir, "ansible"), "-i", inventory, first, "-o"]
        results = {}
        for label, extra in (("ansible -m setup", ["-m", "setup"]),
                             ("ansible -m netmedic.network.preflight", ["-m", "netmedic.network.preflight"])):
            timed(adhoc + extra, env)  # warm-up (page cache, podman)
            runs = [timed(adhoc + extra, env)[0] for dummy in range(args.repeat)]
            results[label] = statistics.median(runs)
            shown = ", ".join("%.2f" % r for r in runs)
            print("one host, %-38s median %.2f s  (runs: %s)" % (label, results[label], shown))
        ratio = results["ansible -m netmedic.network.preflight"] / results["ansible -m setup"]
        print("preflight / setup = %.2f  (goal: <= 1.0)" % ratio)

        # the preflight module's own time on a host (audit in-process, no Ansible overhead)
        json_env = dict(env, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_LOAD_CALLBACK_PLUGINS="1")
        out = timed(adhoc[:-1] + ["-m", "netmedic.network.preflight"], json_env)[1]
        try:
            res = json.loads(out[out.index("{"):])["plays"][0]["tasks"][0]["hosts"][first]
            audit_time = sum(a["duration"] for a in res["audits"])
            states = ", ".join("%s=%s" % (a["name"], a["status"]) for a in res["audits"])
            print("audits inside the module on one host: %.3f s over %d audits (%s)" % (
                audit_time, len(res["audits"]), states))
        except (ValueError, KeyError, IndexError):
            pass

        print("\nfleet: ansible-playbook playbooks/preflight.yml")
        print("%6s %6s %10s %14s" % ("hosts", "forks", "wall s", "s per host"))
        rows = []
        for n in sizes:
            forks = min(n, 20)
            argv = [os.path.join(bin_dir, "ansible-playbook"), "-i", inventory, "-f", str(forks),
                    "--limit", ",".join(h.name for h in hosts[:n]),
                    "-e", "preflight_fail_on=never", "-e", "preflight_report_dir=%s" % tmp,
                    "-e", "preflight_targets=fleet", os.path.join(REPO, "playbooks", "preflight.yml")]
            wall = timed(argv, env)[0]
            rows.append((n, wall))
            print("%6d %6d %10.1f %14.3f" % (n, forks, wall, wall / n))
        if len(rows) > 1:
            (n0, w0), (n1, w1) = rows[0], rows[-1]
            print("growth %d -> %d hosts: x%.1f wall time for x%.1f hosts (linear or better when <= hosts ratio)"
                  % (n0, n1, w1 / w0, n1 / n0))


if __name__ == "__main__":
    main()
