"""Argv built from outside data ends the options with "--" (issue 11: ping got probe addresses without it,
so a probe address "-f" would have been read as flood mode)."""

import shutil
import subprocess

import pytest

from ansible_collections.netmedic.network.plugins.module_utils.core.runner import Result
from ansible_collections.netmedic.network.plugins.module_utils.tinc.options import RestartOptions
from ansible_collections.netmedic.network.plugins.module_utils.tinc.probe import probe
from ansible_collections.netmedic.network.plugins.module_utils.tinc.run import Run


def test_tinc_probe_addresses_follow_a_double_dash(tmp_path):
    calls = []

    def runner(argv, timeout=None, **kw):
        calls.append(list(argv))
        return Result(list(argv), 0, "", "", 0.01)

    # RestartOptions.validate refuses "-f" as a probe address; the "--" is the second guard, for
    # whatever reaches the argv anyway, so the options are built without validation here.
    run = Run(RestartOptions(netname="t3o", root=str(tmp_path), probe_addresses=["192.0.2.9"]),
              runner=runner, clock=lambda: 0.0, sleep=lambda s: None)
    run.o.probe_addresses = ["-f", "192.0.2.1"]
    probe(run, deadline=10.0)
    assert calls == [["ping", "-n", "-q", "-c", "1", "-W", "1", "--", "-f"],
                     ["ping", "-n", "-q", "-c", "1", "-W", "1", "--", "192.0.2.1"]]


@pytest.mark.skipif(not shutil.which("ping"), reason="no ping here")
def test_the_real_ping_accepts_the_double_dash():
    ok = subprocess.run(["ping", "-n", "-q", "-c", "1", "-W", "1", "--", "127.0.0.1"], capture_output=True,
                        timeout=10, check=False)
    assert ok.returncode == 0, ok.stderr
    dash = subprocess.run(["ping", "-n", "-q", "-c", "1", "-W", "1", "--", "-f"], capture_output=True, text=True,
                          timeout=10, check=False)
    assert dash.returncode != 0 and "-f" in dash.stderr  # a name to resolve, not the flood option
