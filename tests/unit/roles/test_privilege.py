"""Which tasks need root (issue 17): the roles become exactly there, the controller never does.

Operators connect as an unprivileged user with sudo. Every task that calls a netmedic module on a
host, installs a package, loads a kernel module or reads root's files becomes; the report step,
which runs on the controller (delegate_to: localhost), never does. Connecting as root needs no
sudo: Ansible does not run the become method when the become user is the remote user.
"""

import glob
import os

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
# modules that run as root on the managed host (every module of ours but the controller-side report)
ROOT_MODULES = {"netmedic.network.preflight", "netmedic.network.bmc_lan_mode", "netmedic.network.bond_arp_validate",
                "netmedic.network.frr_reconcile", "netmedic.network.frr_daemons_options",
                "netmedic.network.ip6_route_cache_flush", "netmedic.network.tinc_safe_restart",
                "ansible.builtin.package", "ansible.builtin.command", "ansible.builtin.fetch"}
CONTROLLER_MODULES = {"netmedic.network.preflight_report"}


def tasks(items):
    for task in items or []:
        yield task
        for key in ("block", "rescue", "always"):
            yield from tasks(task.get(key))


def role_tasks():
    for path in sorted(glob.glob(os.path.join(REPO, "roles", "*", "tasks", "**", "*.yml"), recursive=True)):
        with open(path) as fh:
            for task in tasks(yaml.safe_load(fh)):
                yield os.path.relpath(path, REPO), task


def test_every_task_that_needs_root_becomes():
    seen = set()
    for path, task in role_tasks():
        module = next((k for k in task if k in ROOT_MODULES), None)
        if module:
            seen.add(module)
            assert task.get("become") not in (None, False), "%s: %r does not become" % (path, task.get("name"))
    assert seen == ROOT_MODULES


def test_the_controller_side_never_becomes():
    found = [(path, task) for path, task in role_tasks() if CONTROLLER_MODULES.intersection(task)]
    assert found
    for path, task in found:
        assert task.get("delegate_to") == "localhost" and task.get("become") is False, path


def test_no_playbook_becomes_wholesale():
    """become is set per task in the roles; a play-level become would also raise the controller's tasks."""
    for path in glob.glob(os.path.join(REPO, "playbooks", "*.yml")):
        with open(path) as fh:
            for play in yaml.safe_load(fh):
                assert "become" not in play, path
