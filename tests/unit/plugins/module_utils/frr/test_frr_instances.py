"""Which FRR instances an audit looks at (options pathspaces / pathspace), without the audit framework."""

import pytest

from ansible_collections.netmedic.network.plugins.module_utils.frr import instances


class FakeAudit:
    def __init__(self, **options):
        self.options = options

    def option(self, ctx, key):
        return self.options.get(key)


def test_instances_from_the_audit_options():
    assert instances.instances(FakeAudit(), None) == [None]
    assert instances.instances(FakeAudit(pathspace="r1"), None) == ["r1"]
    assert instances.instances(FakeAudit(pathspaces=["r1", "r2"], pathspace="r3"), None) == ["r1", "r2"]
    assert instances.instances(FakeAudit(pathspaces="r1"), None) == ["r1"]
    with pytest.raises(ValueError, match="must be a list"):
        instances.instances(FakeAudit(pathspaces={"r1": 1}), None)
    with pytest.raises(ValueError, match="not a plain name"):
        instances.instances(FakeAudit(pathspaces=["../etc"]), None)


def test_a_bad_option_counts_as_applicable():
    """So that the audit's run() reports it instead of the audit being skipped."""
    assert instances.applies_to_any_instance(FakeAudit(pathspaces=["../etc"]), None, lambda ctx, p: False)
    seen = []
    assert not instances.applies_to_any_instance(FakeAudit(pathspaces=["a", "b"]), "ctx",
                                                 lambda ctx, p: seen.append((ctx, p)))
    assert seen == [("ctx", "a"), ("ctx", "b")]
    assert instances.instance_subject("r1", "bgpd") == "bgpd (pathspace r1)"
    assert instances.instance_subject(None, "bgpd") == "bgpd"
