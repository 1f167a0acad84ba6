# -*- coding: utf-8 -*-
"""Fixtures for the FRR integration tests: real FRR routers in namespaces, on every lab FRR version.

``frr_machine`` (tests/lab/frrfixtures.py) is parametrized over the lab's FRR
versions: 8.4 on this host, 10.3 and 10.7 in containers of the trixie and
forky images, each shared by all the tests of its version; ``lab`` is a router
lab on it.  So every test that uses ``lab`` runs once per version
(``test_x[10.3]``).  ``NETMEDIC_FRR_VERSIONS=8.4,10.3`` restricts the versions.

Routers and links are named ``nmfrr-*`` and removed after each test, also when
the test fails.  A missing component FAILS the test (``make test`` installs FRR).
"""

import os
import sys

import pytest

LAB_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "lab")
if LAB_DIR not in sys.path:
    sys.path.insert(0, LAB_DIR)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# frr_machine: a fixture
from frrfixtures import frr_machine, lab_on  # noqa: E402,F401  pylint: disable=unused-import

PREFIX = "nmfrr-"


@pytest.fixture
def lab(frr_machine):
    with lab_on(frr_machine, PREFIX) as the_lab:
        yield the_lab
