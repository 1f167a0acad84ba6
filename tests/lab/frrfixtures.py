# -*- coding: utf-8 -*-
"""pytest fixtures for FRR tests on every lab FRR version (imported by the conftest or test module that uses them).

``frr_machine`` is parametrized over the lab's FRR versions (frrhost.VERSIONS:
8.4 on this host, 10.3 and 10.7 in containers of the trixie and forky images),
so every test that uses it, directly or through a lab fixture, runs once per
version (``test_x[10.3]``).  ``NETMEDIC_FRR_VERSIONS=8.4,10.3`` restricts the
versions.  A machine is started on first use and shared by every test of its
version for the whole session (frrhost closes the containers at exit).
"""

import pytest

import frrhost
import frrlab


@pytest.fixture(scope="session", params=frrhost.selected_versions())
def frr_machine(request):
    """The machine running this FRR version."""
    if frrhost.VERSIONS[request.param] is None:
        missing = frrlab.missing_components()
        if missing:
            pytest.fail("FRR integration tests need: %s (make test installs frr and frr-pythontools)"
                        % ", ".join(missing))
    return frrhost.machine(request.param)


def lab_on(machine, prefix):
    """A router lab named ``prefix`` on ``machine``, after removing what a killed run left there."""
    frrlab.cleanup_stale(prefix, machine)
    return frrlab.Lab(prefix, machine=machine)
