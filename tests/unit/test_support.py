"""The shared test helpers themselves."""

import os
import random
import signal
import subprocess

from support import fuzz, snapshot


def test_text_mutations_are_seeded():
    a = list(fuzz.text_cases(["a b\nc d\n"], 50, seed=3))
    b = list(fuzz.text_cases(["a b\nc d\n"], 50, seed=3))
    assert a == b and len(a) == 51


def test_json_mutations_keep_the_fixture():
    doc = {"a": [1, {"b": 2}]}
    list(fuzz.json_cases([doc], 200, seed=1))
    assert doc == {"a": [1, {"b": 2}]}
    assert any(fuzz.mutate_json(doc, random.Random(seed), 3) != doc for seed in range(10))


def test_fuzz_separates_own_errors_from_bugs():
    def parse(text):
        if text == "own":
            raise ValueError("clear")
        if text == "bug":
            raise KeyError("x")
    tally = fuzz.fuzz("demo", parse, [("1", "ok"), ("2", "own"), ("3", "bug")], allowed=(ValueError,))
    assert (tally.cases, tally.ok, tally.expected_errors, len(tally.unexpected)) == (3, 1, 1, 1)


def test_tree_snapshot_sees_content_mode_and_links(tmp_path):
    (tmp_path / "f").write_text("x")
    os.symlink("f", str(tmp_path / "l"))
    before = snapshot.tree(str(tmp_path))
    (tmp_path / "f").chmod(0o600)
    assert snapshot.tree(str(tmp_path)) != before


def test_exec_log_records_commands_and_signals(exec_log):
    proc = subprocess.Popen(["sleep", "5"])
    assert proc.pid in snapshot.processes()
    os.kill(proc.pid, signal.SIGTERM)
    proc.wait()
    assert exec_log.commands == [["sleep", "5"]]
    assert exec_log.signals == [(proc.pid, signal.SIGTERM)]


def test_json_mutations_leave_the_odd_values_alone():
    """A document replaced by an odd value ([None], {"": None}) was then mutated in place: the next
    cases (and the next fuzz test in the process) saw other odd values, and a seed no longer re-ran
    identically."""
    import copy
    before = copy.deepcopy(fuzz._ODD_VALUES)
    a = list(fuzz.json_cases([{"a": [1, {"b": 2}]}], 3000, seed=1))
    assert fuzz._ODD_VALUES == before
    assert list(fuzz.json_cases([{"a": [1, {"b": 2}]}], 3000, seed=1)) == a
