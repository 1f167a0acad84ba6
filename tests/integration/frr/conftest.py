# -*- coding: utf-8 -*-
"""Fixtures for the FRR integration tests: real FRR routers in namespaces.

Routers and links are named ``nmfrr-*`` and removed after each test, also when
the test fails.  A missing component FAILS the test (``make test`` installs FRR).
"""

import os
import sys

import pytest

LAB_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "lab")
if LAB_DIR not in sys.path:
    sys.path.insert(0, LAB_DIR)

import frrlab  # noqa: E402

PREFIX = "nmfrr-"


@pytest.fixture(scope="session", autouse=True)
def _frr_components():
    missing = frrlab.missing_components()
    if missing:
        pytest.fail("FRR integration tests need: %s (make test installs frr and frr-pythontools)"
                    % ", ".join(missing))
    frrlab.cleanup_stale(PREFIX)
    yield
    frrlab.cleanup_stale(PREFIX)


@pytest.fixture
def lab():
    with frrlab.Lab(PREFIX) as the_lab:
        yield the_lab
