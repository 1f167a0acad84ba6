# -*- coding: utf-8 -*-
"""reconcile(): validation, refusals, check mode, one vtysh -f, verify, save (fake vtysh, fake root)."""

import os
import tempfile

import pytest

from ansible_collections.netmedic.network.plugins.module_utils.frr import reconcile as fr
from ansible_collections.netmedic.network.plugins.module_utils.core.runner import CommandTimeout, Result

HZ = os.sysconf("SC_CLK_TCK")


class FakeFrr:
    """vtysh that keeps a running config; -f applies 'ip prefix-list' lines and 'no ip prefix-list'."""

    def __init__(self, running, validate_rc=0, lock=False, reject=(), version="8.4.4"):
        self.running = list(running)
        self.version = version
        self.validate_rc, self.lock, self.reject = validate_rc, lock, set(reject)
        self.calls, self.saved = [], False

    def available(self, name):
        return True

    def __call__(self, argv, timeout=None, env=None, input=None, check=False, cwd=None):
        argv = list(argv)
        self.calls.append(argv)
        args = argv[3:] if argv[1:2] == ["-N"] else argv[1:]
        out, err, rc = "", "", 0
        if args[:2] == ["-c", "show running-config"]:
            out = "Building configuration...\n\nCurrent configuration:\n!\n%s!\n" % (
                "frr version %s\n" % self.version if self.version else "") + "".join(
                l + "\n" for l in self.running) + "end\n"
        elif args[:1] == ["-C"]:
            rc = self.validate_rc
            err = "line 2: % Unknown command[4]: router bgpp 1\n" if rc else ""
        elif args[:2] == ["-c", "configure terminal"]:
            out = "VTY configuration is locked by other VTY\n" if self.lock else ""
        elif args[:2] == ["-c", "write memory"]:
            self.saved, out = True, "Note: this version of vtysh never writes vtysh.conf\n[OK]\n"
        elif args[:1] == ["-f"]:
            with open(args[1]) as fh:
                for n, line in enumerate(fh.read().splitlines(), 1):
                    if line in self.reject:
                        err += "line %d: %% Unknown command[4]: %s\n" % (n, line)
                        rc = 2
                    elif line.startswith("no ip prefix-list "):
                        name = line.split()[3]
                        self.running = [l for l in self.running if not l.startswith("ip prefix-list %s " % name)
                                        and l != line[3:]]
                    elif line.startswith("ip prefix-list "):
                        self.running.append(line)
        return Result(argv, rc, out, err, 0.01)


def _root(tmp_path, daemons="bgpd=yes\n", pids=("watchfrr", "zebra", "bgpd", "staticd"), pathspace=None):
    etc = tmp_path / "etc" / "frr" / (pathspace or "")
    run = tmp_path / "var" / "run" / "frr" / (pathspace or "")
    etc.mkdir(parents=True)
    run.mkdir(parents=True)
    (etc / "daemons").write_text(daemons)
    (tmp_path / "proc").mkdir()
    (tmp_path / "proc" / "uptime").write_text("10000.00 1.00\n")
    for i, name in enumerate(pids):
        pid = 100 + i
        (run / ("%s.pid" % name)).write_text("%d\n" % pid)
        p = tmp_path / "proc" / str(pid)
        p.mkdir()
        (p / "cmdline").write_bytes(("/usr/lib/frr/%s\0-d\0" % name).encode())
        started = int((10000 - (60 if name == "bgpd" else 9000)) * HZ)
        (p / "stat").write_text("%d (%s) S %s %d 0\n" % (pid, name, " ".join(["0"] * 18), started))
    return str(tmp_path)


def _target(root, fake, pathspace=None):
    return fr.Target(pathspace=pathspace, root=root, runner=fake)


INTENDED = "ip prefix-list A seq 5 permit 10.0.0.0/8\nip prefix-list A seq 10 permit 10.1.0.0/16\n"


def test_check_mode_plans_and_changes_nothing(tmp_path):
    fake = FakeFrr(["ip prefix-list A seq 5 permit 10.0.0.0/8", "ip prefix-list JUNK seq 5 permit 192.0.2.0/24"])
    res = fr.reconcile(_target(_root(tmp_path), fake), fr.Options(content=INTENDED, check_mode=True))
    assert res["changed"] is True
    assert res["plan"]["commands"] == ["ip prefix-list A seq 10 permit 10.1.0.0/16", "no ip prefix-list JUNK"]
    assert not any(c[1] == "-f" for c in fake.calls)
    bgpd = [d for d in res["daemons"] if d["name"] == "bgpd"][0]
    assert bgpd["running"] and bgpd["restarted_recently"] and 59 <= bgpd["uptime_seconds"] <= 61
    zebra = [d for d in res["daemons"] if d["name"] == "zebra"][0]
    assert not zebra["restarted_recently"]


def test_apply_one_vtysh_verify_backup_save(tmp_path):
    fake = FakeFrr(["ip prefix-list A seq 5 permit 10.0.0.0/8", "ip prefix-list JUNK seq 5 permit 192.0.2.0/24"])
    root = _root(tmp_path)
    res = fr.reconcile(_target(root, fake), fr.Options(content=INTENDED, save=True,
                                                       backup_dir=str(tmp_path)))
    assert res["changed"] and res["remaining"] == [] and res["apply_errors"] == [] and res["saved"]
    assert [c for c in fake.calls if c[1] == "-f"].__len__() == 1
    with open(res["backup_file"]) as fh:
        assert "JUNK" in fh.read()
    again = fr.reconcile(_target(root, fake), fr.Options(content=INTENDED))
    assert again["changed"] is False and again["plan"]["commands"] == []


def test_rejected_lines_are_reported_and_not_saved(tmp_path):
    fake = FakeFrr([], reject={"ip prefix-list A seq 10 permit 10.1.0.0/16"})
    res = fr.reconcile(_target(_root(tmp_path), fake), fr.Options(content=INTENDED, save=True,
                                                                  backup_dir=str(tmp_path)))
    assert res["apply_errors"] == [{"line": 2, "command": "ip prefix-list A seq 10 permit 10.1.0.0/16",
                                    "error": "% Unknown command[4]: ip prefix-list A seq 10 permit 10.1.0.0/16"}]
    assert res["remaining"] == ["ip prefix-list A seq 10 permit 10.1.0.0/16"]
    assert res["saved"] is False and not fake.saved


UNTESTED = [("11.0", "FRR 11.0 is newer than the newest version netmedic was tested with (10.7)"),
            ("7.5.1", "FRR 7.5.1 is older than the oldest version"),
            (None, "FRR did not say its version")]


@pytest.mark.parametrize("version, why", UNTESTED)
def test_an_untested_frr_version_is_planned_but_not_applied_unless_allowed(tmp_path, version, why):
    """Issue 14: a reconciler that never met the running config of a version must not be trusted with it."""
    fake = FakeFrr(["ip prefix-list A seq 5 permit 10.0.0.0/8"], version=version)
    root = _root(tmp_path)
    planned = fr.reconcile(_target(root, fake), fr.Options(content=INTENDED, check_mode=True))
    assert planned["changed"] and planned["frr_version_tested"] is False
    assert planned["frr_version"] == (version or "unknown")
    with pytest.raises(fr.ReconcileError) as err:
        fr.reconcile(_target(root, fake), fr.Options(content=INTENDED))
    assert why in str(err.value) and "allow_untested_version" in str(err.value)
    assert err.value.data["changed"] is False and not [c for c in fake.calls if c[1] == "-f"]
    done = fr.reconcile(_target(root, fake), fr.Options(content=INTENDED, allow_untested_version=True))
    assert done["changed"] and done["remaining"] == []


def test_a_version_between_tested_ones_is_applied(tmp_path):
    fake = FakeFrr(["ip prefix-list A seq 5 permit 10.0.0.0/8"], version="9.1")
    done = fr.reconcile(_target(_root(tmp_path), fake), fr.Options(content=INTENDED))
    assert done["changed"] and done["remaining"] == [] and done["frr_version"] == "9.1"


def test_refuses_invalid_intended_config(tmp_path):
    fake = FakeFrr([], validate_rc=2)
    with pytest.raises(fr.ReconcileError) as err:
        fr.reconcile(_target(_root(tmp_path), fake), fr.Options(content="hostname a\nrouter bgpp 1\n"))
    assert "FRR rejects the intended config" in str(err.value) and "line 2" in str(err.value)
    assert err.value.data["validation_errors"] == ["line 2: % Unknown command[4]: router bgpp 1"]


def test_refuses_when_enabled_daemon_is_down(tmp_path):
    fake = FakeFrr([])
    root = _root(tmp_path, daemons="bgpd=yes\nospfd=yes\n")
    plan = fr.reconcile(_target(root, fake), fr.Options(content=INTENDED, check_mode=True))
    assert plan["changed"]  # check mode still plans
    with pytest.raises(fr.ReconcileError) as err:
        fr.reconcile(_target(root, fake), fr.Options(content=INTENDED))
    assert "ospfd" in str(err.value) and "not running" in str(err.value)
    ok = fr.reconcile(_target(root, fake), fr.Options(content=INTENDED, require_daemons=False,
                                                      backup_dir=str(tmp_path)))
    assert ok["remaining"] == []


def test_refuses_when_locked(tmp_path):
    fake = FakeFrr([], lock=True)
    with pytest.raises(fr.ReconcileError) as err:
        fr.reconcile(_target(_root(tmp_path), fake), fr.Options(content=INTENDED))
    assert "locked" in str(err.value)
    assert not any(c[1] == "-f" for c in fake.calls)


def test_pathspace_and_missing_files(tmp_path):
    fake = FakeFrr([])
    root = _root(tmp_path, pathspace="r1")
    t = _target(root, fake, pathspace="r1")
    with pytest.raises(fr.ReconcileError) as err:
        fr.reconcile(t, fr.Options())
    assert "intended config %s/etc/frr/r1/frr.conf does not exist" % root in str(err.value)
    with pytest.raises(fr.ReconcileError) as err:
        fr.reconcile(_target(root, fake, pathspace="r2"), fr.Options(content=""))
    assert "pathspace 'r2' has no daemons file" in str(err.value)
    with pytest.raises(ValueError):
        fr.Target(pathspace="../../etc")
    (tmp_path / "etc" / "frr" / "r1" / "frr.conf").write_text(INTENDED)
    res = fr.reconcile(t, fr.Options(check_mode=True))
    assert fake.calls[-1][:3] == ["vtysh", "-N", "r1"]
    assert res["intended"].endswith("/etc/frr/r1/frr.conf")


def test_unparseable_intended_config_is_an_error_not_a_traceback(tmp_path):
    fake = FakeFrr([])
    with pytest.raises(fr.ReconcileError) as err:
        fr.reconcile(_target(_root(tmp_path), fake), fr.Options(content="address-family ipv4 unicast\n"))
    assert "line 1" in str(err.value) and "inside a router" in str(err.value)


def test_refuses_an_empty_intended_config(tmp_path):
    fake = FakeFrr(["ip prefix-list A seq 5 permit 10.0.0.0/8"])
    root = _root(tmp_path)
    plan = fr.reconcile(_target(root, fake), fr.Options(content="! rendered from an empty template\n",
                                                        check_mode=True))
    assert plan["plan"]["commands"] == ["no ip prefix-list A"]
    with pytest.raises(fr.ReconcileError) as err:
        fr.reconcile(_target(root, fake), fr.Options(content="! rendered from an empty template\n"))
    assert "no configuration lines" in str(err.value)
    assert fake.running == ["ip prefix-list A seq 5 permit 10.0.0.0/8"]


def test_every_refusal_says_nothing_was_applied_and_changed_false(tmp_path):
    """Issue 11, defect 7: refusals carried changed=True (the plan's 'would change')."""
    cases = [
        (FakeFrr([]), "bgpd=yes\nospfd=yes\n", INTENDED, "not running"),
        (FakeFrr(["ip prefix-list A seq 5 permit 10.0.0.0/8"]), "bgpd=yes\n", "! empty\n", "no configuration lines"),
        (FakeFrr([], lock=True), "bgpd=yes\n", INTENDED, "locked"),
    ]
    for n, (fake, daemons, content, words) in enumerate(cases):
        root = _root(tmp_path / str(n), daemons=daemons)
        with pytest.raises(fr.ReconcileError) as err:
            fr.reconcile(_target(root, fake), fr.Options(content=content, backup_dir=str(tmp_path)))
        assert words in str(err.value) and str(err.value).endswith("; nothing was applied")
        assert err.value.data["changed"] is False and err.value.data["plan"]["commands"]
        assert not any(c[1] == "-f" for c in fake.calls)


def test_backup_dir_is_checked_before_anything_runs(tmp_path):
    fake = FakeFrr([])
    root = _root(tmp_path)
    (tmp_path / "afile").write_text("")
    for bad, words in ((tmp_path / "none", "does not exist"), (tmp_path / "afile", "is not a directory")):
        with pytest.raises(fr.ReconcileError) as err:
            fr.reconcile(_target(root, fake), fr.Options(content=INTENDED, backup_dir=str(bad)))
        assert "backup_dir %s %s; nothing was applied" % (bad, words) == str(err.value)
        assert err.value.data["changed"] is False
    assert fake.calls == []


class _DiesAfterApply(FakeFrr):
    """vtysh that applies the plan, then stops answering."""

    def __call__(self, argv, timeout=None, env=None, input=None, check=False, cwd=None):
        if any(c[1:2] == ["-f"] for c in self.calls) and "show running-config" in argv:
            raise CommandTimeout("'vtysh -c show running-config' did not finish within 60 s")
        return super().__call__(argv, timeout, env, input, check, cwd)


def test_a_failure_after_the_plan_went_to_vtysh_reports_changed(tmp_path):
    fake = _DiesAfterApply(["ip prefix-list JUNK seq 5 permit 192.0.2.0/24"])
    with pytest.raises(fr.ReconcileError) as err:
        fr.reconcile(_target(_root(tmp_path), fake), fr.Options(content=INTENDED, backup_dir=str(tmp_path)))
    assert err.value.data["changed"] is True and "FRR may run part of it" in str(err.value)
    assert "backup_file" in err.value.data


def test_a_failed_save_reports_changed(tmp_path):
    class NoSave(FakeFrr):
        def __call__(self, argv, timeout=None, env=None, input=None, check=False, cwd=None):
            if "write memory" in argv:
                return Result(list(argv), 1, "", "% Can't open configuration file /etc/frr/frr.conf.", 0.01)
            return super().__call__(argv, timeout, env, input, check, cwd)
    fake = NoSave([])
    with pytest.raises(fr.ReconcileError) as err:
        fr.reconcile(_target(_root(tmp_path), fake), fr.Options(content=INTENDED, save=True,
                                                                backup_dir=str(tmp_path)))
    assert err.value.data["changed"] is True and "it was not saved" in str(err.value)
    assert err.value.data["remaining"] == []


def test_content_is_validated_on_stdin_without_a_file(tmp_path, monkeypatch):
    def no_temp_files(*a, **kw):
        raise AssertionError("a temporary file was written")
    monkeypatch.setattr(tempfile, "mkstemp", no_temp_files)
    fake = FakeFrr([])
    fr.reconcile(_target(_root(tmp_path), fake), fr.Options(content=INTENDED, check_mode=True))
    assert fake.calls[0] == ["vtysh", "-C", "-f", "/dev/stdin"]
