#!/usr/bin/env python
"""Figures for the bonding VM: boot-to-exit time of a minimal guest, and the last full run's numbers.

    .venv/bin/python tests/bench/bond_vm.py

Prints (no assertions): asset build/check time, the time from qemu start to
power-off for a guest that builds one bond, writes arp_validate and reads it
back, and, when tests/integration/bond has run, its total VM time, per-step
times and the incident-004 flap counts before/after (build/nm-vm/last-run.json).
"""

import json
import os
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tests", "lab", "vm"))

import build_assets  # noqa: E402
import guestvm as vm  # noqa: E402

GUEST = r'''
import json, os, subprocess, time
t = time.monotonic()
subprocess.run("ip link add nmbond-b type bond mode active-backup arp_interval 100 arp_ip_target 192.0.2.1", shell=True)
with open("/sys/class/net/nmbond-b/bonding/arp_validate", "w") as fh:
    fh.write("all")
value = open("/sys/class/net/nmbond-b/bonding/arp_validate").read().strip()
json.dump({"value": value, "guest_seconds": time.monotonic() - t}, open("/mnt/work/results.json", "w"))
'''


def main():
    t = time.monotonic()
    build_assets.main()
    print("assets ready in %.1f s (cached under %s)" % (time.monotonic() - t, build_assets.CACHE))
    with tempfile.NamedTemporaryFile("w", suffix=".py", prefix="nmbond-bench-", delete=False) as fh:
        fh.write(GUEST)
    try:
        results, info = vm.boot(fh.name)
    finally:
        os.unlink(fh.name)
    print("minimal guest: qemu start to power-off %.1f s; arp_validate read back %r" % (info["seconds"], results["value"]))
    last = os.path.join(build_assets.CACHE, "last-run.json")
    if os.path.exists(last):
        data = json.load(open(last))
        print("last integration run: VM %.1f s; steps: %s" % (
            data["vm_seconds"], ", ".join("%s %.1f" % kv for kv in sorted(data["steps"].items()) if kv[1])))
        for when, v in data.get("incident", {}).items():
            print("incident 004 %-6s active-slave changes %d, link failures %s, broadcasts %d"
                  % (when, v["active_changes"], v["link_failures"], v["broadcasts"]))


if __name__ == "__main__":
    main()
