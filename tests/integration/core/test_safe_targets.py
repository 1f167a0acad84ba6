"""Playbooks that change hosts require an explicit target (issue 17).

``netmedic.network.bmc`` with no limit used to move every BMC of the inventory to dedicated
mode, cutting off BMCs cabled only through the shared port. Now each change playbook stops
before touching any host unless its ``<area>_targets`` variable names the hosts.
"""

import json
import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
CHANGE_PLAYBOOKS = {"bmc.yml": "bmc_targets", "bond.yml": "bond_targets", "frr.yml": "frr_targets",
                    "ip6.yml": "ip6_targets", "tinc.yml": "tinc_targets", "remediate.yml": "remediate_targets"}


def run(tmp_path, playbook, *args):
    inv = tmp_path / "inventory.json"
    # a host that cannot be reached: any attempt to touch it would show as UNREACHABLE
    inv.write_text(json.dumps({"all": {"hosts": {"edge1": {"ansible_host": "127.0.0.1", "ansible_port": 1,
                                                           "ansible_connection": "ssh"}}}}))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, "build", "dev"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_FORCE_COLOR="0", ANSIBLE_LOCALHOST_WARNING="false")
    argv = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", str(inv),
            os.path.join(REPO, "playbooks", playbook)] + list(args)
    proc = subprocess.run(argv, cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=120, check=False)
    return proc.returncode, proc.stdout + proc.stderr


# every playbook without the variable; an empty and a blank one on two of them (each run is ~2 s)
CASES = [(pb, None) for pb in sorted(CHANGE_PLAYBOOKS)] + [("bmc.yml", ""), ("remediate.yml", "  ")]


@pytest.mark.parametrize("playbook, given", CASES)
def test_change_playbook_without_target_stops_before_any_host(tmp_path, playbook, given):
    var = CHANGE_PLAYBOOKS[playbook]
    rc, out = run(tmp_path, playbook, *([] if given is None else ["-e", json.dumps({var: given})]))
    assert rc != 0, out[-2000:]
    assert "Set %s to the hosts or group to change" % var in out, out[-2000:]
    assert "UNREACHABLE" not in out and "edge1 " not in out.split("PLAY RECAP")[-1], out[-2000:]


def test_explicit_target_runs_the_play(tmp_path):
    """With the target given the guard passes and the play reaches the host (here: unreachable)."""
    rc, out = run(tmp_path, "ip6.yml", "-e", "ip6_targets=edge1")
    assert "Set ip6_targets" not in out
    assert "UNREACHABLE" in out and rc != 0
