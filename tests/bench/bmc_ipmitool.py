"""Figures for the BMC path against ipmi_sim on loopback (prints, never asserts).

    .venv/bin/python tests/bench/bmc_ipmitool.py

- one ipmitool lanplus call with the cipher suite pinned (-C 3) vs. without it
- read_lan_mode (mc info + OEM query) and ensure_lan_mode (read, set, poll, re-read)
"""

import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "lab", "ipmi"))
sys.path.insert(0, os.path.join(REPO, "build", "dev"))

import bmc as nmbmc  # noqa: E402
from ansible_collections.netmedic.network.plugins.module_utils.bmc.lan import (  # noqa: E402
    ensure_lan_mode, read_lan_mode)
from ansible_collections.netmedic.network.plugins.module_utils.bmc.tool import Ipmitool, Target  # noqa: E402


def timed(fn, n):
    out = []
    for _i in range(n):
        t = time.monotonic()
        fn()
        out.append(time.monotonic() - t)
    return out


def fmt(xs):
    return "median %.1f ms, max %.1f ms over %d" % (statistics.median(xs) * 1000, max(xs) * 1000, len(xs))


def main():
    with nmbmc.Bmc(mode="failover") as b:
        pinned = timed(lambda: b.ipmitool("mc", "info"), 20)
        print("ipmitool lanplus mc info, -C 3:          " + fmt(pinned))
        argv = list(b.ipmitool_argv("mc", "info"))
        i = argv.index("-C")
        del argv[i:i + 2]
        unpinned = timed(lambda: subprocess.run(argv, env=b.env(), stdout=subprocess.DEVNULL,
                                                stderr=subprocess.DEVNULL, timeout=60, check=False), 1)
        print("ipmitool lanplus mc info, no -C:         " + fmt(unpinned))
        target = Target(interface="lanplus", host=b.host, port=b.port, user=b.user, password=b.password)
        tool = Ipmitool(target, timeout=10)
        print("read_lan_mode (mc info + OEM query):     " + fmt(timed(lambda: read_lan_mode(tool), 10)))
        t = time.monotonic()
        out = ensure_lan_mode(tool, "dedicated", allow_remote_change=True)
        print("ensure_lan_mode failover -> dedicated:   %.1f ms (reconnect poll %.1f ms, %d ipmitool calls)"
              % ((time.monotonic() - t) * 1000, out.reconnect_seconds * 1000, tool.calls - 10 * 2))
        print("ensure_lan_mode, already dedicated:      " + fmt(timed(
            lambda: ensure_lan_mode(tool, "dedicated", allow_remote_change=True), 10)))


if __name__ == "__main__":
    main()
