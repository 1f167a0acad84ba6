# Copyright: netmedic.network contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers for guest programs: they run INSIDE the qemu guest, as root (guestvm.boot copies this
file next to the guest program in /mnt/work).

A guest program is a list of ``@step("name")`` functions; each returns a dict
of observations, recorded in /mnt/work/results.json (a crash is recorded as
its traceback, and the next step still runs).  ``module(name, args)`` runs a
netmedic module's ``main()`` in this process, as Ansible would with its args
file: Python and Ansible start once, which keeps each call fast under TCG.
"""

import importlib
import io
import json
import os
import subprocess
import sys
import time
import traceback
from contextlib import redirect_stdout

sys.path[:0] = ["/mnt/work/collections", "/mnt/pylib"]

RESULTS = {}
WORK = "/mnt/work"


def sh(cmd, check=True, timeout=30):
    """Run a shell command of the guest program's own (fixed strings, never input)."""
    p = subprocess.run(cmd, shell=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout,
                       universal_newlines=True, check=False)
    if check and p.returncode != 0:
        raise RuntimeError("%s -> %d: %s" % (cmd, p.returncode, p.stdout))
    return p.stdout


def save():
    with open(os.path.join(WORK, "results.json.tmp"), "w") as fh:
        json.dump(RESULTS, fh, indent=1, sort_keys=True)
    os.replace(os.path.join(WORK, "results.json.tmp"), os.path.join(WORK, "results.json"))


def step(name):
    def deco(fn):
        def run():
            t = time.monotonic()
            try:
                RESULTS[name] = fn() or {}
            except Exception:
                RESULTS[name] = {"error": traceback.format_exc()}
            RESULTS[name]["seconds"] = round(time.monotonic() - t, 2)
            save()
        return run
    return deco


def module(name, args, check=False, diff=False):
    """netmedic.network.<name>'s main() in this process; its result dict."""
    from ansible.module_utils.testing import patch_module_args
    mod = importlib.import_module("ansible_collections.netmedic.network.plugins.modules." + name)
    args = dict(args, _ansible_check_mode=check, _ansible_diff=diff)
    buf = io.StringIO()
    with patch_module_args(args), redirect_stdout(buf):
        try:
            mod.main()
        except SystemExit:
            pass
    try:
        return json.loads(buf.getvalue())
    except ValueError:
        return {"failed": True, "msg": "no JSON from the module", "stdout": buf.getvalue()}


def finish(*steps):
    """Run the steps in order, then mark the run complete."""
    for fn in steps:
        fn()
    RESULTS["done"] = True
    save()
