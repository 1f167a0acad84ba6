"""Fuzz every reader of ipmitool output (issue 11).

Seeded mutations of real ipmitool 1.8.19 output against OpenIPMI's ipmi_sim
with the lab's Supermicro OEM module (fixtures/bmc_real, see its README.md)
and of the recorded cases in fixtures/bmc_parse_cases.yml.  The only
acceptable outcomes are a result or the module's own errors (IpmiParseError
from the parsers, IpmiError from the tool, LanModeError from ipmi_lan).  Run
with ``-s`` to see the tally lines.  (``ipmitool lan print`` is captured too
but netmedic has no parser for it: nothing reads it.)
"""

import os
import random

import yaml

from support.paths import FIXTURES
from ansible_collections.netmedic.network.plugins.module_utils.bmc import lan as L
from ansible_collections.netmedic.network.plugins.module_utils.bmc import parse as P
from ansible_collections.netmedic.network.plugins.module_utils.bmc.tool import IpmiError, Ipmitool, Target
from ansible_collections.netmedic.network.plugins.module_utils.core.runner import Result

from support.fuzz import fuzz, text_cases

REAL = os.path.join(FIXTURES, "bmc_real")
with open(os.path.join(FIXTURES, "bmc_parse_cases.yml"), encoding="utf-8") as _fh:
    CASES = yaml.safe_load(_fh)


def real(name):
    with open(os.path.join(REAL, name), encoding="utf-8") as fh:
        return fh.read()


def texts(section):
    return [c["text"] for c in CASES[section]]


STDERR = [real("raw_invalid.stderr"), real("raw_x9_long_form.stderr")] + texts("classify") + texts("completion_code")


def test_fuzz_mc_info():
    tally = fuzz("ipmi_parse.parse_mc_info", P.parse_mc_info,
                 text_cases([real("mc_info.txt")] + texts("mc_info"), 4000, seed=1201), allowed=(P.IpmiParseError,))
    assert tally.unexpected == []


def test_fuzz_raw_responses_and_decoders():
    def case(text):
        data = P.parse_raw_response(text)
        for decode in (P.decode_supermicro_x9, P.decode_supermicro_x8):
            try:
                decode(data)
            except P.IpmiParseError:
                pass
    fixtures = [real("raw_x9_get.txt"), real("raw_x8_get.txt"), real("raw_x9_set.txt")] + texts("raw")
    tally = fuzz("ipmi_parse.parse_raw_response + decode", case, text_cases(fixtures, 4000, seed=1202),
                 allowed=(P.IpmiParseError,))
    assert tally.unexpected == []

    rng = random.Random(1203)
    byte_lists = [("bytes %d" % n, [rng.randrange(256) for _i in range(rng.randrange(4))]) for n in range(2000)]
    tally = fuzz("ipmi_parse.decode_supermicro_x9/x8", lambda d: (
        _own(P.decode_supermicro_x9, d), _own(P.decode_supermicro_x8, d)), byte_lists)
    assert tally.unexpected == []


def _own(fn, arg):
    try:
        return fn(arg)
    except P.IpmiParseError:
        return None


def test_fuzz_error_text():
    def case(text):
        P.classify_error(text)
        cc = P.parse_completion_code(text)
        assert cc is None or 0 <= cc <= 0xFF
    tally = fuzz("ipmi_parse.classify_error + completion code", case, text_cases(STDERR, 4000, seed=1204))
    assert tally.unexpected == []


def test_fuzz_dell_lan():
    fixtures = texts("dell") + [real("delloem_on_supermicro.txt")]
    tally = fuzz("ipmi_parse.parse_dell_lan", P.parse_dell_lan, text_cases(fixtures, 3000, seed=1205),
                 allowed=(P.IpmiParseError,))
    assert tally.unexpected == []


class Scripted:
    """A runner answering each ipmitool call with the case's text (rc, stdout, stderr)."""

    def __init__(self, rc, out, err):
        self.rc, self.out, self.err = rc, out, err

    def __call__(self, argv, timeout=None, env=None, input=None, check=False, cwd=None):
        return Result(list(argv), self.rc, self.out, self.err, 0.01)


def test_fuzz_ipmitool_failures():
    """What ipmitool prints when it fails, classified into IpmiError subclasses (password scrubbed)."""
    target = Target(interface="lanplus", host="192.0.2.1", user="admin", password="pw-Long-1")

    def case(err):
        tool = Ipmitool(target, runner=Scripted(1, "", err + " pw-Long-1"), timeout=5)
        try:
            tool.run(["mc", "info"])
        except IpmiError as exc:
            assert "pw-Long-1" not in str(exc)
            raise
    tally = fuzz("ipmi_tool.Ipmitool.run (failures)", case, text_cases(STDERR, 3000, seed=1206),
                 allowed=(IpmiError,))
    assert tally.unexpected == []


def test_fuzz_read_lan_mode():
    """The whole read path (mc info, then the X9/X8/Dell query) on mutated answers."""
    mc = list(text_cases([real("mc_info.txt"), real("mc_info.txt").replace("10876", "674")], 1500, seed=1207))
    raws = list(text_cases([real("raw_x9_get.txt"), real("raw_x8_get.txt")] + texts("dell"), 1500, seed=1208))
    rng = random.Random(1209)

    class Bmc:
        def __init__(self, i):
            self.i = i

        def __call__(self, argv, timeout=None, env=None, input=None, check=False, cwd=None):
            if argv[-2:] == ["mc", "info"]:
                return Result(list(argv), 0, mc[self.i][1], "", 0.01)
            if rng.random() < 0.2:
                return Result(list(argv), 1, "", rng.choice(STDERR), 0.01)
            return Result(list(argv), 0, raws[self.i][1], "", 0.01)

    def case(i):
        reading = L.read_lan_mode(Ipmitool(Target(), runner=Bmc(i), timeout=5), rng.choice(L.GENERATIONS))
        assert reading.mode in P.MODES + (P.UNKNOWN,)
        reading.to_dict()
    tally = fuzz("ipmi_lan.read_lan_mode", case, ((str(i), i) for i in range(len(mc))),
                 allowed=(IpmiError, P.IpmiParseError, L.LanModeError))
    assert tally.unexpected == []
