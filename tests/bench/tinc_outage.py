#!/usr/bin/env python
"""Outage of a bridged tinc restart: tinc_safe_restart restart vs reload vs a naive restart.

Builds the two-host namespace lab of tests/integration/tinc (real tincd 1.0,
switch mode, br-int, a client behind each bridge), pings client b from client
a every 10 ms, and restarts host a's tinc in the middle.  Prints, per run, the
pings lost, the longest gap between two replies (the outage as the clients see
it) and the module's own ``outage_seconds``.

    naive    SIGTERM, wait while `kill -0` succeeds (as a shell loop does), start
             again, tinc-up re-attaches the tap
    restart  tinc_safe_restart mode=restart (detach, stop, start the moment the
             old process is gone, wait for peers, re-attach)
    reload   tinc_safe_restart mode=reload (SIGHUP)

Usage: tests/bench/tinc_outage.py [RUNS] (default 5).  Needs root and tinc.
"""

import os
import signal
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration", "tinc"))

from tinclab import HOSTS, TincLab, pinger_result  # noqa: E402

INTERVAL = 0.01
COUNT = 300          # 3 s of pings; the restart happens after 0.5 s


def naive_restart(lab):
    pid = lab.pid("a")
    os.kill(pid, signal.SIGTERM)
    while True:           # what `while kill -0 $pid; do sleep 0.1; done` does: a zombie still "exists"
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    lab.start("a")
    return None


def module_restart(lab, mode):
    r = lab.run_restart("a", mode=mode, precheck=0, storm_watch=0)
    if not r["ok"]:
        raise RuntimeError(r["msg"])
    return r["outage_seconds"]


def one_run(lab, variant):
    pinger = lab.start_pinger("a", HOSTS["b"]["client_ip"], count=COUNT, interval=INTERVAL)
    time.sleep(0.5)
    if variant == "naive":
        own = naive_restart(lab)
    else:
        own = module_restart(lab, variant)
    sent, received, gap = pinger_result(pinger)
    lab.wait_connected()
    return sent - received, gap, own


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    lab = TincLab().setup()
    try:
        print("tinc 1.0 switch mode, 2 namespaces + underlay veth, ping every %d ms, %d runs each"
              % (INTERVAL * 1000, runs))
        print("%-8s %4s %6s %10s %12s" % ("variant", "run", "lost", "max gap s", "module s"))
        summary = {}
        for variant in ("naive", "restart", "reload"):
            lost_l, gap_l = [], []
            for i in range(runs):
                lost, gap, own = one_run(lab, variant)
                lost_l.append(lost)
                gap_l.append(gap)
                print("%-8s %4d %6d %10.3f %12s" % (variant, i + 1, lost, gap, "-" if own is None else "%.3f" % own))
                time.sleep(0.3)
            summary[variant] = (lost_l, gap_l)
        print()
        print("%-8s %14s %22s" % ("variant", "lost (median)", "max gap s (med / max)"))
        for variant, (lost_l, gap_l) in summary.items():
            print("%-8s %14s %22s" % (variant, "%g" % statistics.median(lost_l),
                                      "%.3f / %.3f" % (statistics.median(gap_l), max(gap_l))))
    finally:
        lab.teardown()


if __name__ == "__main__":
    main()
