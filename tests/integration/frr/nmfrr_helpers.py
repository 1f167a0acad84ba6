# -*- coding: utf-8 -*-
"""Helpers of the FRR integration tests, the same on every lab FRR version.

The code under test runs where the router runs (tests/lab/frrhost.py): on this
host for FRR 8.4, inside the release container for 10.3 and 10.7 (with that
release's Python), through ``frr_call.py`` or Ansible (local connection here,
the podman connection into a container).

(A uniquely named module, not conftest: several conftest.py files share the name
``conftest`` when the whole suite runs.)
"""

import json
import os
import subprocess

import frr_incident as fi
import frrhost

from ansible_collections.netmedic.network.plugins.module_utils.frr.vtysh import ReconcileError

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def reconcile(router, **options):
    """frr_reconcile's engine on the router's machine: the result dict, or ReconcileError as raised there."""
    answer = router.machine.call("reconcile", pathspace=router.name, options=options)
    if "error" in answer:
        raise ReconcileError(answer["error"], **answer["data"])
    return answer["result"]


def residue(router, intended_path):
    """What frr-reload.py --test of the router's FRR version still wants to change (minus its known noise)."""
    return fi.frr_reload_residue(router.name, intended_path, machine=router.machine)


def assert_converged(router, intended_path):
    """frr-reload.py of the same version sees nothing to do, and a second reconcile plans nothing."""
    assert residue(router, intended_path) == []
    again = reconcile(router, src=intended_path)
    assert again["changed"] is False and again["plan"]["commands"] == []


def is_local(router):
    return isinstance(router.machine, frrhost.LocalMachine)


def ansible(router, module, args, check=False, diff=False):
    """``netmedic.network.<module>`` run by Ansible where the router runs; the module's result.

    Here: ``ansible localhost -c local`` (``_printed_diff`` holds what the diff callback printed).
    In a release container: the podman connection, as Molecule drives lab hosts.
    """
    if not is_local(router):
        res = router.machine.host.ansible("netmedic.network.%s" % module, args, check=check, diff=diff)
        res.setdefault("failed", False)
        return res
    # ansible-core 2.19 ships no 'json' stdout callback (it moved to ansible.posix, not a
    # controller dependency here): the ad-hoc callback prints 'localhost | STATUS => {json}'.
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, "build", "dev"),
               ANSIBLE_CALLBACK_RESULT_FORMAT="json", ANSIBLE_NOCOLOR="1",
               ANSIBLE_PYTHON_INTERPRETER="/usr/bin/python3", ANSIBLE_LOCALHOST_WARNING="false",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="false")
    argv = [os.path.join(REPO, ".venv", "bin", "ansible"), "localhost", "-c", "local",
            "-m", "netmedic.network.%s" % module, "-a", json.dumps(args)]
    if check:
        argv.append("--check")
    if diff:
        argv.append("--diff")
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=300, env=env, cwd=REPO, check=False)
    start = proc.stdout.find("localhost | ")
    assert start >= 0, proc.stdout + proc.stderr
    status, _sep, body = proc.stdout[start:].partition(" => ")
    result = json.loads(body)
    result.setdefault("failed", "FAILED" in status)
    result["_printed_diff"] = proc.stdout[:start]  # the diff callback prints diff mode output before
    return result


def playbook(router, tmp_path, extra_vars, *options):
    """``ansible-playbook playbooks/frr.yml`` against the router's machine, with ``extra_vars``:
    (rc, stdout)."""
    path = os.path.join(REPO, "playbooks", "frr.yml")
    # a change playbook runs only on the targets it is given (issue 17)
    extra_vars = dict({"frr_targets": "all"}, **extra_vars)
    if not is_local(router):
        res = router.machine.host.playbook(path, extravars=extra_vars, check="--check" in options,
                                           diff="--diff" in options)
        return res.rc, res.stdout + res.stderr
    inventory = tmp_path / "hosts.yml"
    inventory.write_text("all:\n  hosts:\n    router1:\n      ansible_connection: local\n"
                         "      ansible_python_interpreter: /usr/bin/python3\n")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, "build", "dev"), ANSIBLE_NOCOLOR="1")
    argv = [os.path.join(REPO, ".venv", "bin", "ansible-playbook"), "-i", str(inventory), path,
            "-e", json.dumps(extra_vars)] + list(options)
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=300, env=env, cwd=REPO, check=False)
    return proc.returncode, proc.stdout + proc.stderr
