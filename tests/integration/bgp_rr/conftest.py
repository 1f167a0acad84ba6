# -*- coding: utf-8 -*-
"""Fixtures of the route-reflector cascade test (incident 002 for real, tests/lab/rrlab.py).

The size comes from the environment: ``make test`` runs a sample (NM_RR_CLIENTS=200
light clients, NM_RR_FRR_CLIENTS=12 FRR clients, NM_RR_FREEZES=1 SIGSTOP of the reflector's
bgpd; 107 s measured), ``make rr-lab`` the full lab (300 + 40, two SIGSTOPs).
A missing component FAILS the test (``make test`` installs frr and exabgp).
"""

import os
import sys

import pytest

LAB_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "lab")
if LAB_DIR not in sys.path:
    sys.path.insert(0, LAB_DIR)

import frrlab  # noqa: E402
import rrlab  # noqa: E402

PREFIX = rrlab.DEFAULT_PREFIX


@pytest.fixture(scope="session", autouse=True)
def _components():
    missing = frrlab.missing_components()
    if not os.access(rrlab.EXABGP, os.X_OK):
        missing.append(rrlab.EXABGP + " (Debian package exabgp)")
    if missing:
        pytest.fail("the route-reflector lab needs: %s (make test installs frr and exabgp)" % ", ".join(missing))
    rrlab.cleanup(PREFIX)
    yield
    rrlab.cleanup(PREFIX)


@pytest.fixture
def sizes():
    """(light clients, FRR clients, churners) for this run."""
    return (int(os.environ.get("NM_RR_CLIENTS", "200")), int(os.environ.get("NM_RR_FRR_CLIENTS", "12")),
            int(os.environ.get("NM_RR_CHURNERS", "4")))


@pytest.fixture
def freezes():
    """How many times the reflector's bgpd is stopped for 12 s during the overload."""
    return int(os.environ.get("NM_RR_FREEZES", "1"))
