"""Helpers shared by the BMC integration tests (imported by conftest.py and the tests)."""

import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
PASSWORD_ENV = "NMBMC_TEST_PASSWORD"


def adhoc_argv(bmc, check=False, diff=False, password_from_env=True, module="bmc_lan_mode", **args):
    """``ansible localhost -m netmedic.network.bmc_lan_mode -a JSON``; the password comes from an
    env lookup so it is not on ansible's own command line either."""
    params = bmc.module_params(**args)
    if password_from_env and "password" in params:
        params["password"] = "{{ lookup('env', '%s') }}" % PASSWORD_ENV
    argv = [os.path.join(REPO, ".venv", "bin", "ansible"), "localhost", "-i", "localhost,", "-c", "local",
            "-m", "netmedic.network." + module, "-a", json.dumps(params)]
    if check:
        argv.append("--check")
    if diff:
        argv.append("--diff")
    return argv


def parse_adhoc(stdout):
    out = json.loads(stdout[stdout.index("{"):])
    return out["plays"][0]["tasks"][0]["hosts"]["localhost"]
