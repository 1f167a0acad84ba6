"""The Prometheus metrics end to end: the preflight role writes them, promtool accepts them.

promtool (Debian's prometheus package, tests/system-packages.txt) is Prometheus' own checker of
the text format (`promtool check metrics`: parse errors, duplicate series, naming lint);
prometheus_client's parser reads the same files in the unit tests.
"""

import json
import os
import shutil
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
PROMTOOL = shutil.which("promtool")


def promtool(text):
    assert PROMTOOL, "promtool is missing: make system-packages installs Debian's prometheus package"
    proc = subprocess.run([PROMTOOL, "check", "metrics"], input=text, capture_output=True, text=True, timeout=60,
                          check=False)
    return proc.returncode, proc.stdout + proc.stderr


def test_preflight_role_writes_host_and_fleet_metrics_that_promtool_accepts(tmp_path):
    textdir = tmp_path / "node-exporter"
    textdir.mkdir()
    fleet = tmp_path / "controller" / "netmedic-fleet.prom"
    fleet.parent.mkdir()
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, "build", "dev"),
               ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_FORCE_COLOR="0")
    proc = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), os.path.join(REPO, "playbooks", "preflight.yml"),
         "-e", json.dumps({"preflight_report_dir": str(tmp_path / "reports"), "preflight_fail_on": "never",
                           "preflight_metrics_dir": str(textdir), "preflight_report_metrics": str(fleet)})],
        capture_output=True, text=True, env=env, cwd=REPO, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert os.listdir(textdir) == ["netmedic.prom"]
    host_text = (textdir / "netmedic.prom").read_text()
    fleet_text = fleet.read_text()
    for text in (host_text, fleet_text):
        rc, out = promtool(text)
        assert rc == 0 and out.strip() == "", out
    assert "netmedic_audit_status{audit=\"link_flaps\",status=\"ran\"} 1" in host_text
    assert "netmedic_host_result{host=\"localhost\"} 1" in fleet_text
    report = json.loads((tmp_path / "reports" / "preflight.json").read_text())
    assert sum(report["summary"][s] for s in ("critical", "warning", "info")) == \
        sum(int(line.rsplit(" ", 1)[1]) for line in host_text.splitlines() if line.startswith("netmedic_findings{"))


def test_promtool_rejects_what_we_must_never_write():
    """The checker is real: a quote left unescaped in a label (a subject like `eth0 "uplink"`) fails it."""
    rc, out = promtool('# HELP netmedic_finding x\n# TYPE netmedic_finding gauge\n'
                       'netmedic_finding{subject="eth0 "uplink""} 1\n')
    assert rc != 0, out
