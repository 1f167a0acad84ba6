"""The lab itself: hosts boot systemd, talk over a private network, Ansible
reaches them through the podman connection, and nothing is left behind."""

import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest

import lab as nmlab


def test_two_hosts_ping_and_ansible(lab, tmp_path):
    net = lab.network("net")
    a = lab.host("a", networks=[net])
    b = lab.host("b", networks=[net])
    print("\nlab host start (podman run -> systemd running): a %.2f s, b %.2f s" % (a.start_seconds, b.start_seconds))

    assert a.exec(["systemctl", "is-system-running"]).stdout.strip() == "running"
    assert a.exec(["readlink", "/proc/1/exe"]).stdout.strip().endswith("systemd")
    assert a.exec(["hostname"]).stdout.strip() == "a"
    a.exec(["ping", "-c", "2", "-W", "2", b.ip(net)])
    b.exec(["ping", "-c", "2", "-W", "2", a.ip(net)])
    # The internal network has no way out.
    assert not a.exec(["ping", "-c", "1", "-W", "1", "10.255.255.53"], check=False).ok
    # NET_ADMIN and /dev/net/tun: the host can build bridges and tap devices.
    a.exec(["ip", "link", "add", "br-t", "type", "bridge"])
    a.exec(["ip", "tuntap", "add", "dev", "tap-t", "mode", "tap"])
    a.exec(["ip", "link", "set", "tap-t", "master", "br-t"])

    a.put_file("hello\n", "/etc/netmedic/test.txt", mode=0o600)
    assert a.read_file("/etc/netmedic/test.txt") == "hello\n"
    assert a.exec(["stat", "-c", "%a", "/etc/netmedic/test.txt"]).stdout.strip() == "600"

    res = a.ansible("netmedic.network.preflight", {})
    assert not res.get("failed"), res
    assert res["changed"] is False
    assert isinstance(res["findings"], list)

    # The preflight playbook against one lab host: report written on the controller.
    run = a.playbook(os.path.join(nmlab.REPO, "playbooks", "preflight.yml"),
                     extravars={"preflight_report_dir": str(tmp_path)})
    assert run.rc == 0, run.stdout + run.stderr
    report = json.loads((tmp_path / "preflight.json").read_text())
    assert list(report["hosts"]) == [a.name] and report["hosts"][a.name]["status"] == "ok"

    # check + diff: reported, shown, not done.
    res = b.ansible("ansible.builtin.copy", {"content": "x\n", "dest": "/tmp/nmlab-x"}, check=True, diff=True)
    assert res["changed"] is True and res["diff"], res
    assert not b.exec(["test", "-e", "/tmp/nmlab-x"], check=False).ok


def _run_objects(lab):
    """Everything of a lab run that must be gone after close()."""
    objs = {"containers": [], "pids": [], "netns": [], "bridges": [], "networks": list(lab.networks)}
    for host in lab.hosts.values():
        info = host.inspect()
        objs["containers"].append(info["Id"])
        objs["pids"] += [(info["State"]["Pid"], "container init"), (info["State"]["ConmonPid"], "conmon")]
        objs["netns"].append(info["NetworkSettings"]["SandboxKey"])
    for net in lab.networks:
        objs["bridges"].append(json.loads(nmlab.podman(["network", "inspect", net]).stdout)[0]["network_interface"])
    return objs


def _running(pid):
    """True when ``pid`` exists and is not a zombie.

    Exited conmon/aardvark-dns processes are re-parented to PID 1; on machines
    whose PID 1 is not an init that reaps orphans they stay as zombies (state Z):
    exited, holding no resources but a pid table slot.
    """
    try:
        with open("/proc/%d/stat" % pid) as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _assert_gone(run_id, objs):
    assert nmlab._labelled("container", "%s=%s" % (nmlab.LABEL, run_id)) == {}
    assert nmlab._labelled("network", "%s=%s" % (nmlab.LABEL, run_id)) == {}
    for cid in objs["containers"]:
        assert not nmlab.podman(["container", "exists", cid], check=False).ok, cid
    for net in objs["networks"]:
        assert not nmlab.podman(["network", "exists", net], check=False).ok, net
    for pid, what in objs["pids"]:
        assert pid and not _running(pid), "%s (pid %d) still running" % (what, pid)
    for path in objs["netns"]:
        assert path and not os.path.exists(path), "network namespace %s left behind" % path
    for bridge in objs["bridges"]:
        assert not os.path.exists("/sys/class/net/%s" % bridge), "bridge %s left behind" % bridge
    # No process anywhere still refers to one of the run's containers (conmon, runc, exec sessions).
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open("/proc/%s/cmdline" % pid, "rb") as fh:
                    cmdline = fh.read().decode(errors="replace")
            except OSError:
                continue
            for cid in objs["containers"]:
                assert cid not in cmdline, "process %s still refers to container %s: %r" % (pid, cid[:12], cmdline)


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_close_leaves_nothing_even_when_the_body_raises(lab_image, error):
    with pytest.raises(error):
        with nmlab.Lab("nmlab-teardown") as lab:
            net = lab.network("net")
            lab.host("a", networks=[net])
            lab.host("b", networks=[net, lab.network("other")])
            objs = _run_objects(lab)
            assert len(objs["containers"]) == 2 and len(objs["bridges"]) == 2
            assert all(os.path.exists(p) for p in objs["netns"])
            assert all(_running(pid) for pid, _what in objs["pids"])
            raise error("test body failed")
    assert lab.closed
    _assert_gone(lab.run_id, objs)
    lab.close()   # idempotent


def test_ctrl_c_in_a_lab_process_leaves_nothing(lab_image):
    """A process interrupted with SIGINT (Ctrl-C) while its lab is up still removes it."""
    script = textwrap.dedent("""
        import json, signal, sys, time
        # a job started in the background by a non-interactive shell inherits SIGINT ignored
        # (POSIX); an interactive Ctrl-C is what this test plays, so take the default back
        signal.signal(signal.SIGINT, signal.default_int_handler)
        sys.path.insert(0, %r)
        import lab as nmlab
        lab = nmlab.Lab("nmlab-sigint")
        lab.host("a", networks=[lab.network("net")])
        info = lab.hosts["a"].inspect()
        print(json.dumps({"run_id": lab.run_id, "id": info["Id"], "pid": info["State"]["Pid"],
                          "netns": info["NetworkSettings"]["SandboxKey"]}), flush=True)
        time.sleep(120)
    """) % nmlab.HERE
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        state = json.loads(proc.stdout.readline())
        proc.send_signal(signal.SIGINT)
        # close() allows podman rm 180 s; the test is about what is left, not how fast
        err = proc.communicate(timeout=240)[1]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert "KeyboardInterrupt" in err   # it was interrupted, not finished
    objs = {"containers": [state["id"]], "pids": [(state["pid"], "container init")], "netns": [state["netns"]],
            "bridges": [], "networks": ["nmlab-sigint-net"]}
    _assert_gone(state["run_id"], objs)


def test_cleanup_removes_labelled_leftovers(lab_image):
    lab = nmlab.Lab("nmlab-leftover")
    net = lab.network("net")
    lab.host("a", networks=[net], systemd=False)
    lab.detach()   # as if the process had died without closing it
    objs = _run_objects(lab)
    removed = nmlab.cleanup_all("nmlab-leftover")   # not cleanup_all(): other people's labs may be running
    assert "nmlab-leftover-a" in removed and "nmlab-leftover-net" in removed
    _assert_gone(lab.run_id, objs)


def test_start_failure_leaves_nothing(lab_image):
    with nmlab.Lab("nmlab-badstart") as lab:
        with pytest.raises(nmlab.CommandError):
            lab.host("a", extra_args=["--no-such-podman-option"])
        net = lab.network("net")
    assert not nmlab.podman(["network", "exists", net], check=False).ok
    assert nmlab._labelled("container", "%s=%s" % (nmlab.LABEL, lab.run_id)) == {}


def test_derived_image_adds_packages_and_is_cached(lab):
    tag = nmlab.ensure_derived_image("selftest", ["ifupdown"])
    image_id = nmlab.podman(["image", "inspect", "--format", "{{.Id}}", tag]).stdout.strip()
    assert nmlab.ensure_derived_image("selftest", ["ifupdown"]) == tag      # cached: no rebuild
    assert nmlab.podman(["image", "inspect", "--format", "{{.Id}}", tag]).stdout.strip() == image_id
    host = lab.host("d", image=tag)
    assert host.exec(["sh", "-c", "command -v ifup"]).stdout.strip() == "/usr/sbin/ifup"
    assert host.exec(["sh", "-c", "ls /var/lib/apt/lists | wc -l"]).stdout.strip() == "0"
