"""Fuzz the bond persistence backends with seeded mutations of the fixture files (issue 11).

For each backend, thousands of mutated versions of its real fixture files are
written where the backend looks, then located and rewritten.  The only
acceptable exception is PersistError (the backend's "cannot read this" for the
operator).  Every case that locates a bond must also satisfy two properties:

- round trip: after ``render(value)`` the file reads back exactly ``value``;
- minimal edit: the lines that differ are only the option's own line (and the
  lines that hold it: a section header, ``parameters:``, a ``{}`` opened into
  block style, a newline added to an unterminated last line).

Run with ``-s`` to see the counts.
"""

import difflib
import glob
import os
import random
import re
import string

import pytest

from support.paths import FIXTURES
from ansible_collections.netmedic.network.plugins.module_utils.bond import persist as bp
from ansible_collections.netmedic.network.plugins.module_utils.bond.persist.common import PersistError, split_lines
from ansible_collections.netmedic.network.plugins.module_utils.core.shell_assign import assignments, quote
from support.fuzz import fuzz, text_cases

FIX = os.path.join(FIXTURES, "nmbond")
CASES_PER_BACKEND = 2000
VALUES = ("all", "backup")

# backend -> (fixture globs, the file the mutation is written to, regex of lines an edit may touch)
SPEC = {
    "ifupdown": (["ifupdown/etc/network/**/*", "wild/ifupdown/**/*"], "etc/network/interfaces",
                 r"\s*bond[-_]arp[-_]validate(\s.*)?"),
    "networkmanager": (["nm/etc/NetworkManager/system-connections/*", "wild/nm/**/*"],
                       "etc/NetworkManager/system-connections/bond0.nmconnection",
                       r"\s*arp_validate\s*=.*|\[bond\]|\s*"),
    "networkd": (["networkd/etc/systemd/network/*.netdev", "networkd/etc/systemd/network/*.d/*", "wild/networkd/**/*"],
                 "etc/systemd/network/10-bond0.netdev", r"\s*ARPValidate\s*=.*|\[Bond\]|\s*"),
    "netplan": (["netplan/etc/netplan/*", "wild/netplan/**/*"], "etc/netplan/01-netcfg.yaml",
                r"\s*(arp-validate|parameters):.*|\s*[^\s#][^#]*:\s*(\{\})?\s*(#.*)?"),
    "ifcfg": (["ifcfg/etc/sysconfig/network-scripts/*", "wild/ifcfg/**/*"],
              "etc/sysconfig/network-scripts/ifcfg-bond0", r"\s*(export\s+)?BONDING_OPTS=.*"),
}
BONDS = ("bond0", "bond1", "bond3", "bond-wan")


def _fixtures(patterns):
    out = []
    for pattern in patterns:
        for path in sorted(glob.glob(os.path.join(FIX, pattern), recursive=True)):
            if os.path.isfile(path) and not path.endswith((".md", ".txt")):
                with open(path, newline="") as fh:
                    out.append(fh.read())
    assert out, patterns
    return out


def _minimal(before, after, allowed):
    """The lines that differ are all option lines (or a last line that only gained its newline)."""
    a, b = split_lines(before), split_lines(after)
    rx = re.compile(r"^\ufeff?(?:%s)$" % allowed)
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        removed, added = a[i1:i2], b[j1:j2]
        if removed and i2 == len(a) and not a[-1].endswith("\n") and added and added[0] != a[-1] \
                and added[0].rstrip("\r\n") == a[-1]:
            removed, added = removed[:-1], added[1:]   # the last line only gained its newline
        for line in removed + added:
            assert rx.match(line.rstrip("\r\n")), "edit touched %r" % line


def _make_case(backend, root, monkeypatch):
    """The check for one mutated text.  The file exists where the backend looks; its reads return the text
    (no disk write per case: thousands of cases stay within seconds)."""
    mod = bp.BACKENDS[backend]
    _globs, rel, allowed = SPEC[backend]
    path = os.path.join(root, rel)
    with open(path, "w") as fh:
        fh.write("placeholder\n")
    current = []
    monkeypatch.setattr(mod, "read", lambda p: current[-1])

    def case(text):
        current.append(text)
        for bond in [b for b in BONDS if b in text] or BONDS[:1]:
            for loc in mod.locate(root, bond):
                if loc.path != path:
                    continue
                try:
                    bp.persisted_value(bp.Persisted(backend, [loc], root))
                except PersistError:
                    pass   # a value that is not an arp_validate value: still rewritable below
                for value in VALUES:
                    after = mod.render(loc.content, bond, value, loc.value is None, path)
                    if after == loc.content:
                        assert loc.value is not None and mod.value_in(after, bond, path) == value, \
                            "render() left %s's value %r for %s" % (bond, loc.value, value)
                        continue
                    assert mod.value_in(after, bond, path) == value, "round trip for %s=%s" % (bond, value)
                    _minimal(loc.content, after, allowed)
                    assert mod.render(after, bond, value, False, path) == after, "idempotent"
    return case


@pytest.mark.parametrize("backend", sorted(SPEC))
def test_fuzz_backend(backend, tmp_path, monkeypatch):
    globs, rel, _allowed = SPEC[backend]
    root = str(tmp_path)
    os.makedirs(os.path.dirname(os.path.join(root, rel)))
    fixtures = _fixtures(globs)
    tally = fuzz("bond_persist_%s" % backend, _make_case(backend, root, monkeypatch),
                 text_cases(fixtures, CASES_PER_BACKEND, seed=11), allowed=(PersistError,))
    assert tally.unexpected == []
    assert tally.ok > tally.cases // 4, "most mutations must still be readable"


# ------------------------------------------------------------------ the shell reader on its own

_ALPHABET = string.ascii_letters + string.digits + " \t\n\\'\"$`#;=()!~*{}[]:,-_." + "é\u00a0\x01\x7f\u2028"


def _shell_cases(count, seed):
    rng = random.Random(seed)
    for n in range(count):
        size = rng.randrange(0, 24)
        yield "seed %d case %d" % (seed, n), "".join(rng.choice(_ALPHABET) for _x in range(size))


def test_fuzz_shell_reader_never_raises():
    def case(text):
        for line in ("A=" + text, "DEVICE=bond0\nA=%s\nB=x" % text, text):
            for a in assignments(line + "\n"):
                assert (a.value is None) == bool(a.problem)
    tally = fuzz("shell_assign.assignments", case, _shell_cases(4000, seed=5))
    assert tally.unexpected == []


def test_fuzz_shell_quote_reads_back():
    def case(text):
        for style in ("", "'", '"', "$'"):
            word = quote(text, style)
            (a,) = assignments("A=%s\n" % word)
            assert a.value == text, (style, word, a.value, a.problem)
    tally = fuzz("shell_assign.quote round trip", case,
                 ((label, t.replace("\x00", "")) for label, t in _shell_cases(4000, seed=6)))
    assert tally.unexpected == []


# ------------------------------------------------------------------ values read from files and sysfs

def test_fuzz_value_normalisation():
    """Values come from files we did not write: only BondError may come out ('²' once raised ValueError)."""
    from ansible_collections.netmedic.network.plugins.module_utils.bond.sysfs import (
        BondError, normalize_mode, normalize_validate, parse_proc_bonding)
    alphabet = "0123456789 allnoeactivbkupfr_\t\n\u00b2\u00b3\u0663\u0661\uff13\u2028\x00-+:"

    def case(text):
        normalize_mode(text)
        parse_proc_bonding("Bonding Mode: %s\nSlave Interface: %s\nLink Failure Count: %s\n" % (text, text, text))
        normalize_validate(text)
    rng = random.Random(9)
    cases = (("case %d" % n, "".join(rng.choice(alphabet) for _x in range(rng.randrange(0, 8)))) for n in range(4000))
    tally = fuzz("bond_sysfs values", case, cases, allowed=(BondError,))
    assert tally.unexpected == []
