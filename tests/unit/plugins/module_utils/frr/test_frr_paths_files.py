"""Where an FRR instance keeps its files, vtysh's command line, and the one reader of FRR's files."""

import os

import pytest

from ansible_collections.netmedic.network.plugins.module_utils.frr import files, paths


def test_paths():
    assert paths.etc_dir("/r", "rt1") == "/r/etc/frr/rt1" and paths.run_dir("/", None) == "/var/run/frr"
    assert paths.vtysh_argv("rt1", "show version") == ["vtysh", "-N", "rt1", "-c", "show version"]
    for bad in ("../x", "a/b", "", None):
        if bad:
            with pytest.raises(ValueError):
                paths.check_pathspace(bad)
        else:
            assert paths.check_pathspace(bad) is None


def test_read_frr_file(tmp_path):
    p = tmp_path / "daemons"
    p.write_bytes(b"bgpd=yes\r\n")
    link = tmp_path / "link"
    os.symlink(str(p), str(link))
    assert files.read_frr_file(str(link)) == "bgpd=yes\r\n"
    (tmp_path / "latin1").write_bytes(b"# caf\xe9\nbgpd=yes\n")
    os.symlink(str(tmp_path / "none"), str(tmp_path / "dangling"))
    for name, why in (("none", "does not exist"), ("dangling", "dangling symlink"), (".", "is a directory"),
                      ("latin1", "not UTF-8 text (byte 0xe9 at offset 5)")):
        with pytest.raises(files.UnreadableFile, match=r"%s" % why.replace("(", r"\(").replace(")", r"\)")):
            files.read_frr_file(str(tmp_path / name))


def test_vtysh_argv_is_the_one_command_line():
    """frr_reconcile's Target, the audits and their messages all build vtysh's argv here."""
    assert paths.vtysh_argv(None, "show version") == ["vtysh", "-c", "show version"]
    assert paths.vtysh_argv("r1", args=["-C", "-f", "/dev/stdin"], vtysh="/usr/bin/vtysh") == [
        "/usr/bin/vtysh", "-N", "r1", "-C", "-f", "/dev/stdin"]
    assert paths.vtysh_argv("r1", "configure terminal", "exit") == [
        "vtysh", "-N", "r1", "-c", "configure terminal", "-c", "exit"]
    with pytest.raises(ValueError, match="not a plain name"):
        paths.vtysh_argv("r1; reboot", "show version")
    assert paths.daemons_path("/r", "rt1") == "/r/etc/frr/rt1/daemons"
    assert paths.frr_conf_path("/", None) == "/etc/frr/frr.conf"


def test_read_frr_file_reasons_and_lenient_reading(tmp_path):
    (tmp_path / "latin1").write_bytes(b"# caf\xe9\nbgpd=yes\n")
    assert files.read_frr_file(str(tmp_path / "latin1"), lenient=True) == "# caf\ufffd\nbgpd=yes\n"
    with pytest.raises(files.UnreadableFile) as err:
        files.read_frr_file(str(tmp_path / "none"))
    assert err.value.missing and err.value.reason == "No such file or directory"
    with pytest.raises(files.UnreadableFile) as err:
        files.read_frr_file(str(tmp_path))
    assert not err.value.missing and err.value.reason == "Is a directory"
    os.mkfifo(str(tmp_path / "fifo"))
    with pytest.raises(files.UnreadableFile, match="not a regular file"):
        files.read_frr_file(str(tmp_path / "fifo"))     # (opening it would block until a writer comes)
    with pytest.raises(files.UnreadableFile, match="cannot be read"):
        files.read_frr_file(str(tmp_path / "a\0b"))
