"""ipmi_parse: every parser against the YAML cases in fixtures/bmc_parse_cases.yml."""

import os

import pytest
import yaml

from support.paths import FIXTURES
from ansible_collections.netmedic.network.plugins.module_utils.bmc import parse as P

with open(os.path.join(FIXTURES, "bmc_parse_cases.yml"), encoding="utf-8") as fh:
    CASES = yaml.safe_load(fh)


def cases(section):
    return [pytest.param(c, id=c["name"]) for c in CASES[section]]


def check(case, func, arg):
    if "error" in case:
        with pytest.raises(P.IpmiParseError, match=case["error"]):
            func(arg)
        return None
    return func(arg)


@pytest.mark.parametrize("case", cases("mc_info"))
def test_mc_info(case):
    info = check(case, P.parse_mc_info, case["text"])
    if info is not None:
        got = info.to_dict()
        assert {k: got[k] for k in case["expect"]} == case["expect"]


@pytest.mark.parametrize("case", cases("raw"))
def test_raw_response(case):
    got = check(case, P.parse_raw_response, case["text"])
    if "expect" in case:
        assert got == case["expect"]


@pytest.mark.parametrize("case", cases("completion_code"))
def test_completion_code(case):
    assert P.parse_completion_code(case["text"]) == case["expect"]


@pytest.mark.parametrize("case", cases("classify"))
def test_classify_error(case):
    assert P.classify_error(case["text"]) == case["expect"]


@pytest.mark.parametrize("case", cases("supermicro_x9"))
def test_supermicro_x9(case):
    got = check(case, P.decode_supermicro_x9, case["data"])
    if "expect" in case:
        assert got == case["expect"]


@pytest.mark.parametrize("case", cases("supermicro_x8"))
def test_supermicro_x8(case):
    got = check(case, P.decode_supermicro_x8, case["data"])
    if "expect" in case:
        assert got == case["expect"]


@pytest.mark.parametrize("case", cases("dell"))
def test_dell_lan(case):
    got = check(case, P.parse_dell_lan, case["text"])
    if "expect" in case:
        assert got == case["expect"]


@pytest.mark.parametrize("mode", P.MODES)
@pytest.mark.parametrize("gen,decode,strip", [("x9", P.decode_supermicro_x9, 2), ("x8", P.decode_supermicro_x8, 2)])
def test_set_data_round_trips_through_the_decoder(mode, gen, decode, strip):
    data = P.supermicro_set_data(mode, gen)
    assert data[:2] == [0x0C, 0x01]
    # the set payload of each form, read back as that form's get answer, is the same mode
    assert decode(data[strip:]) == mode


def test_set_data_rejects_unknown_modes():
    with pytest.raises(ValueError):
        P.supermicro_set_data("auto", "x9")


def test_dell_set_args_cover_every_mode():
    assert set(P.DELL_SET_ARGS) == set(P.MODES)
    for mode, args in P.DELL_SET_ARGS.items():
        assert P.parse_dell_lan(" ".join(args)) == mode
