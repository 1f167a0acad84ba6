"""An operator who connects as an unprivileged user with sudo (issue 17), in a lab container.

The lab host is the lab image plus Debian's sudo (a derived image: the shared lab image stays as
it is), with a user `alice` allowed `sudo` without a password, as on a fleet where people log
in as themselves. Ansible connects as `alice` (podman exec --user); the roles' tasks that need
root become, the report step on the controller does not. Without become the same run cannot
write what only root may write: proof that the privilege comes from become. sudo is called
through a wrapper that logs each command (ansible_become_exe), so the test sees which modules
ran through sudo.
"""

import json
import os

import lab as nmlab  # tests/lab/lab.py (tests/integration/conftest.py puts it on sys.path)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
TEXTFILE_DIR = "/var/lib/prometheus/node-exporter"   # root:root 0755, as Debian's package makes it
SUDO_LOG = "/var/tmp/become.log"
SUDO_WRAPPER = "#!/bin/sh\necho \"$*\" >> %s\nexec /usr/bin/sudo \"$@\"\n" % SUDO_LOG


def operator_host(lab):
    host = lab.host("op", image=nmlab.ensure_derived_image("sudo", ["sudo"]))
    host.sh("useradd --create-home --user-group --shell /bin/sh alice"
            " && printf 'alice ALL=(ALL) NOPASSWD: ALL\\n' > /etc/sudoers.d/alice"
            " && chmod 0440 /etc/sudoers.d/alice"
            " && install -d -o root -g root -m 0755 %s"
            " && install -m 0666 /dev/null %s" % (TEXTFILE_DIR, SUDO_LOG))
    host.put_file(SUDO_WRAPPER, "/usr/local/bin/sudo-logged", mode=0o755)
    assert host.exec(["su", "-s", "/bin/sh", "-c", "id -u", "alice"]).stdout.strip() != "0"
    return host


def playbook(host, tmp_path, name, extra, *args):
    inv = tmp_path / "inventory.json"
    inv.write_text(json.dumps({"all": {"hosts": {host.name: {
        "ansible_connection": "containers.podman.podman", "ansible_user": "alice",
        "ansible_python_interpreter": "/usr/bin/python3", "ansible_become_exe": "/usr/local/bin/sudo-logged"}}}}))
    argv = [os.path.join(REPO, ".venv", "bin", "ansible-playbook"), "-i", str(inv),
            os.path.join(REPO, "playbooks", name), "-e", json.dumps(extra)] + list(args)
    return nmlab.runner.run(argv, timeout=600, env=nmlab._ansible_env(), cwd=str(tmp_path))


def test_preflight_and_a_change_as_an_unprivileged_user_with_sudo(lab, tmp_path):
    host = operator_host(lab)
    extra = {"preflight_targets": "all", "preflight_fail_on": "never", "preflight_metrics_dir": TEXTFILE_DIR,
             "preflight_report_dir": str(tmp_path / "reports")}

    # 1. as alice, no become: the audit runs unprivileged and the metrics cannot be written
    denied = playbook(host, tmp_path, "preflight.yml", dict(extra, ansible_become=False))
    assert denied.rc != 0 and "gave no result" in denied.stdout, denied.stdout[-3000:]
    error = json.loads((tmp_path / "reports" / "preflight.json").read_text())["hosts"][host.name]["error"]
    assert error.startswith("metrics_path: cannot write") and "Permission denied" in error, error

    # 2. as alice with the roles' become (sudo): the audit and the metrics as root
    res = playbook(host, tmp_path, "preflight.yml", extra)
    assert res.rc == 0, res.stdout[-4000:] + res.stderr[-2000:]
    owner = host.exec(["stat", "-c", "%U %a", TEXTFILE_DIR + "/netmedic.prom"]).stdout.split()
    assert owner == ["root", "644"]
    assert "netmedic_last_run_timestamp_seconds" in host.read_file(TEXTFILE_DIR + "/netmedic.prom")
    report = json.loads((tmp_path / "reports" / "preflight.json").read_text())
    assert report["hosts"][host.name]["status"] == "ok"
    became = host.read_file(SUDO_LOG)
    assert "AnsiballZ_preflight.py" in became, became   # the audit, which also writes the metrics
    assert "preflight_report" not in became     # the report runs on the controller, never with sudo
    # the audit ran as root: FRR's daemons file (root:frr 0640 in the lab image) was readable
    assert not [f for f in report["hosts"][host.name]["findings"] if f["id"] == "NM-FRR-019"]

    # 3. a change playbook, target given: the IPv6 cache flush (root: CAP_NET_ADMIN) goes through sudo
    host.exec(["truncate", "-s", "0", SUDO_LOG])
    change = playbook(host, tmp_path, "ip6.yml", {"ip6_targets": "all", "ip6_cache_flush": "all"})
    assert change.rc == 0, change.stdout[-4000:]
    assert "failed=0" in change.stdout
    assert "AnsiballZ_ip6_route_cache_flush.py" in host.read_file(SUDO_LOG)
