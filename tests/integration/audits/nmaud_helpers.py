# -*- coding: utf-8 -*-
"""Helpers of the routing-health audit tests: plain namespaces, modules through ansible, audits in a netns.

(A uniquely named module, not conftest: several conftest.py files share the name
``conftest`` when the whole suite runs.)
"""

import json
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
LAB_DIR = os.path.join(REPO, "tests", "lab")
if LAB_DIR not in sys.path:
    sys.path.insert(0, LAB_DIR)

import frrlab  # noqa: E402

PREFIX = "nmaud-"
DEV = os.path.join(REPO, "build", "dev")


class Netns:
    """Plain namespaces (no FRR) named nmaud-*, deleted at the end."""

    def __init__(self):
        self.names = []

    def add(self, name):
        name = PREFIX + name
        frrlab.teardown_router(name)
        frrlab.sh(["ip", "netns", "add", name])
        self.names.append(name)
        self.ip(name, "link", "set", "lo", "up")
        return name

    def ip(self, ns, *args, check=True):
        return frrlab.sh(["ip", "-n", ns] + list(args), check=check)

    def exec(self, ns, *argv, check=True, timeout=30):
        return frrlab.sh(["ip", "netns", "exec", ns] + list(argv), check=check, timeout=timeout)

    def close(self):
        for name in reversed(self.names):
            frrlab.teardown_router(name)


def ansible_module(ns, module, args, check=False):
    """Run ``ansible localhost -m netmedic.network.<module>`` inside namespace ``ns``; the module's result."""
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=DEV, ANSIBLE_CALLBACK_RESULT_FORMAT="json",
               ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="0",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="0")
    argv = ["ip", "netns", "exec", ns, os.path.join(os.path.dirname(sys.executable), "ansible"), "localhost",
            "-c", "local", "-e", "ansible_python_interpreter=%s" % sys.executable,
            "-m", "netmedic.network.%s" % module] + (["-a", json.dumps(args)] if args else [])
    if check:
        argv.append("--check")
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=180, check=False)
    # default callback: "localhost | CHANGED => {...json...}"
    head, sep, body = proc.stdout.partition(" => ")
    try:
        result = json.loads(body)
    except ValueError:
        raise AssertionError("ansible printed no result (rc %d): %s %s"
                             % (proc.returncode, proc.stdout[-2000:], proc.stderr[-2000:])) from None
    if "FAILED!" in head:
        result["failed"] = True
    return result


def audits_in(ns, checks, options):
    """Run audits in-process inside namespace ``ns`` (a child python); findings as dicts."""
    script = ("import json, sys; sys.path.insert(0, %r)\n"
              "from ansible_collections.netmedic.network.plugins.module_utils.core.audit import AuditContext, run_audits\n"
              "from ansible_collections.netmedic.network.plugins.module_utils.core.registry import registry\n"
              "f, runs = run_audits(AuditContext(options=json.loads(sys.argv[2])), registry().values(), "
              "only=json.loads(sys.argv[1]))\n"
              "print(json.dumps({'findings': [x.to_dict() for x in f], 'runs': [r.to_dict() for r in runs]}))\n"
              % DEV)
    out = frrlab.sh(["ip", "netns", "exec", ns, sys.executable, "-c", script, json.dumps(checks),
                     json.dumps(options)], timeout=120)
    return json.loads(out)
