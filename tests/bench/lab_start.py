"""Lab figures: image up-to-date check, lab host start, teardown, one Ansible round trip.

    .venv/bin/python tests/bench/lab_start.py [--hosts N]

Prints figures; asserts nothing about speed.  A cold image build is measured
with `time tests/lab/build-image.sh --force` (about a minute; see tests/lab/README.md).
"""

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lab"))
import lab as nmlab  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--hosts", type=int, default=3, help="hosts started one after the other")
    args = parser.parse_args()

    t0 = time.monotonic()
    nmlab.ensure_image()
    nmlab.ensure_podman_collection()
    print("image + collection up-to-date check: %.2f s" % (time.monotonic() - t0))

    with nmlab.Lab("nmlab-bench", unique=True) as lab:
        net = lab.network("net")
        hosts = [lab.host("h%d" % i, networks=[net]) for i in range(args.hosts)]
        starts = [h.start_seconds for h in hosts]
        print("lab host start (podman run -> systemd running), %d hosts: median %.2f s, min %.2f s, max %.2f s"
              % (len(starts), statistics.median(starts), min(starts), max(starts)))
        t0 = time.monotonic()
        hosts[0].exec(["true"])
        print("podman exec round trip: %.3f s" % (time.monotonic() - t0))
        t0 = time.monotonic()
        res = hosts[0].ansible("ansible.builtin.ping", {})
        assert res.get("ping") == "pong", res
        print("ansible ad hoc ping through containers.podman.podman: %.2f s" % (time.monotonic() - t0))
        t0 = time.monotonic()
        res = hosts[0].ansible("netmedic.network.preflight", {})
        assert "findings" in res, res
        print("ansible netmedic.network.preflight on a lab host: %.2f s" % (time.monotonic() - t0))
        t0 = time.monotonic()
    print("teardown of %d hosts + 1 network: %.2f s" % (args.hosts, time.monotonic() - t0))


if __name__ == "__main__":
    main()
