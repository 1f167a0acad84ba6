"""Parsing and editing /etc/frr/daemons (the Debian 8.4.4 file is fixtures/nmaud/daemons.debian)."""

import pytest

from ansible_collections.netmedic.network.plugins.module_utils import frr_daemons as fd

from nmaud_fakes import fixture

DEBIAN = fixture("daemons.debian")


def test_debian_file():
    a = fd.parse_assignments(DEBIAN)
    assert a["zebra_options"].value == "  -A 127.0.0.1 -s 90000000" and not a["zebra_options"].dynamic
    assert "watchfrr_options" not in a  # only a commented example
    assert fd.enabled_daemons(a) == ["zebra", "staticd"]
    assert fd.option_value(a["zebra_options"].value, fd.ZEBRA_BUFSIZE_OPT) == "90000000"


@pytest.mark.parametrize("options, value", [
    ("-T 30", "30"), ("-T30", "30"), ("--restart-timeout 45", "45"), ("--restart-timeout=45", "45"),
    ("-i 5 -T 30 -T 60", "60"), ("-t 90", None), ("", None), ("--netns -T 7", "7"),
])
def test_option_value(options, value):
    assert fd.option_value(options, fd.WATCHFRR_TIMEOUT_OPT) == value


@pytest.mark.parametrize("options, expect", [
    ("", "-T 300"),
    ("-T 20", "-T 300"),
    ("  -T20 -i 5", "  -T300 -i 5"),
    ("--restart-timeout=20", "--restart-timeout=300"),
    ("--restart-timeout 20 -t 90", "--restart-timeout 300 -t 90"),
    ("-t 90", "-t 90 -T 300"),
])
def test_set_option_keeps_the_rest(options, expect):
    assert fd.set_option(options, fd.WATCHFRR_TIMEOUT_OPT, 300) == expect
    assert fd.option_value(expect, fd.WATCHFRR_TIMEOUT_OPT) == "300"


def test_set_assignment_after_commented_example_and_in_place():
    text = fd.set_assignment(DEBIAN, "watchfrr_options", "-T 300")
    lines = text.splitlines()
    i = lines.index('watchfrr_options="-T 300"')
    assert lines[i - 1] == '#watchfrr_options=""'
    assert len(lines) == len(DEBIAN.splitlines()) + 1
    again = fd.set_assignment(text, "watchfrr_options", "-T 600")
    assert again.splitlines()[i] == 'watchfrr_options="-T 600"' and len(again.splitlines()) == len(lines)
    z = fd.set_assignment(DEBIAN, "zebra_options", "  -A 127.0.0.1 -s 180000000")
    assert 'zebra_options="  -A 127.0.0.1 -s 180000000"' in z.splitlines()
    assert len(z.splitlines()) == len(DEBIAN.splitlines())


def test_set_assignment_keeps_comment_and_appends_when_unknown():
    text = 'bgpd=yes\nzebra_options="-s 1"  # tuned\n'
    assert fd.set_assignment(text, "zebra_options", "-s 2") == 'bgpd=yes\nzebra_options="-s 2"  # tuned\n'
    assert fd.set_assignment("bgpd=yes", "watchfrr_options", "-T 9") == 'bgpd=yes\nwatchfrr_options="-T 9"\n'


@pytest.mark.parametrize("line", ['zebra_options="$EXTRA -s 1"', "zebra_options=`cat x`",
                                  'zebra_options="-s 1" other', 'zebra_options=-s\\ 1'])
def test_dynamic_values_are_flagged(line):
    a = fd.parse_assignments(line + "\n")["zebra_options"]
    assert a.dynamic
    with pytest.raises(fd.DaemonsFileError, match="shell expansion"):
        fd.checked_options({"zebra_options": a}, "zebra")


def test_unterminated_quote_and_refused_values():
    with pytest.raises(fd.DaemonsFileError, match="line 2 .zebra_options.: unterminated double quote"):
        fd.parse_assignments('bgpd=yes\nzebra_options="-s 1\n')
    with pytest.raises(fd.DaemonsFileError, match="refusing"):
        fd.set_assignment("", "zebra_options", '-s 1" ; rm -rf /')


def test_instances_and_paths():
    a = fd.parse_assignments('ospfd=yes\nospfd_instances="1,3"\nbgpd=no\nbfdd=1\n')
    assert fd.enabled_daemons(a) == ["zebra", "ospfd-1", "ospfd-3", "staticd", "bfdd"]
    assert fd.etc_dir("/r", "rt1") == "/r/etc/frr/rt1" and fd.run_dir("/", None) == "/var/run/frr"
    assert fd.vtysh_argv("rt1", "show version") == ["vtysh", "-N", "rt1", "-c", "show version"]
    for bad in ("../x", "a/b", "", None):
        if bad:
            with pytest.raises(ValueError):
                fd.check_pathspace(bad)
        else:
            assert fd.check_pathspace(bad) is None
