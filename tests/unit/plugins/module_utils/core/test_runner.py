import os
import sys
import time

import pytest

from ansible_collections.netmedic.network.plugins.module_utils.core import runner as R


def test_runs_argv_without_a_shell():
    res = R.run(["echo", "a; touch /tmp/should-not-exist-netmedic"])
    assert res.ok
    assert res.stdout == "a; touch /tmp/should-not-exist-netmedic\n"
    assert not os.path.exists("/tmp/should-not-exist-netmedic")


def test_shell_strings_are_refused():
    with pytest.raises(TypeError):
        R.run("echo hi")


def test_missing_command_is_clear():
    with pytest.raises(R.CommandNotFound, match="no-such-netmedic-cmd: command not found"):
        R.run(["no-such-netmedic-cmd"])


def test_timeout_kills_the_whole_process_group():
    start = time.monotonic()
    with pytest.raises(R.CommandTimeout, match="did not finish within") as exc:
        # the child shell starts a grandchild; both must die
        R.run(["sh", "-c", "sleep 30 & sleep 30"], timeout=0.5)
    assert time.monotonic() - start < 10
    assert exc.value.result.timed_out


def test_check_raises_with_stderr_tail():
    with pytest.raises(R.CommandError, match=r"exited 3: boom"):
        R.run([sys.executable, "-c", "import sys; sys.stderr.write('boom\\n'); sys.exit(3)"], check=True)


def test_secrets_go_through_the_environment():
    res = R.run([sys.executable, "-c", "import os; print(os.environ['NM_SECRET'])"], env={"NM_SECRET": "s3cr3t"})
    assert res.stdout.strip() == "s3cr3t"
    assert "s3cr3t" not in " ".join(res.argv)


def test_input_is_fed_to_stdin():
    assert R.run(["cat"], input="hello\n").stdout == "hello\n"


def test_runner_prefix_and_defaults():
    r = R.Runner(timeout=5, env={"A": "1"}, prefix=["env"])
    res = r(["sh", "-c", "echo $A$B"], env={"B": "2"})
    assert res.stdout.strip() == "12"
    assert res.argv[0] == "env"


@pytest.mark.parametrize("timeout", [float("nan"), float("inf"), 0, -1, "10", True])
def test_a_bad_timeout_is_refused_before_anything_runs(timeout, tmp_path):
    marker = tmp_path / "ran"
    with pytest.raises(ValueError, match="positive, finite timeout"):
        R.run(["touch", str(marker)], timeout=timeout)
    assert not marker.exists()


def test_no_child_is_left_behind_on_any_exception(monkeypatch, tmp_path):
    pidfile = tmp_path / "pid"

    def boom(self, input=None, timeout=None):
        # the child is running when the exception hits (it wrote its pid)
        deadline = time.monotonic() + 5
        while not pidfile.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        raise KeyboardInterrupt

    monkeypatch.setattr(R.subprocess.Popen, "communicate", boom)
    with pytest.raises(KeyboardInterrupt):
        R.run(["sh", "-c", "echo $$ > %s; exec sleep 30" % pidfile], timeout=60)
    pid = int(pidfile.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
