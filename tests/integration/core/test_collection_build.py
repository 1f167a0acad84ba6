"""The collection builds into a tarball that installs, and every module's docs render from the installed copy."""

import glob
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BIN = os.path.dirname(sys.executable)


def run(cmd, env=None, cwd=REPO):
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd, timeout=300, check=False)
    assert proc.returncode == 0, "%s\n%s\n%s" % (" ".join(cmd), proc.stdout[-2000:], proc.stderr[-2000:])
    return proc.stdout


def test_build_install_and_document_every_module(tmp_path):
    run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", "--force", "--output-path", str(tmp_path), REPO])
    tarball = glob.glob(str(tmp_path / "netmedic-network-*.tar.gz"))
    assert len(tarball) == 1
    installed = tmp_path / "installed"
    run([os.path.join(BIN, "ansible-galaxy"), "collection", "install", "--force", "-p", str(installed), tarball[0]])
    cfg = tmp_path / "ansible.cfg"
    cfg.write_text("[defaults]\ncollections_path = %s\n" % installed)
    env = dict(os.environ, ANSIBLE_CONFIG=str(cfg))
    env.pop("ANSIBLE_COLLECTIONS_PATH", None)
    listed = run([os.path.join(BIN, "ansible-doc"), "-l", "netmedic.network"], env=env, cwd=str(tmp_path))
    modules = sorted(os.path.splitext(os.path.basename(p))[0]
                     for p in glob.glob(os.path.join(REPO, "plugins", "modules", "*.py")) if not p.endswith("__init__.py"))
    assert modules, "no modules found"
    for name in modules:
        assert "netmedic.network.%s" % name in listed
        text = run([os.path.join(BIN, "ansible-doc"), "netmedic.network.%s" % name], env=env, cwd=str(tmp_path))
        assert "EXAMPLES" in text and "RETURN VALUES" in text, name
    # nothing from the checkout's build or venv leaks into the artifact
    names = run(["tar", "tzf", tarball[0]])
    assert ".venv/" not in names and "build/" not in names and "tests/output" not in names
