"""Fixtures of the tinc integration tests: one namespace lab per module, always torn down."""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from tinclab import TincLab  # noqa: E402


@pytest.fixture(scope="module")
def lab():
    lab = TincLab().setup()
    try:
        yield lab
    finally:
        lab.teardown()


class BrokenConfig:
    """Host a's tinc.conf names a private key file that does not exist: tincd cannot start with it.
    ``restore()`` puts the file back and starts tincd with the port in br-int, as the lab runs it
    (the restart report); the fixture does it when the test did not."""

    def __init__(self, lab):
        self.lab = lab
        self.conf = os.path.join(lab.conf("a"), "tinc.conf")
        with open(self.conf) as fh:
            self.good = fh.read()
        with open(self.conf, "a") as fh:
            fh.write("PrivateKeyFile = /nonexistent/rsa_key.priv\n")
        self.restored = None

    def restore(self):
        if self.restored is None:
            with open(self.conf, "w") as fh:
                fh.write(self.good)
            self.restored = self.lab.run_restart("a", bridge="br-int", storm_watch=0.5,
                                                 tincd_command=self.lab.command("a"))
            assert self.restored["ok"], self.restored["msg"]
            self.lab.wait_connected(timeout=20)
        return self.restored


@pytest.fixture
def broken_config(lab):
    broken = BrokenConfig(lab)
    try:
        yield broken
    finally:
        broken.restore()
