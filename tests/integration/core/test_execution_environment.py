"""ansible-builder turns execution-environment.yml into a build context that installs this collection."""

import os
import shutil
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BIN = os.path.dirname(sys.executable)


def test_ansible_builder_creates_a_context_with_the_collection(tmp_path):
    work = tmp_path / "src"
    shutil.copytree(REPO, work, symlinks=True, ignore=shutil.ignore_patterns(".venv", "build", ".git", "tests"))
    (work / "build" / "ee").mkdir(parents=True)
    subprocess.run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", "--output-path", str(work / "build"),
                    str(work)], check=True, capture_output=True, timeout=120)
    tarball = [p for p in os.listdir(work / "build") if p.endswith(".tar.gz")][0]
    shutil.copy(work / "build" / tarball, work / "build" / "ee" / "netmedic-network.tar.gz")
    proc = subprocess.run([os.path.join(BIN, "ansible-builder"), "create", "-f", "execution-environment.yml",
                           "-c", str(tmp_path / "context"), "--output-filename", "Containerfile"],
                          cwd=work, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    containerfile = (tmp_path / "context" / "Containerfile").read_text()
    assert "COPY _build/netmedic /build/netmedic" in containerfile
    assert "ansible-galaxy collection install" in containerfile
    assert (tmp_path / "context" / "_build" / "netmedic" / "netmedic-network.tar.gz").exists()
    reqs = (tmp_path / "context" / "_build" / "requirements.txt").read_text()
    assert "netaddr" in reqs and "jinja2" in reqs
