#!/usr/bin/env python
"""Figures for the routing-health audits (run as root; prints, asserts nothing).

1. FRR config load rate on this machine: ``vtysh -b`` of an N-line frr.conf
   (prefix-list lines, like the lab's incident-000 reproduction) into a fresh
   pathspace router, timed until the running config has every line.  This is
   the ``lines_per_second`` the frr_settings audit's NM-FRR-010 model uses
   (default 250, the slowest full load measured in the lab).
2. How long each audit takes against a live FRR pair (one eBGP session) and
   with a 20,000-line frr.conf (the drift check parses both configs).

    sudo .venv/bin/python tests/bench/audits_routing.py [LINES]   (default 2000)
"""

import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "lab"))
sys.path.insert(0, os.path.join(REPO, "build", "dev"))

import frrlab  # noqa: E402
from ansible_collections.netmedic.network.plugins.module_utils.bgp import audit as audit_bgp  # noqa: E402
from ansible_collections.netmedic.network.plugins.module_utils.frr import audit_settings as audit_frr_settings  # noqa: E402
from ansible_collections.netmedic.network.plugins.module_utils.core.audit import AuditContext  # noqa: E402
from ansible_collections.netmedic.network.plugins.module_utils.core.runner import Runner  # noqa: E402


def big_conf(lines):
    body = ["frr defaults traditional", "!"]
    i = 0
    while len(body) < lines:
        body.append("ip prefix-list PL%d seq %d permit 10.%d.%d.0/24"
                    % (i // 1000, (i % 1000) * 5 + 5, (i // 250) % 250, i % 250))
        i += 1
    return "\n".join(body) + "\n", i


def timed(fn):
    t = time.monotonic()
    out = fn()
    return time.monotonic() - t, out


def main():
    lines = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    print("load average before: %s (2 cores shared with other work)" % " ".join(open("/proc/loadavg").read().split()[:3]))
    frrlab.cleanup_stale("nmaudb-")
    with frrlab.Lab("nmaudb-") as lab:
        conf, n_pl = big_conf(lines)
        r = lab.router("load", "frr defaults traditional\n", daemons=["bgpd"], watchfrr_options="-T 600")
        lab.start()
        r.write_conf(conf)
        took, res = timed(lambda: r.boot_config(timeout=1200))
        got = r.running_config(timeout=300).count("ip prefix-list")
        print("vtysh -b of %d lines (%d prefix-list entries): %.1f s, %d entries loaded, %.0f lines/s"
              % (lines, n_pl, took, got, lines / took))
        ctx = AuditContext(runner=Runner(), options={"frr_settings": {"pathspace": r.name, "check_drift": True}})
        t, f = timed(lambda: audit_frr_settings.run(ctx))
        print("frr_settings audit with a %d-line frr.conf (drift check included): %.2f s, findings %s"
              % (lines, t, sorted(x.id for x in f)))
    with frrlab.Lab("nmaudb-") as lab:
        a = lab.router("a", "frr defaults traditional\nrouter bgp 65001\n no bgp ebgp-requires-policy\n"
                            " neighbor 10.98.0.2 remote-as 65002\nexit\n")
        b = lab.router("b", "frr defaults traditional\nrouter bgp 65002\n no bgp ebgp-requires-policy\n"
                            " neighbor 10.98.0.1 remote-as 65001\nexit\n")
        lab.link(a, "eth-b", "10.98.0.1/30", b, "eth-a", "10.98.0.2/30")
        lab.start()
        a.wait_bgp_established("10.98.0.2", timeout=90)
        for interval in (0, 1):
            bgp_options = {"pathspace": a.name, "sample_interval": interval, "min_established_seconds": 0}
            ctx = AuditContext(runner=Runner(), options={"bgp": bgp_options})
            t, f = timed(lambda: audit_bgp.run(ctx))
            print("bgp audit, 1 session, sample_interval=%d: %.2f s, findings %s" % (interval, t,
                                                                                     sorted(x.id for x in f)))
        ctx = AuditContext(runner=Runner(), options={"frr_settings": {"pathspace": a.name}})
        t, f = timed(lambda: audit_frr_settings.run(ctx))
        print("frr_settings audit, small config: %.2f s" % t)


if __name__ == "__main__":
    main()
