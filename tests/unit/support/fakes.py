"""The fake command runner of the unit tests, and the captured outputs it answers with (fixtures/nmaud)."""

import os

from ansible_collections.netmedic.network.plugins.module_utils.core.runner import CommandNotFound, Result
from support.paths import FIXTURES as _ROOT

FIXTURES = os.path.join(_ROOT, "nmaud")


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as fh:
        return fh.read()


class FakeRunner:
    """Answers argv lists from a table: key is a substring of the joined argv, value is
    stdout (str), a (rc, stdout, stderr) tuple, a list of those (one per call), or an exception."""

    def __init__(self, answers, tools=("ip", "vtysh")):
        self.answers = dict(answers)
        self.calls = []
        self.tools = tools

    def available(self, name):
        return name in self.tools

    def __call__(self, argv, timeout=None, env=None, input=None, check=False, cwd=None):
        joined = " ".join(argv)
        self.calls.append(joined)
        for key, value in self.answers.items():
            if key in joined:
                if isinstance(value, list):
                    value = value.pop(0) if len(value) > 1 else value[0]
                if isinstance(value, Exception):
                    raise value
                rc, out, err = (0, value, "") if isinstance(value, str) else value
                return Result(list(argv), rc, out, err, 0.01)
        raise CommandNotFound("%s: command not found (is the package installed?)" % argv[0])
