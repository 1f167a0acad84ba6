# -*- coding: utf-8 -*-
"""Fixtures for the routing-health audit tests (bgp, frr_settings, ip6_route_cache, link_flaps).

Real FRR routers (tests/lab/frrlab.py: one netns + pathspace each), real veths
and namespaces, all named ``nmaud-*`` and removed after each test, pass or
fail.  A missing component FAILS the tests (``make test`` installs FRR).
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from nmaud_helpers import PREFIX, Netns, frrlab  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def _components():
    missing = frrlab.missing_components()
    if missing:
        pytest.fail("the routing-health audit tests need: %s (make test installs frr and iproute2)"
                    % ", ".join(missing))
    frrlab.cleanup_stale(PREFIX)
    yield
    frrlab.cleanup_stale(PREFIX)


@pytest.fixture
def lab():
    with frrlab.Lab(PREFIX) as the_lab:
        yield the_lab


@pytest.fixture
def netns():
    n = Netns()
    try:
        yield n
    finally:
        n.close()
