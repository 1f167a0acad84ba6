"""frr_reconcile through run_module: bad input gives a sentence naming the option, never a traceback;
check mode runs only read-only vtysh commands and writes nothing; refusals report changed=false.

A fake vtysh (a script, given as the ``vtysh`` option) keeps a running config of prefix-list
lines; the FRR directories are moved under tmp_path.  The module against real FRR daemons is in
tests/integration/frr."""

import os
import sys
import tempfile

import pytest

from ansible_collections.netmedic.network.plugins.module_utils.frr import paths as frr_paths
from ansible_collections.netmedic.network.plugins.module_utils.frr import reconcile as frr_reconcile
from support import snapshot

FAKE_VTYSH = r'''#!%(python)s
import os, sys
state = os.environ["NMFRR_FAKE_VTYSH_STATE"]
running = os.path.join(state, "running.conf")
args = sys.argv[1:]
if args[:1] == ["-N"]:
    args = args[2:]
if args[:1] == ["-C"]:
    text = sys.stdin.read() if args[2] == "/dev/stdin" else open(args[2]).read()
    if "bogus" in text:
        sys.stderr.write("line 1: %% Unknown command[4]: bogus\n")
        sys.exit(2)
elif args == ["-c", "show running-config"]:
    body = open(running).read() if os.path.exists(running) else ""
    sys.stdout.write("Building configuration...\n\nCurrent configuration:\n!\nfrr version 8.4.4\n!\n" + body + "end\n")
elif args == ["-c", "configure terminal"]:
    pass
elif args == ["-c", "write memory"]:
    sys.stdout.write("[OK]\n")
elif args[:1] == ["-f"]:
    lines = open(running).read().splitlines() if os.path.exists(running) else []
    for line in open(args[1]).read().splitlines():
        if line.startswith("no ip prefix-list "):
            lines = [l for l in lines if not l.startswith("ip prefix-list %%s " %% line.split()[3])]
        elif line.startswith("ip prefix-list "):
            lines.append(line)
    with open(running, "w") as fh:
        fh.write("".join(l + "\n" for l in lines))
else:
    sys.exit(1)
'''

INTENDED = "ip prefix-list A seq 5 permit 10.0.0.0/8\nip prefix-list A seq 10 permit 10.1.0.0/16\n"


@pytest.fixture
def frr(tmp_path, monkeypatch):
    """A fake FRR: /etc/frr and /var/run/frr under tmp_path/root, a fake vtysh, an initial running config."""
    root = tmp_path / "root"
    etc, run, state = root / "etc" / "frr", root / "var" / "run" / "frr", tmp_path / "state"
    for d in (etc, run, state):
        d.mkdir(parents=True)
    (etc / "daemons").write_text("bgpd=no\n")
    (state / "running.conf").write_text("ip prefix-list A seq 5 permit 10.0.0.0/8\n"
                                        "ip prefix-list JUNK seq 5 permit 192.0.2.0/24\n")
    vtysh = tmp_path / "vtysh"
    vtysh.write_text(FAKE_VTYSH % {"python": sys.executable})
    vtysh.chmod(0o755)
    monkeypatch.setattr(frr_paths, "ETC_DIR", str(etc))
    monkeypatch.setattr(frr_paths, "RUN_DIR", str(run))
    monkeypatch.setenv("NMFRR_FAKE_VTYSH_STATE", str(state))

    class Frr:
        pass
    f = Frr()
    f.root, f.etc, f.state, f.vtysh, f.tmp = root, etc, state, str(vtysh), tmp_path
    f.running = (state / "running.conf").read_text
    return f


def _args(frr, **kw):
    kw.setdefault("vtysh", frr.vtysh)
    kw.setdefault("render", "parser")   # no throwaway FRR instance in unit tests (tests/integration/frr has them)
    return kw


def _setup_paths(frr):
    t = frr.tmp
    (t / "dir").mkdir()
    (t / "afile").write_text("x\n")
    os.symlink(str(t / "none"), str(t / "dangling"))
    (t / "latin1.conf").write_bytes(b"! caf\xe9\nip prefix-list A seq 5 permit 10.0.0.0/8\n")


# (args, the option the message names, words of the message); T is tmp_path
BAD_INPUT = [
    ({"src": "/etc/frr/frr.conf", "content": "x"}, "src", "mutually exclusive"),
    ({"command_timeout": 0}, "command_timeout", "between 0.001 and 86400"),
    ({"command_timeout": float("nan")}, "command_timeout", "finite"),
    ({"command_timeout": "nan"}, "command_timeout", "finite"),
    ({"command_timeout": float("inf")}, "command_timeout", "finite"),
    ({"command_timeout": "-inf"}, "command_timeout", "finite"),
    ({"command_timeout": 1e308}, "command_timeout", "between 0.001 and 86400"),
    ({"command_timeout": "soon"}, "command_timeout", "float"),
    ({"command_timeout": [1]}, "command_timeout", "float"),
    ({"apply_timeout": -1}, "apply_timeout", "between 0.001 and 86400"),
    ({"apply_timeout": float("nan")}, "apply_timeout", "finite"),
    ({"pathspace": "../../etc"}, "pathspace", "is not a plain name"),
    ({"pathspace": "r1; reboot"}, "pathspace", "is not a plain name"),
    ({"pathspace": "ré"}, "pathspace", "is not a plain name"),
    ({"pathspace": ""}, "pathspace", "empty string"),
    ({"pathspace": "nmfrr-unit-no-such-space", "content": INTENDED}, "pathspace", "has no daemons file"),
    ({"save": "perhaps"}, "save", "bool"),
    ({"render": "both", "content": INTENDED}, "render", "one of: frr, parser"),
    ({"render": "", "content": INTENDED}, "render", "one of: frr, parser"),
    ({"allow_untested_version": "maybe", "content": INTENDED}, "allow_untested_version", "bool"),
    ({"vtysh": ""}, "vtysh", "empty string"),
    ({"src": ""}, "src", "empty string"),
    ({"src": "T/none"}, "src", "does not exist"),
    ({"src": "T/dangling"}, "src", "dangling symlink"),
    ({"src": "T/dir"}, "src", "is a directory"),
    ({"src": "T/latin1.conf"}, "src", "not UTF-8 text (byte 0xe9"),
    ({"src": "/dev/null"}, "src", "not a regular file"),
    ({"src": "T/frr.conf; reboot"}, "src", "does not exist"),
    ({"vtysh": "no-such-vtysh; reboot", "content": INTENDED}, "vtysh", "command not found"),
    ({"backup_dir": ""}, "backup_dir", "empty string"),
    ({"backup_dir": "T/none", "content": INTENDED}, "backup_dir", "does not exist"),
    ({"backup_dir": "T/dangling", "content": INTENDED}, "backup_dir", "dangling symlink"),
    ({"backup_dir": "T/afile", "content": INTENDED}, "backup_dir", "is not a directory"),
    ({"content": "bogus\n"}, "intended config", "FRR rejects the intended config"),
]


@pytest.mark.parametrize("args, option, words", BAD_INPUT)
@pytest.mark.parametrize("check_mode", [False, True])
def test_bad_input_fails_clearly(run_module, frr, exec_log, args, option, words, check_mode):
    _setup_paths(frr)
    args = {k: v.replace("T/", str(frr.tmp) + "/") if isinstance(v, str) else v for k, v in args.items()}
    before, running = snapshot.tree(str(frr.tmp)), frr.running()
    res = run_module("frr_reconcile", _args(frr, **args), check_mode=check_mode)
    assert res.failed and option in res["msg"] and words in res["msg"], res["msg"]
    assert res.get("changed") is not True
    assert "Traceback" not in str(res) and "exception" not in res
    assert snapshot.tree(str(frr.tmp)) == before and frr.running() == running
    assert not any(c[1:2] == ["-f"] or "configure terminal" in c or "write memory" in c for c in exec_log.commands)


def test_nan_timeout_is_refused_before_anything_runs(run_module, frr, exec_log):
    """Issue 11, defect 4: command_timeout=nan crashed frr_reconcile (a traceback from the runner)."""
    res = run_module("frr_reconcile", _args(frr, content=INTENDED, command_timeout=float("nan")))
    assert res.failed and res["msg"] == "command_timeout must be a finite number, got nan. Nothing was done."
    assert exec_log.commands == []


def test_check_mode_reads_only_and_writes_nothing(run_module, frr, exec_log, monkeypatch):
    def no_temp_files(*a, **kw):
        raise AssertionError("check mode wrote a temporary file")
    monkeypatch.setattr(tempfile, "mkstemp", no_temp_files)
    src = frr.etc / "frr.conf"
    src.write_text(INTENDED)
    for args in ({"content": INTENDED}, {}, {"src": str(src)}):
        exec_log.commands.clear()
        before, running = snapshot.tree(str(frr.tmp)), frr.running()
        res = run_module("frr_reconcile", _args(frr, **args), check_mode=True, diff=True)
        assert not res.failed and res["changed"] is True, res
        assert res["plan"]["commands"] == ["ip prefix-list A seq 10 permit 10.1.0.0/16", "no ip prefix-list JUNK"]
        assert snapshot.tree(str(frr.tmp)) == before and frr.running() == running
        validate = ["-C", "-f", "/dev/stdin" if "content" in args else str(src)]
        assert [c[1:] for c in exec_log.commands] == [validate, ["-c", "show running-config"]]
        assert exec_log.signals == []


def test_src_symlink_to_a_crlf_file_is_read(run_module, frr):
    real = frr.tmp / "real.conf"
    real.write_bytes(INTENDED.replace("\n", "\r\n").encode())
    link = frr.tmp / "link.conf"
    os.symlink(str(real), str(link))
    res = run_module("frr_reconcile", _args(frr, src=str(link)), check_mode=True)
    assert res["changed"] and res["intended"] == str(link)
    assert res["plan"]["commands"] == ["ip prefix-list A seq 10 permit 10.1.0.0/16", "no ip prefix-list JUNK"]


def test_apply_then_idempotent(run_module, frr):
    res = run_module("frr_reconcile", _args(frr, content=INTENDED, backup_dir=str(frr.tmp), require_daemons=False))
    assert res["changed"] is True and res["remaining"] == [] and not res.failed
    assert open(res["backup_file"]).read().count("JUNK") == 1
    assert frr.running() == INTENDED
    res = run_module("frr_reconcile", _args(frr, content=INTENDED, backup_dir=str(frr.tmp), require_daemons=False))
    assert res["changed"] is False and "backup_file" not in res


def _refused(res, words):
    assert res.failed and res["changed"] is False, res
    assert words in res["msg"] and "nothing was applied" in res["msg"]


def test_refusals_report_nothing_changed(run_module, frr, exec_log):
    """Issue 11, defect 7: refusals (daemons down, empty intended config) reported changed=true."""
    running = frr.running()
    (frr.etc / "daemons").write_text("bgpd=yes\n")       # enabled, and nothing runs here
    res = run_module("frr_reconcile", _args(frr, content=INTENDED))
    _refused(res, "enabled in %s but not running" % (frr.etc / "daemons"))
    res = run_module("frr_reconcile", _args(frr, content="! an empty template\n", require_daemons=False))
    _refused(res, "has no configuration lines")
    assert frr.running() == running
    assert not any(c[1:2] == ["-f"] for c in exec_log.commands)


def test_missing_backup_dir_is_a_refusal_not_a_traceback(run_module, frr, exec_log):
    """Issue 11, defect 7: a missing or non-directory backup_dir crashed with an uncaught FileOpError."""
    running = frr.running()
    for bad in (frr.tmp / "none", frr.etc / "daemons"):
        res = run_module("frr_reconcile", _args(frr, content=INTENDED, require_daemons=False, backup_dir=str(bad)))
        _refused(res, "backup_dir %s" % bad)
        assert "Traceback" not in str(res)
    assert frr.running() == running and exec_log.commands == []


def test_unwritable_backup_dir_is_a_refusal(run_module, frr, monkeypatch):
    """The directory exists but the backup cannot be written (full disk, read-only): refused, nothing applied."""
    def failing(*a, **kw):
        raise frr_reconcile.FileOpError("/x/frr.running.conf: cannot write: No space left on device")
    monkeypatch.setattr(frr_reconcile, "write_atomic", failing)
    running = frr.running()
    res = run_module("frr_reconcile", _args(frr, content=INTENDED, require_daemons=False, backup_dir=str(frr.tmp)))
    _refused(res, "No space left on device")
    assert frr.running() == running
