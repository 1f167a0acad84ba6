"""Fuzz every reader of ipmitool output (issues 11 and 13).

Seeded mutations of real ipmitool 1.8.19 output against OpenIPMI's ipmi_sim
with the lab's vendor profiles (fixtures/bmc_real, see its README.md), of
output people published (fixtures/bmc_published) and of the recorded cases in
fixtures/bmc_parse_cases.yml.  The only acceptable outcomes are a result or
the area's own errors (IpmiParseError from the parsers, IpmiError from the
tool, LanModeError from lan.py).  Run with ``-s`` to see the tally lines.
"""

import os
import random

import yaml

from support.paths import FIXTURES
from ansible_collections.netmedic.network.plugins.module_utils.bmc import dell, intel, lenovo, supermicro
from ansible_collections.netmedic.network.plugins.module_utils.bmc import lan as L
from ansible_collections.netmedic.network.plugins.module_utils.bmc import parse as P
from ansible_collections.netmedic.network.plugins.module_utils.bmc.tool import IpmiError, Ipmitool, Target
from ansible_collections.netmedic.network.plugins.module_utils.core.runner import Result

from support.fuzz import fuzz, text_cases

REAL = os.path.join(FIXTURES, "bmc_real")
PUBLISHED = os.path.join(FIXTURES, "bmc_published")
with open(os.path.join(FIXTURES, "bmc_parse_cases.yml"), encoding="utf-8") as _fh:
    CASES = yaml.safe_load(_fh)


def real(name):
    with open(os.path.join(REAL, name), encoding="utf-8") as fh:
        return fh.read()


def published(name):
    with open(os.path.join(PUBLISHED, name), encoding="utf-8") as fh:
        return fh.read()


def texts(section):
    out = []
    for case in CASES[section]:
        if "file" in case:
            with open(os.path.join(FIXTURES, case["file"]), encoding="utf-8") as fh:
                out.append(fh.read())
        elif "text" in case:
            out.append(case["text"])
    return out


MC_INFO = [real("mc_info.txt"), published("mc_info_47488_x11spm.txt"), published("mc_info_47488_x9scv.txt"),
           published("mc_info_19046_lenovo.txt"), published("mc_info_343_s2600wft.txt")] + texts("mc_info")
RAW = [real(n) for n in ("raw_x9_get.txt", "raw_x8_get.txt", "raw_x9_set.txt", "raw_dell_validator.txt",
                         "raw_dell_12g_get.txt", "raw_lenovo_port.txt", "raw_intel_ip.txt")] + texts("raw")
STDERR = [real(n) for n in ("raw_invalid.stderr", "raw_x9_long_form.stderr", "admin_refused.stderr",
                            "raw_operator_d4.stderr", "raw_intel_absent_channel.stderr",
                            "delloem_11g_set_lom1.stderr", "delloem_13g_set_dedicated_unlicensed.stderr")] + \
    [published(n) for n in ("x11_invalid_role.stderr", "supermicro_password_changed.stderr",
                            "x9scm_raw_0x70_invalid_data.stderr", "intel_raw_invalid_command.stderr",
                            "delloem_lan_set_idrac9.stderr")] + texts("classify") + texts("completion_code")
DELLOEM = [real(n) for n in ("delloem_12g_failover.txt", "delloem_11g_failover.txt", "delloem_idrac9_get.txt",
                             "delloem_on_supermicro.txt")] + \
    [published("delloem_lan_get_idrac9_dell47.txt")] + texts("dell_lan_get")
DECODERS = (supermicro.decode_x9, supermicro.decode_x8, dell.decode_12g, dell.imc_type, lenovo.decode,
            intel.decode_ip)


def _own(fn, arg):
    try:
        return fn(arg)
    except P.IpmiParseError:
        return None


def test_fuzz_mc_info():
    tally = fuzz("bmc.parse.parse_mc_info", P.parse_mc_info, text_cases(MC_INFO, 4000, seed=1301),
                 allowed=(P.IpmiParseError,))
    assert tally.unexpected == []


def test_fuzz_raw_responses_and_every_decoder():
    def case(text):
        data = P.parse_raw_response(text)
        for decode in DECODERS:
            _own(decode, data)
    tally = fuzz("bmc.parse.parse_raw_response + vendor decoders", case, text_cases(RAW, 4000, seed=1302),
                 allowed=(P.IpmiParseError,))
    assert tally.unexpected == []

    rng = random.Random(1303)
    byte_lists = [("bytes %d" % n, [rng.randrange(256) for _i in range(rng.randrange(14))]) for n in range(3000)]
    tally = fuzz("bmc vendor decoders (bytes)", lambda d: [_own(decode, d) for decode in DECODERS], byte_lists)
    assert tally.unexpected == []


def test_fuzz_error_text():
    def case(text):
        P.classify_error(text)
        dell.refusals(text)
        cc = P.parse_completion_code(text)
        assert cc is None or 0 <= cc <= 0xFF
    tally = fuzz("bmc.parse.classify_error + completion code + dell.refusals", case,
                 text_cases(STDERR, 4000, seed=1304))
    assert tally.unexpected == []


def test_fuzz_delloem_lan_get():
    tally = fuzz("bmc.dell.parse_lan_get", dell.parse_lan_get, text_cases(DELLOEM, 4000, seed=1305),
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
            tool.run(["raw", "0x30", "0x70", "0x0c", "0x00"])
        except IpmiError as exc:
            assert "pw-Long-1" not in str(exc)
            raise
    tally = fuzz("bmc.tool.Ipmitool.run (failures, -v diagnosis)", case, text_cases(STDERR, 3000, seed=1306),
                 allowed=(IpmiError,))
    assert tally.unexpected == []


def test_fuzz_read_lan_mode():
    """The whole read path of every vendor (mc info, then its queries) on mutated answers."""
    ids = ("10876", "47488", "674", "19046", "20301", "2", "343", "11")
    base = real("mc_info.txt")
    mc = list(text_cases([base.replace("10876", i) for i in ids] + MC_INFO, 3000, seed=1307))
    answers = list(text_cases(RAW + DELLOEM, 3000, seed=1308))
    rng = random.Random(1309)

    class Bmc:
        def __init__(self, i):
            self.i = i

        def __call__(self, argv, timeout=None, env=None, input=None, check=False, cwd=None):
            if argv[-2:] == ["mc", "info"]:
                return Result(list(argv), 0, mc[self.i][1], "", 0.01)
            if rng.random() < 0.2:
                return Result(list(argv), rng.choice((0, 1)), "", rng.choice(STDERR), 0.01)
            return Result(list(argv), 0, rng.choice(answers)[1], "", 0.01)

    def case(i):
        reading = L.read_lan_mode(Ipmitool(Target(), runner=Bmc(i), timeout=5), rng.choice(L.GENERATIONS))
        assert reading.mode in P.MODES + (P.UNKNOWN,)
        assert set(reading.settable) <= set(P.MODES)
        reading.to_dict()
    tally = fuzz("bmc.lan.read_lan_mode (every vendor)", case, ((str(i), i) for i in range(len(mc))),
                 allowed=(IpmiError, P.IpmiParseError, L.LanModeError))
    assert tally.unexpected == []
