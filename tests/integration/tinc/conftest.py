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
