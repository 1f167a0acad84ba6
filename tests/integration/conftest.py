"""Fixtures for integration tests against the lab (tests/lab/lab.py).

    def test_x(lab):                      # a fresh Lab, closed after the test (also on failure)
        net = lab.network("core")
        a = lab.host("a", networks=[net])

``lab`` names everything ``nm<area>-<test name>-<tag>-<name>`` where <area> is the
test's directory under tests/integration (frr -> nmfrr-...) and <tag> is random,
so that the same test can run twice side by side: use ``host.name``.  ``lab_image``
builds the lab image and installs containers.podman when needed (no-ops when
up to date); tests that use ``lab`` get it implicitly.  Other helpers are
importable too: ``from lab import Lab, Host, ensure_derived_image``.
"""

import os
import re
import sys

import pytest

LAB_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lab")
if LAB_DIR not in sys.path:
    sys.path.insert(0, LAB_DIR)

import lab as nmlab  # noqa: E402  (tests/lab/lab.py)

_open_labs = []


@pytest.fixture(scope="session")
def lab_image():
    """The lab image tag, built when missing or out of date; containers.podman installed."""
    nmlab.ensure_podman_collection()
    return nmlab.ensure_image()


def _prefix(node) -> str:
    area = re.sub(r"[^a-z0-9]", "", node.path.parent.name.lower()) or "lab"
    test = re.sub(r"[^A-Za-z0-9]+", "-", node.name.replace("test_", "", 1)).strip("-").lower()
    return ("nm%s-%s" % (area, test))[:32].rstrip("-")


@pytest.fixture
def lab(request, lab_image):
    """A Lab for this test; every container and network is removed afterwards, pass or fail."""
    instance = nmlab.Lab(_prefix(request.node), unique=True)
    _open_labs.append(instance)
    try:
        yield instance
    finally:
        try:
            instance.close()
        finally:
            _open_labs.remove(instance)


def pytest_sessionfinish(session, exitstatus):
    # Ctrl-C in a test body can skip fixture teardown; close what is still open here
    # (Lab also registers an atexit handler as the last resort).
    while _open_labs:
        _open_labs.pop().close()
