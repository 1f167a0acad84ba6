"""Parsing and editing /etc/frr/daemons (the Debian 8.4.4 file is fixtures/nmaud/daemons.debian)."""

import pytest

from ansible_collections.netmedic.network.plugins.module_utils.frr import daemons_file as fd
from ansible_collections.netmedic.network.plugins.module_utils.frr import daemon_argv as fo
from ansible_collections.netmedic.network.plugins.module_utils.core.runner import Runner

from support.fakes import fixture

DEBIAN = fixture("daemons.debian")


def test_debian_file():
    a = fd.parse_assignments(DEBIAN)
    assert a["zebra_options"].value == "  -A 127.0.0.1 -s 90000000" and not a["zebra_options"].dynamic
    assert "watchfrr_options" not in a  # only a commented example
    assert fd.enabled_daemons(a) == ["zebra", "staticd"]
    assert fo.option_value(a["zebra_options"].value, fo.ZEBRA_BUFSIZE_OPT) == "90000000"


@pytest.mark.parametrize("options, value", [
    ("-T 30", "30"), ("-T30", "30"), ("--restart-timeout 45", "45"), ("--restart-timeout=45", "45"),
    ("-i 5 -T 30 -T 60", "60"), ("-t 90", None), ("", None), ("--netns -T 7", "7"),
    # read as getopt_long reads argv: clusters, unique long prefixes, arguments of other options, '--'
    ("-dT30", "30"), ("-dT 30", "30"), ("--restart-t 45", "45"), ("-T", ""), ("-T -d", "-d"),
    ("-r '/usr/lib/frr/watchfrr.sh restart %s' -T 9", "9"), ("-r -T", None), ("-- -T 5", None),
    ("'-T' \"120\"", "120"), ("-s 5 -k -T", None),
])
def test_option_value(options, value):
    assert fo.option_value(options, fo.WATCHFRR_TIMEOUT_OPT) == value


@pytest.mark.parametrize("options, expect", [
    ("", "-T 300"),
    ("-T 20", "-T 300"),
    ("  -T20 -i 5", "  -T300 -i 5"),
    ("--restart-timeout=20", "--restart-timeout=300"),
    ("--restart-timeout 20 -t 90", "--restart-timeout 300 -t 90"),
    ("-t 90", "-t 90 -T 300"),
    # issue 11: a flag without a value gets one (it became '-T -T 300', then '-T 300 300')
    ("-T", "-T 300"),
    ("-T -d", "-T 300 -d"),
    ("-d  -T\t", "-d  -T 300\t"),
    ("-dT20", "-dT300"),
    ("--restart-t=20", "--restart-t=300"),
    ("-r 'restart %s -T 5'  -T 20 ", "-r 'restart %s -T 5'  -T 300 "),
    ("-T 5 -- zebra", "-T 300 -- zebra"),
    ("-d -- zebra", "-d -T 300 -- zebra"),
    ("   ", "   -T 300"),
])
def test_set_option_keeps_the_rest(options, expect):
    assert fo.set_option(options, fo.WATCHFRR_TIMEOUT_OPT, 300) == expect
    assert fo.option_value(expect, fo.WATCHFRR_TIMEOUT_OPT) == "300"


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


def test_a_flag_without_value_is_fixed_once_and_stays_fixed():
    """Issue 11, defect 6: ``-T`` with no value became ``-T -T 300``, then ``-T 300 300``."""
    text, changes = fd.plan_options('watchfrr_options="-T"\n', 300)
    assert text == 'watchfrr_options="-T 300"\n'
    assert changes == {"watchfrr_options": {"before": "-T", "after": "-T 300"}}
    again, changes = fd.plan_options(text, 400)
    assert again == 'watchfrr_options="-T 400"\n' and changes["watchfrr_options"]["before"] == "-T 300"
    assert fd.plan_options(again, 400) == (again, {})
    text = fd.plan_options('zebra_options="-A 127.0.0.1 -s"\n', zebra_netlink_buffer=90000000)[0]
    assert text == 'zebra_options="-A 127.0.0.1 -s 90000000"\n'


@pytest.mark.parametrize("options", ["-T 5; reboot", "-T $(cat x)", "-T `id`", "-r x | y", "-T 5 > /tmp/x",
                                     "-T 'unterminated", '-T "unterminated', "-T 5 #comment", "-T *",
                                     "~/x -T 5", "-T 5\\"])
def test_options_a_shell_would_interpret_are_refused(options):
    with pytest.raises(fo.OptionsError):
        fo.set_option(options, fo.WATCHFRR_TIMEOUT_OPT, 300)
    text = "watchfrr_options='%s'\n" % options.replace("'", "")
    if "'" not in options:   # (a single quote ends the file's quoting: another test)
        with pytest.raises(fd.DaemonsFileError, match="edit it by hand"):
            fd.plan_options(text, 300)


@pytest.mark.parametrize("text, line", [
    ('watchfrr_options="-T 20"\nexport watchfrr_options="-T 5"\n', 2),
    ('watchfrr_options="-T 20"\nwatchfrr_options+=" -T 5"\n', 2),
    ('. /etc/frr/extra\nwatchfrr_options="-T 20"\n', 1),
    ('x=1; watchfrr_options="-T 5"\n', 1),
    ('if [ -e /x ]; then\n  watchfrr_options="-T 5"\nfi\n', 2),
])
def test_shell_code_that_may_set_the_variable_is_refused(text, line):
    with pytest.raises(fd.DaemonsFileError, match="line %d" % line):
        fd.plan_options(text, 300)
    # other shell code is kept as it is (bash -n checks the whole file before a write)
    ok = fd.plan_options("if true; then :; fi\n" + 'watchfrr_options="-T 20"\n', 300)[0]
    assert ok == "if true; then :; fi\n" + 'watchfrr_options="-T 300"\n'


def test_crlf_and_odd_line_breaks_are_kept_byte_for_byte():
    text = 'bgpd=yes\r\n#watchfrr_options=""\r\nzebra_options="-s 1"\t # tuned\r\nlast=1'
    new = fd.plan_options(text, 300, 90000000)[0]
    assert new == ('bgpd=yes\r\n#watchfrr_options=""\r\nwatchfrr_options="-T 300"\r\n'
                   'zebra_options="-s 90000000"\t # tuned\r\nlast=1')
    # a form feed or U+2028 is not a line break for bash: line numbers are bash's
    assert fd.parse_assignments("a=1\x0cb=2\nc=3\u2028\n")["c"].line == 1
    assert fd.split_lines("a\r\nb\x0cc\n\nd") == ["a\r\n", "b\x0cc\n", "\n", "d"]
    appended = fd.plan_options("bgpd=yes\r\nospfd=no", 300)[0]
    assert appended == 'bgpd=yes\r\nospfd=no\r\nwatchfrr_options="-T 300"\r\n'


def test_unquoted_hash_inside_a_word_is_part_of_the_value():
    a = fd.parse_assignments("a=x#y\nb=x #c\nc='q'#r\n")
    assert a["a"].value == "x#y" and not a["a"].dynamic
    assert a["b"].value == "x" and not a["b"].dynamic
    assert a["c"].dynamic          # 'q'#r is one word: q#r


def test_verify_edit_catches_what_we_did_not_mean():
    fd.verify_edit("a=1\n", 'a=1\nwatchfrr_options="-T 5"\n', {"watchfrr_options": "-T 5"})
    with pytest.raises(fd.DaemonsFileError, match="expected"):
        fd.verify_edit("a=1\n", 'a=1\nwatchfrr_options="-T 6"\n', {"watchfrr_options": "-T 5"})
    with pytest.raises(fd.DaemonsFileError, match="other variables"):
        fd.verify_edit("a=1\n", 'a=2\nwatchfrr_options="-T 5"\n', {"watchfrr_options": "-T 5"})


def test_bash_syntax_check_parses_and_never_executes(tmp_path):
    marker = tmp_path / "ran"
    text = "bgpd=yes\ntouch %s\nx=$(touch %s)\n" % (marker, marker)
    fd.bash_syntax_check(Runner(), text)
    with pytest.raises(fd.DaemonsFileError, match="syntax error") as err:
        fd.bash_syntax_check(Runner(), text + "if true; then\n")
    assert "nothing executed" in str(err.value)
    assert not marker.exists()


def test_instances():
    a = fd.parse_assignments('ospfd=yes\nospfd_instances="1,3"\nbgpd=no\nbfdd=1\n')
    assert fd.enabled_daemons(a) == ["zebra", "ospfd-1", "ospfd-3", "staticd", "bfdd"]


def test_read_as_bash_reads_it_a_quoted_value_over_several_lines():
    """core/shell_assign reads the file: a value quoted or continued over several lines is one value (the old
    line reader called a quote over several lines unterminated and refused the whole file, and read the line
    after a backslash continuation as an assignment of its own: bash sets x=abcbgpd=yes, it enabled bgpd)."""
    assert fd.enabled_daemons(fd.parse_assignments("x=abc\\\nbgpd=yes\n")) == ["zebra", "staticd"]
    text = 'note="bgpd=yes\nospfd=yes"\nzebra_options="-A 127.0.0.1\n -s 1"\nbgpd=no\n'
    a = fd.parse_assignments(text)
    assert fd.enabled_daemons(a) == ["zebra", "staticd"]
    assert a["note"].dynamic and a["zebra_options"].dynamic     # several lines: we do not edit those
    assert fd.plan_options(text, 300)[0] == text + 'watchfrr_options="-T 300"\n'
    with pytest.raises(fd.DaemonsFileError, match="zebra_options on line 3 uses shell expansion"):
        fd.plan_options(text, zebra_netlink_buffer=90000000)


def test_an_expansion_that_assigns_the_variable_is_refused():
    text = 'watchfrr_options="-T 20"\nx="${watchfrr_options:=-T 5}"\ny="$watchfrr_options"\n'
    with pytest.raises(fd.DaemonsFileError, match=r"line 2 \(x\) expands \$\{watchfrr_options:=...\}"):
        fd.plan_options(text, 300)
    # a mere use of the variable sets nothing
    ok = 'watchfrr_options="-T 20"\ny="$watchfrr_options"\n'
    assert fd.plan_options(ok, 300)[0] == ok.replace("-T 20", "-T 300")


def test_set_assignment_replaces_only_the_value():
    text = '  zebra_options=\'-s 1\'   # tuned\r\nzebra_options=-s\\ 1\n'
    with pytest.raises(fd.DaemonsFileError, match="refusing to edit zebra_options on line 2"):
        fd.set_assignment(text, "zebra_options", "-s 2")   # the last one is escaped: not ours to rewrite
    text = "  zebra_options='-s 1'   # tuned\r\nbgpd=yes\n"
    assert fd.set_assignment(text, "zebra_options", "-s 2") == '  zebra_options="-s 2"   # tuned\r\nbgpd=yes\n'
