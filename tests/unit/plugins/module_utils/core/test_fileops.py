import os
import stat

import pytest

from ansible_collections.netmedic.network.plugins.module_utils.core import diff as D
from ansible_collections.netmedic.network.plugins.module_utils.core import fileops as FO


def test_write_keeps_mode_and_makes_a_backup(tmp_path):
    p = tmp_path / "interfaces"
    p.write_text("old\n")
    os.chmod(p, 0o640)
    backup = FO.write_atomic(str(p), "new\n")
    assert p.read_text() == "new\n"
    assert stat.S_IMODE(os.stat(p).st_mode) == 0o640
    assert backup and open(backup).read() == "old\n"
    assert stat.S_IMODE(os.stat(backup).st_mode) == 0o640
    assert [n for n in os.listdir(tmp_path) if n.endswith(".tmp")] == []


def test_new_file_gets_default_mode_and_no_backup(tmp_path):
    p = tmp_path / "new.conf"
    assert FO.write_atomic(str(p), "x") is None
    assert stat.S_IMODE(os.stat(p).st_mode) == 0o644


def test_backups_never_overwrite_each_other(tmp_path):
    p = tmp_path / "f"
    p.write_text("1")
    b1 = FO.write_atomic(str(p), "2")
    b2 = FO.write_atomic(str(p), "3")
    assert b1 != b2 and open(b1).read() == "1" and open(b2).read() == "2"


def test_refuses_to_replace_a_directory(tmp_path):
    with pytest.raises(FO.FileOpError, match="not a regular file"):
        FO.write_atomic(str(tmp_path), "x")


def test_failed_write_leaves_original(tmp_path, monkeypatch):
    p = tmp_path / "f"
    p.write_text("keep")

    def boom(*a):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(FO.os, "replace", boom)
    with pytest.raises(FO.FileOpError, match="No space left"):
        FO.write_atomic(str(p), "lost", backup=False)
    assert p.read_text() == "keep"
    assert [n for n in os.listdir(tmp_path) if n.endswith(".tmp")] == []


def test_read_text_errors(tmp_path):
    assert FO.read_text(str(tmp_path / "none"), missing_ok=True) is None
    with pytest.raises(FO.FileOpError, match="no such file"):
        FO.read_text(str(tmp_path / "none"))
    bad = tmp_path / "bin"
    bad.write_bytes(b"\xff\xfe")
    with pytest.raises(FO.FileOpError, match="not UTF-8"):
        FO.read_text(str(bad))


def test_unified_diff():
    d = D.unified_diff("a\nb\n", "a\nc\n", "/etc/x")
    assert "--- /etc/x (before)" in d and "-b\n" in d and "+c\n" in d
    assert D.unified_diff("same\n", "same\n", "/etc/x") == ""
    assert "No newline" in D.unified_diff("a", "b", "f")


# ------------------------------------------------------------------ issue 11: byte-faithful, symlinks

@pytest.mark.parametrize("data", [
    b"a\r\nb\r\n",                     # CRLF
    b"a\nb\r\nc\rd",                   # mixed endings, a lone CR, no final newline
    b"\xef\xbb\xbfkey=value\r\n",      # UTF-8 byte order mark
    b"",
])
def test_read_and_write_keep_every_byte(tmp_path, data):
    p = tmp_path / "f"
    p.write_bytes(data)
    text = FO.read_text(str(p))
    FO.write_atomic(str(p), text + "x\r\n", backup=False)
    assert p.read_bytes() == data + b"x\r\n"


def test_write_through_a_symlink_edits_the_target_and_keeps_the_link(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    target = real / "bond0.yaml"
    target.write_text("old\n")
    os.chmod(target, 0o600)
    link = tmp_path / "link.yaml"
    link.symlink_to("real/bond0.yaml")
    backup = FO.write_atomic(str(link), "new\n", backup_dir=str(tmp_path / "bak"))
    assert os.readlink(link) == "real/bond0.yaml", "the link is still a link"
    assert target.read_text() == "new\n" and stat.S_IMODE(os.stat(target).st_mode) == 0o600
    assert open(backup).read() == "old\n" and os.path.basename(backup).startswith("link.yaml.")
    assert sorted(os.listdir(real)) == ["bond0.yaml"], "no temporary file left next to the target"


def test_dangling_symlink_and_loop_are_clear_errors(tmp_path):
    dangling = tmp_path / "dangling"
    dangling.symlink_to("nowhere")
    with pytest.raises(FO.FileOpError, match="a symlink to nowhere, which does not exist"):
        FO.write_atomic(str(dangling), "x")
    assert os.path.islink(dangling) and not (tmp_path / "nowhere").exists()
    loop = tmp_path / "loop"
    loop.symlink_to("loop")
    with pytest.raises(FO.FileOpError, match="symlink loop"):
        FO.write_atomic(str(loop), "x")


def test_backup_dir_levels_are_created_private(tmp_path):
    p = tmp_path / "f"
    p.write_text("1")
    old = os.umask(0o022)
    try:
        backup = FO.write_atomic(str(p), "2", backup_dir=str(tmp_path / "var/backups/netmedic/etc/x"))
    finally:
        os.umask(old)
    for d in ("var", "var/backups", "var/backups/netmedic", "var/backups/netmedic/etc",
              "var/backups/netmedic/etc/x"):
        assert stat.S_IMODE(os.stat(tmp_path / d).st_mode) == 0o700, d
    assert open(backup).read() == "1"
