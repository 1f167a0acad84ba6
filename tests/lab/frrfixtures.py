# -*- coding: utf-8 -*-
"""pytest fixtures for FRR tests on every lab FRR version (imported by the conftest or test module that uses them).

``frr_machine`` is parametrized over the lab's FRR versions (frrhost.VERSIONS:
8.4 on this host, 10.3 and 10.7 in containers of the trixie and forky images),
so every test that uses it, directly or through a lab fixture, runs once per
version (``test_x[10.3]``).  ``NETMEDIC_FRR_VERSIONS=8.4,10.3`` restricts the
versions.  A machine is started on first use and shared by every test of its
version for the whole session (frrhost closes the containers at exit).
"""

import os

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


# The heaviest FRR tests (the incident replay, a daemon restart waited out, a 20,000-line config) run on one
# version in `make test` (CI's time budget, issue 14) and on every version in `make frr-versions`
# (NETMEDIC_FRR_HEAVY_VERSIONS=all): a comma-separated list of versions, default the newest.
HEAVY_ENV = "NETMEDIC_FRR_HEAVY_VERSIONS"
HEAVY_DEFAULT = "10.7"


def version_of(machine):
    """The lab version key ("8.4", "10.3", "10.7") of a machine from frrhost."""
    release = getattr(machine, "release", None)
    return next(v for v, r in frrhost.VERSIONS.items() if r == release)


def heavy_only(machine):
    """Skip this test unless ``machine``'s version is one the heaviest tests run on (see HEAVY_ENV)."""
    chosen = os.environ.get(HEAVY_ENV, "").strip() or HEAVY_DEFAULT
    selected = frrhost.selected_versions()
    wanted = selected if chosen == "all" else ([v for v in chosen.split(",") if v in selected] or selected[-1:])
    if version_of(machine) not in wanted:
        pytest.skip("one of the heaviest FRR tests: it runs on FRR %s here; make frr-versions runs it on every "
                    "version" % ", ".join(wanted))
