"""Fixtures for the BMC tests: a real ipmi_sim BMC on loopback (tests/lab/ipmi/bmc.py)
and a way to run netmedic.network.bmc_lan_mode through Ansible itself.

    def test_x(bmc_factory, ansible_module):
        bmc = bmc_factory(mode="failover")               # started; always stopped after the test
        res = ansible_module(bmc, mode="dedicated")       # `ansible localhost -m ...`, json callback
"""

import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
LAB = os.path.join(REPO, "tests", "lab")
IPMI_LAB = os.path.join(LAB, "ipmi")
for _p in (LAB, IPMI_LAB, HERE):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import bmc as nmbmc  # noqa: E402  (tests/lab/ipmi/bmc.py)
import lab as nmlab  # noqa: E402  (tests/lab/lab.py installs ansible.posix into build/collections)

from nmbmc_ansible import PASSWORD_ENV, adhoc_argv, parse_adhoc  # noqa: E402


@pytest.fixture
def bmc_factory():
    """Start BMCs with ``bmc_factory(**Bmc options)``; all are stopped after the test, pass or fail."""
    started = []

    def start(**kwargs):
        b = nmbmc.Bmc(**kwargs)
        started.append(b)
        return b.start()

    yield start
    for b in started:
        b.stop()


@pytest.fixture(scope="session")
def ansible_env():
    """Environment for ansible: this checkout as netmedic.network, ansible.posix for the json callback."""
    collections = nmlab.ensure_podman_collection()
    env = dict(os.environ)
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": os.pathsep.join([os.path.join(REPO, "build", "dev"), collections]),
        "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
        "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",
        "ANSIBLE_CALLBACK_RESULT_FORMAT": "json",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_LOCALHOST_WARNING": "False",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "False",
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
    })
    venv_bin = os.path.join(REPO, ".venv", "bin")
    env["PATH"] = venv_bin + os.pathsep + env.get("PATH", "/usr/bin:/bin")
    return env


@pytest.fixture
def ansible_module(ansible_env):
    """Run the module through Ansible against ``bmc``; the host's result dict (+ ``_stdout``)."""
    def run(bmc, check=False, diff=False, password=None, timeout=120, **args):
        env = dict(ansible_env)
        env[PASSWORD_ENV] = bmc.password if password is None else password
        proc = subprocess.run(adhoc_argv(bmc, check=check, diff=diff, **args), env=env, cwd=REPO,
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True, timeout=timeout, check=False)
        try:
            res = parse_adhoc(proc.stdout)
        except (ValueError, KeyError, IndexError):
            raise AssertionError("ansible gave no result (rc %d):\n%s\n%s" % (proc.returncode, proc.stdout[-3000:],
                                                                              proc.stderr[-3000:]))
        res["_stdout"] = proc.stdout + proc.stderr
        return res
    return run
