"""The preflight playbook end to end on this machine, through real ansible-playbook."""

import json
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
PLAYBOOK = os.path.join(REPO, "playbooks", "preflight.yml")


def playbook(tmp_path, *args, inventory=None):
    env = dict(os.environ)
    env["ANSIBLE_COLLECTIONS_PATH"] = os.path.join(REPO, "build", "dev")
    env["ANSIBLE_CONFIG"] = os.path.join(REPO, "ansible.cfg")
    env["ANSIBLE_FORCE_COLOR"] = "0"
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), PLAYBOOK,
           "-e", "preflight_report_dir=%s" % (tmp_path / "reports")]
    if inventory:
        inv = tmp_path / "inventory.ini"
        inv.write_text(inventory)
        cmd += ["-i", str(inv)]
    proc = subprocess.run(cmd + list(args), capture_output=True, text=True, env=env, cwd=REPO, timeout=300,
                          check=False)
    report = tmp_path / "reports" / "preflight.json"
    return proc, (json.loads(report.read_text()) if report.exists() else None)


def test_no_inventory_audits_localhost(tmp_path):
    proc, report = playbook(tmp_path, "-e", "preflight_fail_on=never")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert list(report["hosts"]) == ["localhost"]
    assert report["hosts"]["localhost"]["status"] == "ok"
    assert "netmedic preflight: 1 host(s)" in proc.stdout
    assert (tmp_path / "reports" / "preflight.md").read_text().startswith("# netmedic preflight report")


def test_first_run_without_inventory_is_quiet_and_changes_nothing(tmp_path):
    """Issue 17: the first run warned "A duplicate localhost-like entry was found" (an add_host of
    localhost beside Ansible's implicit one) and said changed=1 for writing the report."""
    proc, report = playbook(tmp_path, "-e", "preflight_fail_on=never")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    assert "duplicate localhost-like entry" not in out
    assert report["hosts"]["localhost"]["status"] == "ok"
    recap = [line for line in proc.stdout.splitlines() if line.startswith("localhost ") and "ok=" in line]
    assert len(recap) == 1 and " changed=0 " in recap[0], recap


def test_check_mode_still_writes_the_report(tmp_path):
    proc, report = playbook(tmp_path, "--check", "-e", "preflight_fail_on=never")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert report["summary"]["hosts"] == 1


def test_unreachable_host_is_reported_and_fails_the_run(tmp_path):
    inventory = ("[fleet]\nlocal ansible_connection=local ansible_python_interpreter=%s\n"
                 "gone ansible_host=127.0.0.1 ansible_port=1 ansible_connection=ssh ansible_ssh_timeout=2\n" % sys.executable)
    proc, report = playbook(tmp_path, "-e", "preflight_fail_on=never", inventory=inventory)
    assert proc.returncode != 0
    assert report["summary"]["hosts_without_result"] == ["gone"]
    assert report["hosts"]["local"]["status"] == "ok"
    assert "do not start maintenance: 1 host(s) gave no result: gone" in proc.stdout


def test_bad_audit_name_is_a_clear_no_result(tmp_path):
    proc, report = playbook(tmp_path, "-e", '{"preflight_checks": ["no-such-audit"]}')
    assert proc.returncode != 0
    assert "checks: unknown audit, area or check id: 'no-such-audit'. Known areas: " \
        in report["hosts"]["localhost"]["error"]
    assert "Traceback" not in proc.stdout


def test_limit_is_honoured_by_the_report(tmp_path):
    inventory = ("[fleet]\none ansible_connection=local ansible_python_interpreter=%s\n"
                 "two ansible_connection=local ansible_python_interpreter=%s\n" % (sys.executable, sys.executable))
    proc, report = playbook(tmp_path, "--limit", "one", "-e", "preflight_fail_on=never", inventory=inventory)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert list(report["hosts"]) == ["one"]
